/**
 * Where each file of a run directory lives (see run-dir.ts for the layout); each file's own
 * module (config, metrics, results, per-query, alignment, trainer state) reads and writes it.
 */
import { join } from "node:path";
import { ALIGNMENT_NAME } from "./alignment.js";
import { METRICS_NAME } from "./metrics.js";
import { PER_QUERY_NAME } from "./per-query.js";
import { RESULTS_NAME } from "./results.js";
import { CONFIG_NAME } from "./run-config.js";

export const CHECKPOINTS_DIR = "checkpoints";

/** In a run installed from shipped results (ablate/shipped.ts): where it came from. */
export const SHIPPED_NAME = "shipped.json";

/** Everything a run directory holds (besides its lock). */
export const RUN_FILES: readonly string[] = [CONFIG_NAME, METRICS_NAME, RESULTS_NAME, PER_QUERY_NAME, ALIGNMENT_NAME, CHECKPOINTS_DIR, SHIPPED_NAME];

export const configPath = (dir: string): string => join(dir, CONFIG_NAME);
export const metricsPath = (dir: string): string => join(dir, METRICS_NAME);
export const resultsPath = (dir: string): string => join(dir, RESULTS_NAME);
export const perQueryPath = (dir: string): string => join(dir, PER_QUERY_NAME);
export const alignmentPath = (dir: string): string => join(dir, ALIGNMENT_NAME);
