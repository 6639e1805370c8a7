/**
 * The ablation runner's data: a grid file expands into runs (one run directory each, named by
 * a hash of its resolved config); every finished run becomes one row of the aggregate table.
 * The row is read back from the run directory alone (config.json, results.json, metrics.jsonl),
 * so runs trained locally, by a SLURM array or by hand with `hybrid-ir train` aggregate alike.
 */
import type { DatasetName } from "../data/types.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import type { RunConfig } from "../train/config.js";

/** One value of the grid's `direction` axis: train on `train`, evaluate zero-shot on `eval`. */
export interface Direction {
  /** A vendored benchmark, converted to training records, or a training JSONL path (relative to the grid file). */
  readonly train: DatasetName | string;
  readonly eval: DatasetName;
}

/** The grid's strategies, in table order: the three samplers, then x-y batches with a language discriminator (train/adversarial.ts). */
export const STRATEGY_NAMES = [...SAMPLER_NAMES, "adversarial"] as const;

/** Strategy labels: the sampler (with the hybrid's α), or "adversarial" for a run with an `adversarial` section. */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export function isStrategyName(name: unknown): name is StrategyName {
  return typeof name === "string" && (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** What a run varies along the grid's axes, as labels for tables. */
export interface RunLabels {
  /** model.ref, with the mini architecture when overridden ("mini 2x128"). */
  readonly model: string;
  readonly strategy: StrategyName;
  /** The hybrid's α ("by-size" kept as text); null for x-x and x-y. */
  readonly alpha: number | "by-size" | null;
  /** The sampler seed (the grid's seed axis sets model.seed and sampler.seed alike). */
  readonly seed: number;
  /** Training data: the dataset name, or the JSONL file's base name. */
  readonly train: string;
  /** The benchmark evaluated at the end; null when the run has no eval section. */
  readonly eval: DatasetName | null;
}

/** One run of an expanded grid. */
export interface GridRun {
  /** Position in the expanded grid (the SLURM array task id). */
  readonly index: number;
  /** First 12 hex digits of the sha256 of the resolved config (outputDir and comment left out): the run directory's name. */
  readonly key: string;
  readonly labels: RunLabels;
  /** Resolved, with outputDir = `<outputRoot>/<key>`. */
  readonly config: RunConfig;
}

/** Where a run directory stands. */
export type RunState =
  /** No directory, or an empty one. */
  | "new"
  /** config.json written, not finished: resume it. */
  | "partial"
  /** Finished: results.json written (or, without an eval section, the last step reached). */
  | "complete"
  /** Stopped on a NaN/Inf loss (a "diverged" event): not rerun unless asked. */
  | "diverged";

/** One row of the aggregate table (results.csv / results.json), flat so it reads as a DataFrame. */
export interface AggregateRow extends RunLabels {
  readonly key: string;
  /** The run directory, relative to the grid's outputRoot. */
  readonly dir: string;
  readonly state: RunState;
  /** Steps trained; the evaluated checkpoint's step. */
  readonly steps: number;
  readonly checkpointStep: number | null;
  readonly bestValLoss: number | null;
  readonly monoMap: number | null;
  readonly crossMap: number | null;
  readonly multiMap: number | null;
  readonly rankDistance: number | null;
  /** Mean training throughput over the run's log lines. */
  readonly pairsPerSec: number | null;
  readonly gitCommit: string | null;
}
