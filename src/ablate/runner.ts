/**
 * Runs an expanded grid: every run that is not complete is trained by a child process running
 * run-child.ts (the library's training entry as a script), up to `concurrency` at once, each
 * resumed where it stopped, so a grid killed at any moment continues with the same command.
 * What it writes under outputRoot:
 *
 *   grid.json            the expanded manifest: index, key, labels and resolved config of every run
 *   configs/<key>.json   the config a new run was started with (outputDir absolute)
 *   logs/<key>.log       the run's stdout and stderr, appended on every attempt
 *   <key>/               the run directory (kept a pure run directory, see run-dir.ts)
 *   results.json/.csv    the aggregate (aggregate.ts), after running
 *
 * Children are started in their own process group, so a Ctrl-C at the terminal reaches only the
 * runner, which passes one SIGINT on to each child (a second one would make the child quit without
 * saving). A child also kills itself when the runner disappears (killed with SIGKILL, say), as if
 * the whole job had been killed: no trainer outlives its runner to race a rerun in the same
 * directory.
 */
import { spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { appendFile, mkdir, open, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import type { BackendName } from "../compute/backend.js";
import { THREADS_ENV } from "../compute/threads.js";
import { runConfigToJson } from "../train/config.js";
import { readRunLock } from "../train/run-lock.js";
import { removeStaleTempFiles, writeFileAtomic } from "../util/atomic-write.js";
import { aggregateRuns, labelText, writeAggregate } from "./aggregate.js";
import type { Grid } from "./grid.js";
import { RUN_CHILD, requestArgs, type GridRunRequest } from "./run-child.js";
import { runKey, runState } from "./run-state.js";
import type { AggregateRow, GridRun, RunLabels, RunState } from "./types.js";
import { consoleLogger, type Logger } from "../util/logger.js";

/** Preloaded into each child: it SIGKILLs itself once its parent (the runner) is gone. */
const ORPHAN_GUARD =
  "data:text/javascript," +
  encodeURIComponent(`const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},200).unref();`);

export const MANIFEST_NAME = "grid.json";
export const CONFIGS_DIR = "configs";
export const LOGS_DIR = "logs";

export interface RunGridOptions {
  /** Runs trained at once (default 1). The wasm backend is single-threaded: 2 on 2 cores is ~2× the throughput. */
  readonly concurrency?: number;
  /** Aborting sends SIGINT to the running children (they save checkpoints/last), waits for them, starts nothing more. */
  readonly signal?: AbortSignal;
  /** Progress (info), diverged runs (warn) and failed runs (error); default the terminal at HYBRID_IR_LOG_LEVEL. */
  readonly logger?: Logger;
  /** Start diverged runs afresh (their run files removed) instead of skipping them. */
  readonly retryDiverged?: boolean;
  /**
   * Trains every run on this backend instead of the grid's, as `"set": { "backend": ... }` in the
   * grid file would: the backend is part of a run's key, so these are other run directories.
   */
  readonly backend?: BackendName;
  /** Only the runs with these indices (a SLURM array task); default all. */
  readonly only?: readonly number[];
  /** Aggregate the run directories afterwards (default true). */
  readonly aggregate?: boolean;
}

/** What happened to one run. */
export type RunOutcome =
  /** Trained from scratch (or retried after diverging) to completion. */
  | "trained"
  /** Continued from its checkpoint to completion. */
  | "resumed"
  /** Already complete. */
  | "skipped"
  /** Diverged (now or before); skipped unless retryDiverged. */
  | "diverged"
  /** The child exited with an error. */
  | "failed"
  /** Stopped by an abort; resumable. */
  | "interrupted"
  /** Its run directory is locked by another process (another runner, a SLURM task, a notebook): left to it. */
  | "busy";

export interface RunReport {
  readonly index: number;
  readonly key: string;
  readonly labels: RunLabels;
  readonly dir: string;
  readonly outcome: RunOutcome;
  /** The child's exit code (null: not started, or killed by a signal). */
  readonly exitCode: number | null;
  readonly seconds: number;
  /** Why a "busy" run was left alone. */
  readonly note: string | null;
}

export interface GridSummary {
  readonly runs: readonly RunReport[];
  readonly failed: number;
  readonly interrupted: boolean;
  /** The aggregate, unless `aggregate: false`. */
  readonly rows: readonly AggregateRow[] | null;
}

/**
 * Trains every run of `grid` that is not complete, then aggregates the run directories.
 *
 * @example
 * const grid = await readGrid("configs/grids/small.json");
 * const summary = await runGrid(grid, { concurrency: 2 });
 * console.log(formatAggregate(summary.rows ?? []));
 */
export async function runGrid(grid: Grid, options: RunGridOptions = {}): Promise<GridSummary> {
  if (options.backend !== undefined) grid = onBackend(grid, options.backend);
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
  const logger = options.logger ?? consoleLogger();
  const signal = options.signal;
  await writeManifest(grid);
  await mkdir(join(grid.outputRoot, LOGS_DIR), { recursive: true });
  await removeStaleTempFiles(grid.outputRoot);

  const selected = options.only === undefined ? grid.runs : grid.runs.filter((r) => options.only!.includes(r.index));
  const initial = await Promise.all(selected.map((r) => runState(r.config.outputDir, r.config)));
  const toTrain = initial.filter((s) => s === "new" || s === "partial" || (s === "diverged" && options.retryDiverged)).length;
  const counts = (["new", "partial", "complete", "diverged"] as const).map((s) => `${initial.filter((x) => x === s).length} ${s}`);
  logger.info(
    `grid ${grid.file}: ${selected.length} run${selected.length === 1 ? "" : "s"} (${counts.join(", ")}), ${toTrain} to train, ` +
      `concurrency ${concurrency}; logs in ${relativePath(join(grid.outputRoot, LOGS_DIR))}`,
  );

  const reports: RunReport[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  // Runs at once share the cores: each child's encoding gets its share of worker threads, unless
  // HYBRID_IR_THREADS says otherwise (more threads than cores only adds start-up and switching).
  const childEnv = { ...process.env, [THREADS_ENV]: process.env[THREADS_ENV] ?? String(Math.max(1, Math.floor(availableParallelism() / concurrency))) };
  const onAbort = () => {
    for (const child of children) child.kill("SIGINT");
  };
  signal?.addEventListener("abort", onAbort);
  const durations: number[] = [];
  let next = 0;
  const progress = () => {
    const trained = durations.length;
    const mean = trained > 0 ? durations.reduce((a, b) => a + b, 0) / trained : NaN;
    const eta = Number.isFinite(mean) ? formatSeconds((mean * Math.max(0, toTrain - trained)) / concurrency) : "?";
    return `${reports.length}/${selected.length} done, ETA ${eta}`;
  };

  const worker = async () => {
    while (next < selected.length && !signal?.aborted) {
      const run = selected[next++];
      const report = await runOne(run);
      reports.push(report);
      if (report.seconds > 0 && report.outcome !== "interrupted") durations.push(report.seconds);
      const head = `[${run.index}] ${run.key}`;
      if (report.outcome === "skipped") logger.info(`${head} complete, skipped · ${progress()}`);
      else if (report.outcome === "diverged") logger.warn(`${head} diverged (see ${relativePath(logPath(grid, run))}); --retry-diverged starts it afresh · ${progress()}`);
      else if (report.outcome === "busy") logger.warn(`${head} ${report.note}, left to it · ${progress()}`);
      else if (report.outcome === "interrupted") logger.info(`${head} interrupted after ${formatSeconds(report.seconds)}; resumable · ${progress()}`);
      else if (report.outcome === "failed") {
        const lines = (await tail(logPath(grid, run), 15)).map((line) => `\n    ${line}`).join("");
        logger.error(`${head} FAILED (exit ${report.exitCode ?? "by signal"}) after ${formatSeconds(report.seconds)} · ${progress()}; last lines of ${relativePath(logPath(grid, run))}:${lines}`);
      } else logger.info(`${head} ${report.outcome} in ${formatSeconds(report.seconds)} · ${progress()}`);
    }
  };

  const runOne = async (run: GridRun): Promise<RunReport> => {
    const dir = run.config.outputDir;
    const state = await runState(dir, run.config);
    const report = (outcome: RunOutcome, exitCode: number | null = null, seconds = 0, note: string | null = null): RunReport => ({
      index: run.index,
      key: run.key,
      labels: run.labels,
      dir,
      outcome,
      exitCode,
      seconds,
      note,
    });
    if (state === "complete") return report("skipped");
    if (state === "diverged" && !options.retryDiverged) return report("diverged");
    // Another process training this run would make the child fail on the lock; say so instead.
    const lock = await readRunLock(dir).catch(() => null);
    if (lock !== null && lock.alive !== false) {
      return report("busy", null, 0, `in use by PID ${lock.owner.pid} on ${lock.owner.host} since ${lock.owner.startedAt}`);
    }
    // "new" may be a directory a killed run left with no config.json yet; starting removes only run files.
    const request: GridRunRequest = state === "partial" ? { mode: "resume", dir } : { mode: "start", configFile: await writeRunConfig(grid, run) };
    const action = state === "partial" ? "resuming" : state === "diverged" ? "retrying afresh" : "training";
    logger.info(`[${run.index}] ${run.key} ${labelText(run.labels)}: ${state}, ${action} · ${progress()}`);
    const started = Date.now();
    const exit = await spawnTrain(logPath(grid, run), request, children, signal, childEnv);
    const seconds = (Date.now() - started) / 1000;
    if (exit.code === 130 || exit.signal === "SIGINT" || (signal?.aborted && exit.code !== 0)) return report("interrupted", exit.code, seconds);
    const after = await runState(dir, run.config);
    if (exit.code === 0 && after === "complete") return report(state === "partial" ? "resumed" : "trained", 0, seconds);
    if (after === "diverged") return report("diverged", exit.code, seconds);
    return report("failed", exit.code, seconds);
  };

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, selected.length)) }, worker));
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  reports.sort((a, b) => a.index - b.index);
  const failed = reports.filter((r) => r.outcome === "failed").length;
  let rows: AggregateRow[] | null = null;
  if (options.aggregate !== false) {
    rows = await aggregateRuns(grid.outputRoot, grid.runs);
    await writeAggregate(grid.outputRoot, rows);
  }
  return { runs: reports, failed, interrupted: signal?.aborted === true, rows };
}

