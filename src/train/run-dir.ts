/**
 * A run directory: everything one training run writes, in one place. Each file has one module
 * under src/run-files/ (its schema, a reader that names the file and field on error, an atomic
 * writer); this one holds the directory: opening and locking it, and replacing checkpoints.
 *
 *   config.json          run-files/run-config.ts: the resolved config, plus `provenance`; itself a valid --config
 *   metrics.jsonl        run-files/metrics.ts: a "train" line per log interval, a "val" line per
 *                        validation, an "event" line for stops and resumes
 *   checkpoints/last/    the latest checkpoint; checkpoints/best/ the one with the lowest
 *                        validation loss (checkpoint-state.ts; run-files/trainer-state.ts)
 *   results.json         run-files/results.ts: the end-of-run benchmark evaluation
 *   per-query.json       run-files/per-query.ts: the same evaluation per query
 *   alignment.json       run-files/alignment.ts: the alignment measures of the same embeddings
 *
 *   run.lock             while a process writes into the directory: which one (run-lock.ts)
 *
 * Checkpoints are replaced atomically: written whole into `checkpoints/.tmp-<name>/`, then the old
 * one is renamed to `.old-<name>`, the new one renamed into place, and the old one removed. A
 * crash at any point leaves a complete checkpoint under `<name>` or under `.old-<name>`, and
 * opening the directory again puts the latter back.
 */
