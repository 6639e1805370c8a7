/**
 * A run directory: everything one training run writes, in one place.
 *
 *   config.json          the resolved config, plus `provenance` (git commit, package version,
 *                        backend, Node version, start time); itself a valid --config
 *   metrics.jsonl        one JSON object per line: a "train" line per log interval, a "val"
 *                        line per validation, an "event" line for stops (see MetricsLine)
 *   checkpoints/last/    the latest checkpoint; checkpoints/best/ the one with the lowest
 *                        validation loss (see checkpoint-state.ts for their contents)
 *   results.json         the end-of-run benchmark evaluation
 *   per-query.json       the same evaluation per query (AP per setting, rank distance, pool
 *                        ranks): what paired significance tests and bias plots need
 *   alignment.json       the alignment measures of the same embeddings (eval/alignment.ts)
 *
 *   run.lock             while a process writes into the directory: which one (run-lock.ts)
 *
 * Checkpoints are replaced atomically: written whole into `checkpoints/.tmp-<name>/`, then the old
 * one is renamed to `.old-<name>`, the new one renamed into place, and the old one removed. A
 * crash at any point leaves a complete checkpoint under `<name>` or under `.old-<name>`, and
 * opening the directory again puts the latter back.
 */
import { execFile } from "node:child_process";
import { appendFile, mkdir, readdir, readFile, rename, rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { DataError } from "../data/errors.js";
import type { PerQueryResult } from "../eval/result.js";
import { packageRoot } from "../paths.js";
import { isTempFileName, removeStaleTempFiles, writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject, readJsonFile, readJsonFileIfExists } from "../util/json-fields.js";
import { textTable } from "../util/text-table.js";
import { TRAINER_STATE_NAME } from "./checkpoint-state.js";
import { runConfigToJson, type RunConfig } from "./config.js";
import { pathExists } from "../util/fs.js";
import { acquireRunLock, LOCK_NAME, type HeldLock } from "./run-lock.js";

export const CONFIG_NAME = "config.json";
export const METRICS_NAME = "metrics.jsonl";
export const RESULTS_NAME = "results.json";
export const PER_QUERY_NAME = "per-query.json";
export const ALIGNMENT_NAME = "alignment.json";
export const CHECKPOINTS_DIR = "checkpoints";
export type CheckpointName = "last" | "best";

/** What the run ran on, saved beside its config. */
export interface Provenance {
  /** `git rev-parse HEAD` of the code's checkout; null outside a git checkout. */
  readonly gitCommit: string | null;
  /** Whether tracked files differed from that commit; null outside a git checkout. */
  readonly gitDirty: boolean | null;
  readonly packageVersion: string;
  /** The tfjs backend that actually ran ("auto" resolved). */
  readonly backend: string;
  readonly node: string;
  /** ISO time the run started (a resumed run keeps its first start). */
  readonly createdAt: string;
}

/** One line of metrics.jsonl. */
export type MetricsLine =
  | {
      readonly type: "train";
      readonly step: number;
      /** Mean training loss over the interval's steps. */
      readonly loss: number;
      /** Learning rate of the interval's last step. */
      readonly lr: number;
      /** Mean gradient norm before clipping over the interval. */
      readonly gradNorm: number;
      readonly pairsPerSec: number;
      readonly secPerStep: number;
      readonly epoch: number;
      /** The adversarial strategy's discriminator over the interval (adversarial.ts). */
      readonly adversary?: { readonly loss: number; readonly accuracy: number; readonly lambda: number };
    }
  | { readonly type: "val"; readonly step: number; readonly valLoss: number; readonly best: boolean }
  | { readonly type: "event"; readonly step: number; readonly event: string; readonly detail?: string };

export interface OpenRunDirOptions {
  /** Continue the run in `dir` (it must hold one). */
  readonly resume?: boolean;
  /** Start afresh in a directory that holds a previous run: its run files are deleted. */
  readonly overwrite?: boolean;
  /** Where "removed a stale lock / temporary file" lines go (default none). */
  readonly log?: (line: string) => void;
}

/**
 * Opens `dir` for a run and takes its lock (run-lock.ts); {@link RunDir.close} gives it back.
 * A fresh run needs a missing or empty directory; a non-empty one is refused unless `resume`
 * (then it must hold a run) or `overwrite` (then it must hold only a run's files, which are
 * removed: nothing else is ever deleted). Temporary files of killed writers are removed first.
 */
export async function openRunDir(dir: string, options: OpenRunDirOptions = {}): Promise<RunDir> {
  if (options.resume && options.overwrite) throw new DataError(dir, "give --resume or --overwrite, not both");
  const log = options.log ?? (() => undefined);
  const existed = await pathExists(dir);
  if (options.resume && !existed) throw new DataError(dir, `holds no run to resume (no such directory)`);
  await mkdir(dir, { recursive: true });
  let lock: HeldLock;
  try {
    lock = await acquireRunLock(dir, log);
  } catch (err) {
    if (!existed) await rmdir(dir).catch(() => undefined); // only if still empty: another process may be starting in it
    throw err;
  }
  const run = new RunDir(dir, lock, !existed);
  try {
    const removed = await removeStaleTempFiles(dir);
    if (removed.length > 0) log(`${dir}: removed ${removed.join(", ")}, left by a killed write`);
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

/** Everything a run writes (besides its lock). */
const RUN_FILES: readonly string[] = [CONFIG_NAME, METRICS_NAME, RESULTS_NAME, PER_QUERY_NAME, ALIGNMENT_NAME, CHECKPOINTS_DIR];

const METRICS_TYPES: ReadonlySet<unknown> = new Set(["train", "val", "event"]);

/** Why a parsed metrics.jsonl line is not a MetricsLine, or undefined when it is one. */
function metricsLineProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return "expected a JSON object";
  if (!METRICS_TYPES.has(value.type)) return `"type" must be train, val or event, got ${JSON.stringify(value.type)}`;
  if (!Number.isSafeInteger(value.step) || (value.step as number) < 0) return `"step" must be a whole number >= 0, got ${JSON.stringify(value.step)}`;
  if (value.type === "event" && typeof value.event !== "string") return `an event line needs a string "event"`;
  if (value.type === "val" && typeof value.valLoss !== "number" && value.valLoss !== null) return `a val line needs a number "valLoss"`;
  return undefined;
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
    return join(this.dir, CONFIG_NAME);
  }

  get metricsPath(): string {
    return join(this.dir, METRICS_NAME);
  }

  get resultsPath(): string {
    return join(this.dir, RESULTS_NAME);
  }

  get perQueryPath(): string {
    return join(this.dir, PER_QUERY_NAME);
  }

  checkpointPath(name: CheckpointName): string {
    return join(this.dir, CHECKPOINTS_DIR, name);
  }

  async writeConfig(config: RunConfig, provenance: Provenance): Promise<void> {
    await writeFileAtomic(this.configPath, JSON.stringify({ ...runConfigToJson(config), provenance }, null, 2) + "\n");
  }

  /** The config.json as written: the resolved config (with its `provenance`), unvalidated. */
  async readConfigJson(): Promise<Record<string, unknown>> {
    const json = await readJsonFile(this.configPath);
    if (!isPlainObject(json)) throw new DataError(this.configPath, `must hold a JSON object, got ${JSON.stringify(json)}`);
    return json;
  }

  async appendMetrics(line: MetricsLine): Promise<void> {
    await appendFile(this.metricsPath, JSON.stringify(line) + "\n");
  }

  /**
   * Every line of metrics.jsonl (none if it does not exist). A last line that does not parse is
   * what a killed process leaves half-written: it is dropped (the resumed run logs that step
   * again). A bad line before the last, or a whole line that is not a metrics line, is
   * corruption: a DataError naming the line.
   */
  async readMetrics(): Promise<MetricsLine[]> {
    const text = await readFile(this.metricsPath, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return "";
      throw err;
    });
    const lines = text.split("\n").filter((l) => l.trim() !== "");
    const out: MetricsLine[] = [];
    for (const [i, line] of lines.entries()) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        if (i === lines.length - 1 && !text.endsWith("\n")) break;
        throw new DataError(this.metricsPath, `line ${i + 1} is not JSON (${(err as Error).message})`);
      }
      const problem = metricsLineProblem(json);
      if (problem !== undefined) throw new DataError(this.metricsPath, `line ${i + 1}: ${problem}`);
      out.push(json as MetricsLine);
    }
    return out;
  }


  /**
   * Drops the lines after `step`: what a crashed run logged past its last checkpoint, which the
   * resumed run is about to log again.
   */
  async truncateMetrics(step: number): Promise<void> {
    const kept = (await this.readMetrics()).filter((l) => l.step <= step);
    await writeFileAtomic(this.metricsPath, kept.map((l) => JSON.stringify(l) + "\n").join(""));
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

  /** Writes per-query.json first, so a run with results.json (what "complete" means) always has both. */
  async writeResults(results: unknown, perQuery?: PerQueryResult): Promise<void> {
    if (perQuery !== undefined) await writeFileAtomic(this.perQueryPath, JSON.stringify(perQuery) + "\n");
    await writeFileAtomic(this.resultsPath, JSON.stringify(results, null, 2) + "\n");
  }

  /**
   * results.json checked as far as anything reads it back (aggregate, compare, "is this run
   * complete"), or null when there is none; a file that is there but corrupt is a DataError.
   */
  async readResults(): Promise<ResultsSummary | null> {
    const json = await readJsonFileIfExists(this.resultsPath);
    return json === null ? null : parseResultsSummary(json, this.resultsPath);
  }

  /** per-query.json, or null for a run without one (unfinished, or trained before it existed). */
  async readPerQuery(): Promise<PerQueryResult | null> {
    return (await readJsonFileIfExists(this.perQueryPath)) as PerQueryResult | null;
  }

}