/**
 * Writes `<outputRoot>/grid.json`: every run's index, key, labels and resolved config. Left alone
 * when it already holds the same (SLURM array tasks all call this, possibly on several nodes).
 */
export async function writeManifest(grid: Grid): Promise<string> {
  const path = join(grid.outputRoot, MANIFEST_NAME);
  const manifest = {
    file: grid.file,
    outputRoot: grid.outputRoot,
    comment: grid.comment,
    runs: grid.runs.map((r) => ({ index: r.index, key: r.key, labels: r.labels, config: runConfigToJson(r.config) })),
  };
  const text = JSON.stringify(manifest, null, 2) + "\n";
  const old = await readFile(path, "utf8").catch(() => null);
  if (old !== text) await writeFileAtomic(path, text);
  return path;
}

/** `<outputRoot>/configs/<key>.json`, what `train --config` starts a new run from. */
async function writeRunConfig(grid: Grid, run: GridRun): Promise<string> {
  const path = join(grid.outputRoot, CONFIGS_DIR, `${run.key}.json`);
  await writeFileAtomic(path, JSON.stringify(runConfigToJson(run.config), null, 2) + "\n");
  return path;
}

/** The grid with every run on `backend`, re-keyed (runs that become equal are kept once). */
function onBackend(grid: Grid, backend: BackendName): Grid {
  const runs: GridRun[] = [];
  const seen = new Set<string>();
  for (const run of grid.runs) {
    const key = runKey({ ...run.config, backend });
    if (seen.has(key)) continue;
    seen.add(key);
    runs.push({ ...run, index: runs.length, key, config: { ...run.config, backend, outputDir: join(grid.outputRoot, key) } });
  }
  return { ...grid, runs };
}