import { mkdir, readdir, rename, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../util/errors.js";
import type { AlignmentResult } from "../eval/alignment.js";
import type { PerQueryResult } from "../eval/result.js";
import { writeAlignmentFile } from "../run-files/alignment.js";
import { appendMetricsLine, readMetricsFile, writeMetricsFile, type MetricsLine } from "../run-files/metrics.js";
import { alignmentPath, CHECKPOINTS_DIR, configPath, metricsPath, perQueryPath, resultsPath, RUN_FILES } from "../run-files/paths.js";
import { readPerQueryFile, writePerQueryFile } from "../run-files/per-query.js";
import { readResultsFileIfExists, writeResultsFile, type CheckpointName, type RunResults } from "../run-files/results.js";
import { CONFIG_NAME, readRunConfigFile, writeRunConfigFile, type Provenance, type RunConfigFile } from "../run-files/run-config.js";
import { TRAINER_STATE_NAME } from "../run-files/trainer-state.js";
import { isTempFileName, removeStaleTempFiles } from "../util/atomic-write.js";
import { pathExists } from "../util/fs.js";
import { textTable } from "../util/text-table.js";
import type { RunConfig } from "./config.js";
import { acquireRunLock, LOCK_NAME, type HeldLock } from "./run-lock.js";
import { silentLogger, type Logger } from "../util/logger.js";

export interface OpenRunDirOptions {
  /** Continue the run in `dir` (it must hold one). */
  readonly resume?: boolean;
  /** Start afresh in a directory that holds a previous run: its run files are deleted. */
  readonly overwrite?: boolean;
  /** Where "removed a stale lock / temporary file" warnings go (default none). */
  readonly logger?: Logger;
}

/**
 * Opens `dir` for a run and takes its lock (run-lock.ts); {@link RunDir.close} gives it back.
 * A fresh run needs a missing or empty directory; a non-empty one is refused unless `resume`
 * (then it must hold a run) or `overwrite` (then it must hold only a run's files, which are
 * removed: nothing else is ever deleted). Temporary files of killed writers are removed first.
 */
export async function openRunDir(dir: string, options: OpenRunDirOptions = {}): Promise<RunDir> {
  if (options.resume && options.overwrite) throw new DataError(dir, "give --resume or --overwrite, not both");
  const logger = options.logger ?? silentLogger;
  const existed = await pathExists(dir);
  if (options.resume && !existed) throw new DataError(dir, `holds no run to resume (no such directory)`);
  await mkdir(dir, { recursive: true });
  let lock: HeldLock;
  try {
    lock = await acquireRunLock(dir, logger);
  } catch (err) {
    if (!existed) await rmdir(dir).catch(() => undefined); // only if still empty: another process may be starting in it
    throw err;
  }
  const run = new RunDir(dir, lock, !existed);
  try {
    const removed = await removeStaleTempFiles(dir);
    if (removed.length > 0) logger.warn(`${dir}: removed ${removed.join(", ")}, left by a killed write`);
    const entries = (await readdir(dir)).filter((e) => e !== LOCK_NAME && !isTempFileName(e));
    if (options.resume) {
      if (!entries.includes(CONFIG_NAME)) throw new DataError(dir, `holds no run to resume (no ${CONFIG_NAME})`);
      await run.recoverCheckpoints();
      return run;
    }
    if (entries.length > 0) {
      if (!options.overwrite) {
        throw new DataError(dir, `is not empty: pass --resume to continue the run in it, or --overwrite to start it afresh`);
      }
      const foreign = entries.filter((e) => !RUN_FILES.includes(e));
      if (foreign.length > 0) {
        throw new DataError(dir, `--overwrite deletes only a run's files, and this directory also holds ${foreign.join(", ")}: choose another --output`);
      }
      for (const e of entries) await rm(join(dir, e), { recursive: true, force: true });
    }
    await mkdir(join(dir, CHECKPOINTS_DIR), { recursive: true });
    return run;
  } catch (err) {
    await run.close();
    if (!existed) await rmdir(dir).catch(() => undefined);
    throw err;
  }
}

export class RunDir {
  /**
   * `new RunDir(dir)` only reads; {@link openRunDir} gives one that holds the directory's lock
   * (and knows whether it made the directory, to remove it again after a failed start).
   */
  constructor(
    readonly dir: string,
    private readonly lock: HeldLock | null = null,
    private readonly created = false,
  ) {}

  /** Gives back the directory's lock (if held). */
  async close(): Promise<void> {
    await this.lock?.release();
  }

  /**
   * After a start that failed before training began: removes the run files this start wrote
   * (the directory too, if it made it), then gives back the lock.
   */
  async discard(): Promise<void> {
    if (this.lock === null) throw new Error(`${this.dir}: discard() needs a directory opened with openRunDir`);
    for (const name of RUN_FILES) await rm(join(this.dir, name), { recursive: true, force: true });
    await this.close();
    if (this.created) await rmdir(this.dir).catch(() => undefined);
  }

  get configPath(): string {
    return configPath(this.dir);
  }

  get metricsPath(): string {
    return metricsPath(this.dir);
  }

  get resultsPath(): string {
    return resultsPath(this.dir);
  }

  get perQueryPath(): string {
    return perQueryPath(this.dir);
  }

  checkpointPath(name: CheckpointName): string {
    return join(this.dir, CHECKPOINTS_DIR, name);
  }

  async writeConfig(config: RunConfig, provenance: Provenance): Promise<void> {
    await writeRunConfigFile(this.configPath, config, provenance);
  }

  /** config.json: the config's JSON (what resolveRunConfig takes) and its provenance. */
  async readConfigFile(): Promise<RunConfigFile> {
    return readRunConfigFile(this.configPath);
  }

  async appendMetrics(line: MetricsLine): Promise<void> {
    await appendMetricsLine(this.metricsPath, line);
  }

  /** metrics.jsonl (run-files/metrics.ts: a cut last line is dropped, a corrupt one is a DataError). */
  async readMetrics(): Promise<MetricsLine[]> {
    return readMetricsFile(this.metricsPath);
  }

  /**
   * Drops the lines after `step`: what a crashed run logged past its last checkpoint, which the
   * resumed run is about to log again.
   */
  async truncateMetrics(step: number): Promise<void> {
    await writeMetricsFile(this.metricsPath, (await this.readMetrics()).filter((l) => l.step <= step));
  }

  async hasCheckpoint(name: CheckpointName): Promise<boolean> {
    return pathExists(join(this.checkpointPath(name), TRAINER_STATE_NAME));
  }

  /**
   * Replaces checkpoint `name` atomically with what `write(dir)` puts into a fresh temporary
   * directory (it must write trainer-state.json last).
   */
  async saveCheckpoint(name: CheckpointName, write: (dir: string) => Promise<void>): Promise<void> {
    const root = join(this.dir, CHECKPOINTS_DIR);
    const tmp = join(root, `.tmp-${name}`);
    const old = join(root, `.old-${name}`);
    const final = this.checkpointPath(name);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await write(tmp);
    if (!(await pathExists(join(tmp, TRAINER_STATE_NAME)))) throw new Error(`checkpoint ${name}: the writer left no ${TRAINER_STATE_NAME}`);
    await rm(old, { recursive: true, force: true });
    if (await pathExists(final)) await rename(final, old);
    await rename(tmp, final);
    await rm(old, { recursive: true, force: true });
  }

  /**
   * After a crash in the middle of {@link saveCheckpoint}: a checkpoint that was renamed away but
   * not yet replaced is put back, and half-written temporary directories are removed.
   */
  async recoverCheckpoints(): Promise<void> {
    const root = join(this.dir, CHECKPOINTS_DIR);
    await mkdir(root, { recursive: true });
    for (const name of ["last", "best"] as const) {
      const old = join(root, `.old-${name}`);
      const final = this.checkpointPath(name);
      if (!(await pathExists(final)) && (await pathExists(join(old, TRAINER_STATE_NAME)))) await rename(old, final);
      await rm(old, { recursive: true, force: true });
      await rm(join(root, `.tmp-${name}`), { recursive: true, force: true });
    }
  }

  /**
   * Writes alignment.json and per-query.json first, so a run with results.json (what "complete"
   * means) always has them; returns results.json as written.
   */
  async writeResults(
    results: Omit<RunResults, "schemaVersion">,
    extra: { readonly perQuery?: PerQueryResult; readonly alignment?: AlignmentResult | null } = {},
  ): Promise<RunResults> {
    if (extra.alignment) await writeAlignmentFile(alignmentPath(this.dir), extra.alignment);
    if (extra.perQuery !== undefined) await writePerQueryFile(this.perQueryPath, extra.perQuery);
    return writeResultsFile(this.resultsPath, results);
  }

  /** results.json checked (run-files/results.ts), or null when there is none; a corrupt one is a DataError. */
  async readResults(): Promise<RunResults | null> {
    return readResultsFileIfExists(this.resultsPath);
  }

  /** per-query.json, or null for a run without one (unfinished, or trained before it existed). */
  async readPerQuery(): Promise<PerQueryResult | null> {
    return readPerQueryFile(this.perQueryPath);
  }
}

/** One run's headline numbers, for printing runs side by side. */
export interface RunSummary {
  readonly dir: string;
  /** The config's sampler name, with α for the hybrid ("hybrid α=0.5"). */
  readonly sampler: string;
  readonly model: string;
  readonly steps: number;
  readonly dataset: string | null;
  /** Which checkpoint results.json evaluated, and its step ("best@250"); null without results. */
  readonly checkpoint: string | null;
  readonly bestValLoss: number | null;
  readonly mono: number | null;
  readonly cross: number | null;
  readonly multi: number | null;
  readonly rankDistance: number | null;
}

/** Reads a run directory's config.json and (if present) results.json. */
export async function readRunSummary(dir: string): Promise<RunSummary> {
  const run = new RunDir(dir);
  let config: { sampler?: { name?: string; alpha?: unknown }; model?: { ref?: string }; steps?: number };
  try {
    config = (await run.readConfigFile()).json;
  } catch (err) {
    throw new DataError(dir, `is not a run directory (cannot read ${CONFIG_NAME}: ${(err as Error).message})`);
  }
  const results = await run.readResults();
  const name = config.sampler?.name ?? "?";
  return {
    dir,
    sampler: name === "hybrid" ? `hybrid α=${String(config.sampler?.alpha)}` : name,
    model: config.model?.ref ?? "?",
    steps: config.steps ?? 0,
    dataset: results?.dataset ?? null,
    checkpoint: results ? `${results.run.checkpoint}@${results.run.checkpointStep}` : null,
    bestValLoss: results?.run.bestValLoss ?? null,
    mono: results?.mono.mean.map ?? null,
    cross: results?.cross.mean.map ?? null,
    multi: results?.multi.mean.map ?? null,
    rankDistance: results?.languageBias.mean ?? null,
  };
}

/**
 * Runs side by side, one row each: mono / cross / multi mAP (higher is better) and rank
 * distance (lower is better), the paper's Tables 1 and 2 for one benchmark.
 *
 * @example
 * console.log(formatRunComparison(await Promise.all(dirs.map(readRunSummary))));
 */
export function formatRunComparison(runs: readonly RunSummary[]): string {
  const f = (v: number | null, digits: number) => (v === null ? "-" : v.toFixed(digits));
  const header = ["run", "model", "sampler", "steps", "evaluated", "val loss", "dataset", "mono mAP", "cross mAP", "multi mAP", "rank dist"];
  const rows = runs.map((r) => [
    r.dir,
    r.model,
    r.sampler,
    String(r.steps),
    r.checkpoint ?? "(no results.json)",
    f(r.bestValLoss, 4),
    r.dataset ?? "-",
    f(r.mono, 3),
    f(r.cross, 3),
    f(r.multi, 3),
    f(r.rankDistance, 1),
  ]);
  return textTable(header, rows, { leftColumns: 7, rule: true });
}
