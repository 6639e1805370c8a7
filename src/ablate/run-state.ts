/**
 * A run directory's identity and progress, read from the directory alone so the runner, a SLURM
 * array task and the aggregation all agree on what is left to do.
 *
 * The key is a hash of what the run computes (its resolved config without `outputDir` and
 * `comment`), so the same run gets the same directory whichever grid, order or machine asks for
 * it, and changing any value (steps, lr, α, seed, ...) gives a new one.
 */
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { RunConfig } from "../train/config.js";
import { runConfigToJson } from "../train/config.js";
import { DataError } from "../util/errors.js";
import { readMetricsFile } from "../run-files/metrics.js";
import { CHECKPOINTS_DIR, metricsPath, resultsPath } from "../run-files/paths.js";
import { readResultsFile, RESULTS_NAME } from "../run-files/results.js";
import { CONFIG_NAME } from "../run-files/run-config.js";
import { readTrainerProgress } from "../run-files/trainer-state.js";
import type { RunState } from "./types.js";

/**
 * First 12 hex digits of the sha256 of the config's canonical JSON (keys sorted), `outputDir` and
 * `comment` left out.
 *
 * @example
 * runKey(config) // "3f2a9c1b0d4e"
 */
export function runKey(config: RunConfig): string {
  const { outputDir: _dir, comment: _comment, ...rest } = runConfigToJson(config);
  return createHash("sha256").update(canonicalJson(rest)).digest("hex").slice(0, 12);
}

/** JSON with every object's keys sorted, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Where the run of `config` in `dir` stands:
 * - "complete": results.json is there and reads back whole; or, for a run without an eval section, checkpoints/last is
 *   at the configured steps or holds an early stop.
 * - "diverged": metrics.jsonl holds a "diverged" event.
 * - "partial": config.json is there, the run is not finished (resume it).
 * - "new": no directory, an empty one, or one a run was started in but never wrote its config.json
 *   (killed while starting; the runner starts that afresh with --overwrite).
 */
export async function runState(dir: string, config: RunConfig): Promise<RunState> {
  return (await runStatus(dir, config)).state;
}

/** {@link runState}, and why a run with a results.json is not complete (its problem), for listings. */
export async function runStatus(dir: string, config: RunConfig): Promise<{ readonly state: RunState; readonly note: string | null }> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  let note: string | null = null;
  if (entries.includes(RESULTS_NAME)) {
    // A corrupt results.json (a disk that filled up, a hand edit) is not a finished run: the
    // runner resumes it, which redoes the evaluation from the saved checkpoints.
    try {
      await readResultsFile(resultsPath(dir));
      return { state: "complete", note };
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      note = err.message;
    }
  }
  const state = await unfinishedState(dir, entries, config);
  return { state, note };
}

async function unfinishedState(dir: string, entries: readonly string[], config: RunConfig): Promise<RunState> {
  if (!entries.includes(CONFIG_NAME)) return "new";
  const events = (await readMetricsFile(metricsPath(dir))).flatMap((l) => (l.type === "event" ? [l.event] : []));
  if (events.includes("diverged")) return "diverged";
  if (config.eval === null) {
    // The checkpoint, not metrics.jsonl, says whether the loop ended: it is saved after the stop decision.
    const done = await readTrainerProgress(join(dir, CHECKPOINTS_DIR, "last")).then(
      (p) => p.stop !== null || p.step >= config.steps,
      () => false,
    );
    if (done) return "complete";
  }
  return "partial";
}