function logPath(grid: Grid, run: GridRun): string {
  return join(grid.outputRoot, LOGS_DIR, `${run.key}.log`);
}

/** Runs `request` in a child (run-child.ts) with stdout and stderr appended to `log`; resolves when it exits. */
async function spawnTrain(
  log: string,
  request: GridRunRequest,
  children: Set<ReturnType<typeof spawn>>,
  signal: AbortSignal | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const args = requestArgs(request);
  await appendFile(log, `\n=== ${new Date().toISOString()} ${args.join(" ")}\n`);
  const handle = await open(log, "a");
  try {
    const child = spawn(process.execPath, ["--import", ORPHAN_GUARD, RUN_CHILD, ...args], {
      stdio: ["ignore", handle.fd, handle.fd],
      detached: true,
      env,
    });
    children.add(child);
    if (signal?.aborted) child.kill("SIGINT");
    return await new Promise((resolve) => {
      child.on("error", (err) => {
        children.delete(child);
        void appendFile(log, `cannot start: ${err.message}\n`).finally(() => resolve({ code: null, signal: null }));
      });
      child.on("exit", (code, sig) => {
        children.delete(child);
        resolve({ code, signal: sig });
      });
    });
  } finally {
    await handle.close();
  }
}

async function tail(path: string, lines: number): Promise<string[]> {
  const text = await readFile(path, "utf8").catch(() => "");
  // Progress bars redraw with \r; keep what a terminal would show.
  return text
    .split("\n")
    .map((l) => l.slice(l.lastIndexOf("\r") + 1))
    .filter((l) => l.trim() !== "")
    .slice(-lines);
}

function relativePath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

function formatSeconds(s: number): string {
  if (s >= 3600) return `${(s / 3600).toFixed(1)}h`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${s.toFixed(1)}s`;
}