/** The parts of results.json that are read back; the whole is `RunResults` (trainer.ts). */
export interface ResultsSummary {
  readonly dataset: string;
  readonly run: {
    readonly status: string;
    readonly steps: number;
    readonly checkpoint: CheckpointName;
    readonly checkpointStep: number;
    readonly bestValLoss: number | null;
  };
  readonly mono: { readonly mean: { readonly map: number | null } };
  readonly cross: { readonly mean: { readonly map: number | null } };
  readonly multi: { readonly mean: { readonly map: number | null } };
  readonly languageBias: { readonly mean: number | null };
}

/** Checks a parsed results.json; every problem is a DataError naming `path` and the field. */
export function parseResultsSummary(json: unknown, path: string): ResultsSummary {
  const fail = (field: string, what: string, value: unknown): never => {
    throw new DataError(path, `${field} must be ${what}, got ${JSON.stringify(value) ?? String(value)} (a corrupt results file: rerun the run's evaluation with train --resume)`);
  };
  const at = (root: unknown, field: string): unknown => {
    let v = root;
    for (const key of field.split(".")) {
      if (!isPlainObject(v)) return fail(field.slice(0, field.indexOf(key) - 1) || "the file", "an object", v);
      v = v[key];
    }
    return v;
  };
  const int = (field: string): number => {
    const v = at(json, field);
    return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, "a whole number >= 0", v);
  };
  const score = (field: string): number | null => {
    const v = at(json, field);
    return v === null || (typeof v === "number" && Number.isFinite(v)) ? (v as number | null) : fail(field, "a finite number or null", v);
  };
  const text = (field: string): string => {
    const v = at(json, field);
    return typeof v === "string" && v !== "" ? v : fail(field, "a non-empty string", v);
  };
  const dataset = text("dataset");
  const checkpoint = text("run.checkpoint");
  if (checkpoint !== "last" && checkpoint !== "best") fail("run.checkpoint", `"last" or "best"`, checkpoint);
  return {
    dataset,
    run: {
      status: text("run.status"),
      steps: int("run.steps"),
      checkpoint: checkpoint as CheckpointName,
      checkpointStep: int("run.checkpointStep"),
      bestValLoss: score("run.bestValLoss"),
    },
    mono: { mean: { map: score("mono.mean.map") } },
    cross: { mean: { map: score("cross.mean.map") } },
    multi: { mean: { map: score("multi.mean.map") } },
    languageBias: { mean: score("languageBias.mean") },
  };
}

/** The provenance of a run starting now on `backend`. */
export async function currentProvenance(backend: string): Promise<Provenance> {
  const root = packageRoot();
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { version?: string };
  const git = async (...args: string[]): Promise<string | null> => {
    try {
      const { stdout } = await promisify(execFile)("git", args, { cwd: root, timeout: 10_000 });
      return stdout.trim();
    } catch {
      return null;
    }
  };
  const gitCommit = await git("rev-parse", "HEAD");
  const status = gitCommit === null ? null : await git("status", "--porcelain", "--untracked-files=no");
  return {
    gitCommit,
    gitDirty: status === null ? null : status !== "",
    packageVersion: pkg.version ?? "unknown",
    backend,
    node: process.version,
    createdAt: new Date().toISOString(),
  };
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
    config = await run.readConfigJson();
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
