/**
 * Shipped results: a grid's finished runs committed to the repository without their checkpoints,
 * so the notebooks render a preset's tables on a fresh clone without training it, and CI retrains a
 * few of its runs and requires the same numbers. That check holds because a run is deterministic:
 * the same resolved config gives the same bytes whatever the thread count or the runs beside it,
 * on the same engine for wasm's matrix products (provenance.matmul; the BLAS's thread count, 1
 * unless asked otherwise, is part of it), which the check reuses (`shippedMatMulEnv`).
 *
 *   <shipped>/manifest.json        what was shipped: grid, commit, date, machine, runs
 *   <shipped>/<key>/config.json    the run's files as the run wrote them, checkpoints left out
 *                   results.json, metrics.jsonl, alignment.json
 *                   per-query.json.gz   (gzip: ~3× smaller; the tables need every query)
 *
 * Installing copies a shipped run into its run directory under the grid's outputRoot, where every
 * reader finds it as a complete run, and adds shipped.json saying where it came from. A run
 * directory that exists is never touched: runs trained here always win.
 */
import { cpus } from "node:os";
import { mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { alignmentPath, configPath, metricsPath, perQueryPath, resultsPath, SHIPPED_NAME } from "../run-files/paths.js";
import { readAlignmentFile } from "../run-files/alignment.js";
import { readMetricsFile } from "../run-files/metrics.js";
import { parsePerQuery } from "../run-files/per-query.js";
import { readResultsFile } from "../run-files/results.js";
import { BLAS_THREADS_ENV, MATMUL_ENV } from "../compute/blas.js";
import { currentProvenance, readRunConfigFile, recordedMatMul } from "../run-files/run-config.js";
import { removeStaleTempFiles } from "../util/atomic-write.js";
import { DataError } from "../util/errors.js";
import { pathExists } from "../util/fs.js";
import { isPlainObject, readJsonFile, readJsonFileIfExists, type Json } from "../util/json-fields.js";
import { packageRoot } from "../paths.js";
import type { Grid } from "./grid.js";
import { runState } from "./run-state.js";
import type { GridRun, RunLabels } from "./types.js";

export const SHIPPED_MANIFEST = "manifest.json";
const FORMAT = "hybrid-ir-shipped-results/1";
const PER_QUERY_GZ = "per-query.json.gz";
/** Run files shipped as they are (per-query.json is gzipped). */
const PLAIN_FILES = [configPath, resultsPath, metricsPath, alignmentPath] as const;

export interface ShippedManifest {
  readonly format: typeof FORMAT;
  /** The grid file, relative to the package root. */
  readonly grid: string;
  readonly shippedAt: string;
  /** The checkout's commit when shipped (each run's own commit is in its config.json). */
  readonly commit: string | null;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly platform: string };
  readonly runs: readonly { readonly index: number; readonly key: string; readonly labels: RunLabels }[];
}

/** shipped.json in an installed run directory. */
export interface ShippedMarker {
  /** The shipped folder, relative to the package root. */
  readonly from: string;
  readonly commit: string | null;
  readonly shippedAt: string;
  readonly installedAt: string;
}

/**
 * Writes every run of `grid` into `dir` (replacing what was there), once all of them are complete.
 *
 * @example
 * await shipGrid(await readGrid("configs/grids/small.json"), "results/small");
 */
export async function shipGrid(grid: Grid, dir: string): Promise<ShippedManifest> {
  const unfinished: string[] = [];
  for (const run of grid.runs) if ((await runState(run.config.outputDir, run.config)) !== "complete") unfinished.push(`[${run.index}] ${run.key}`);
  if (unfinished.length > 0) {
    throw new DataError(grid.outputRoot, `${unfinished.length} of ${grid.runs.length} runs are not complete (${unfinished.join(", ")}): finish the grid before shipping it`);
  }
  const provenance = await currentProvenance("-");
  const manifest: ShippedManifest = {
    format: FORMAT,
    grid: relative(packageRoot(), grid.file),
    shippedAt: new Date().toISOString(),
    commit: provenance.gitCommit,
    machine: { cpu: cpus()[0]?.model ?? "unknown", cores: cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
    runs: grid.runs.map((r) => ({ index: r.index, key: r.key, labels: r.labels })),
  };
  // Built beside the target and swapped in, so a failed or interrupted ship leaves the old one whole.
  const tmp = `${dir}.${process.pid}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  try {
    for (const run of grid.runs) {
      const from = run.config.outputDir;
      const to = join(tmp, run.key);
      await mkdir(to, { recursive: true });
      for (const path of PLAIN_FILES) {
        const bytes = await readFile(path(from)).catch((err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT" && path === alignmentPath) return null;
          throw err;
        });
        if (bytes !== null) await writeFile(path(to), bytes);
      }
      await writeFile(join(to, PER_QUERY_GZ), gzipSync(await readFile(perQueryPath(from)), { level: 9 }));
    }
    await writeFile(join(tmp, SHIPPED_MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/** The manifest of a shipped folder; null when there is none. */
export async function readShippedManifest(dir: string): Promise<ShippedManifest | null> {
  const path = join(dir, SHIPPED_MANIFEST);
  const json = await readJsonFileIfExists(path);
  if (json === null) return null;
  if (!isPlainObject(json) || json.format !== FORMAT || !Array.isArray(json.runs) || typeof json.grid !== "string" || typeof json.shippedAt !== "string") {
    throw new DataError(path, `not a shipped-results manifest (expected "format": "${FORMAT}" with grid, shippedAt and runs)`);
  }
  for (const [i, run] of json.runs.entries()) {
    if (!isPlainObject(run) || typeof run.key !== "string" || !/^[0-9a-f]{12}$/.test(run.key)) throw new DataError(path, `runs[${i}]: expected an object with a 12-hex-digit "key"`);
  }
  return json as unknown as ShippedManifest;
}

export interface InstallReport {
  /** Runs copied into their run directories now. */
  readonly installed: readonly GridRun[];
  /** Runs whose directory already existed (trained or installed before): left alone. */
  readonly present: readonly GridRun[];
  /** Runs of the grid that the shipped folder lacks (a stale folder, or a grid edited since). */
  readonly missing: readonly GridRun[];
}

/**
 * Copies each shipped run of `grid` that has no run directory yet into one. Every file is read
 * back through its own reader first, so a damaged shipped file is a DataError naming it and
 * installs nothing half-made.
 */
export async function installShipped(grid: Grid, dir: string): Promise<InstallReport> {
  const manifest = await readShippedManifest(dir);
  // What an install killed midway left (its temporary run directory) goes before this one starts.
  await removeStaleTempFiles(grid.outputRoot);
  const shipped = new Set(manifest?.runs.map((r) => r.key) ?? []);
  const installed: GridRun[] = [];
  const present: GridRun[] = [];
  const missing: GridRun[] = [];
  for (const run of grid.runs) {
    if (!shipped.has(run.key)) missing.push(run);
    else if ((await runState(run.config.outputDir, run.config)) !== "new") present.push(run);
    else if (await installRun(run, dir, manifest!)) installed.push(run);
    else present.push(run);
  }
  return { installed, present, missing };
}

async function installRun(run: GridRun, dir: string, manifest: ShippedManifest): Promise<boolean> {
  const from = join(dir, run.key);
  const target = run.config.outputDir;
  const tmp = join(target, "..", `.${run.key}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    // outputDir names the directory the run is in: the one it is installed into, not the trainer's.
    const config = await readJson(configPath(from));
    config.outputDir = target;
    await writeFile(configPath(tmp), JSON.stringify(config, null, 2) + "\n");
    const results = await readJson(resultsPath(from));
    if (isPlainObject(results.run)) results.run.outputDir = target;
    await writeFile(resultsPath(tmp), JSON.stringify(results, null, 2) + "\n");
    await writeFile(metricsPath(tmp), await readFile(metricsPath(from)));
    if (await pathExists(alignmentPath(from))) await writeFile(alignmentPath(tmp), await readFile(alignmentPath(from)));
    await writeFile(perQueryPath(tmp), await gunzipFile(join(from, PER_QUERY_GZ)));
    const marker: ShippedMarker = {
      from: relative(packageRoot(), dir),
      commit: manifest.commit,
      shippedAt: manifest.shippedAt,
      installedAt: new Date().toISOString(),
    };
    await writeFile(join(tmp, SHIPPED_NAME), JSON.stringify(marker, null, 2) + "\n");
    await checkRunFiles(tmp);
    // An empty directory (made and left by a start that failed early) is "new" too.
    await rmdir(target).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await rename(tmp, target);
    return true;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    // Something else (a trainer, another notebook) made the directory meanwhile: it owns it.
    if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") return false;
    if (err instanceof DataError) throw new DataError(err.file.replace(tmp, from), err.problem);
    throw err;
  }
}

/** Reads every file of a run directory through its reader (each throws a DataError naming the file). */
async function checkRunFiles(dir: string): Promise<void> {
  await readRunConfigFile(configPath(dir));
  await readResultsFile(resultsPath(dir));
  await readMetricsFile(metricsPath(dir));
  await readAlignmentFile(alignmentPath(dir));
  const perQuery = perQueryPath(dir);
  parsePerQuery(JSON.parse(await readFile(perQuery, "utf8")) as unknown, perQuery);
}

async function gunzipFile(path: string): Promise<Buffer> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    throw err.code === "ENOENT" ? new DataError(path, "missing") : err;
  });
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DataError(path, `not a whole gzip file (${(err as Error).message})`);
  }
}

async function readJson(path: string): Promise<Json> {
  const json = await readJsonFile(path);
  if (!isPlainObject(json)) throw new DataError(path, "expected a JSON object");
  return json;
}

/**
 * The environment that retrains `runs` on the matrix-product engine (and BLAS thread count)
 * their shipped copies recorded, so that they can come out the same bit for bit: XNNPACK for
 * runs from before the engine was recorded. Empty when none ran on wasm; shipped runs that
 * disagree are a DataError naming the folder.
 */
export async function shippedMatMulEnv(runs: readonly GridRun[], dir: string): Promise<Record<string, string>> {
  const settings = new Map<string, Record<string, string>>();
  for (const run of runs) {
    const path = join(dir, run.key, "config.json");
    if (!(await pathExists(path))) continue;
    const matmul = recordedMatMul((await readRunConfigFile(path)).provenance);
    if (matmul === null) continue;
    const env: Record<string, string> = matmul.engine === "xnnpack" ? { [MATMUL_ENV]: "xnnpack" } : { [MATMUL_ENV]: "blas", [BLAS_THREADS_ENV]: String(matmul.threads) };
    settings.set(JSON.stringify(env), env);
  }
  if (settings.size > 1) throw new DataError(dir, `the shipped runs were trained on different matrix-product settings (${[...settings.keys()].join(", ")})`);
  return [...settings.values()][0] ?? {};
}

/**
 * How the runs `runs` (trained here) differ from their shipped copies: one line per difference,
 * empty when they are the same run. Compared: results.json, per-query.json and alignment.json
 * whole, and metrics.jsonl line by line; left out are what differs between two machines for the
 * same computation (run directory, commit, throughput, timings).
 */
export async function compareWithShipped(runs: readonly GridRun[], dir: string): Promise<string[]> {
  const manifest = await readShippedManifest(dir);
  const shipped = new Set(manifest?.runs.map((r) => r.key) ?? []);
  const differences: string[] = [];
  for (const run of runs) {
    const here = run.config.outputDir;
    const there = join(dir, run.key);
    const head = `[${run.index}] ${run.key}`;
    if (!shipped.has(run.key)) {
      differences.push(`${head}: not in ${dir} (shipped from another version of the grid or trainer: ship it again)`);
      continue;
    }
    const pairs: [string, unknown, unknown][] = [
      ["results.json", withoutMachine(await readJson(resultsPath(here))), withoutMachine(await readJson(resultsPath(there)))],
      ["per-query.json", JSON.parse(await readFile(perQueryPath(here), "utf8")) as unknown, JSON.parse((await gunzipFile(join(there, PER_QUERY_GZ))).toString("utf8")) as unknown],
      ["alignment.json", await readJsonFileIfExists(alignmentPath(here)), await readJsonFileIfExists(alignmentPath(there))],
      ["metrics.jsonl", (await readMetricsFile(metricsPath(here))).map(withoutTimings), (await readMetricsFile(metricsPath(there))).map(withoutTimings)],
    ];
    for (const [file, a, b] of pairs) {
      const where = firstDifference(a, b, "");
      if (where !== null) differences.push(`${head} ${file}: ${where}`);
    }
  }
  return differences;
}

function withoutMachine(results: Json): Json {
  const run = isPlainObject(results.run) ? { ...results.run, outputDir: undefined, gitCommit: undefined } : results.run;
  return { ...results, run };
}

function withoutTimings(line: object): object {
  return { ...line, pairsPerSec: undefined, secPerStep: undefined };
}

/** The path of the first place where `a` and `b` differ ("mono.map: 0.3 vs 0.31"), or null. */
function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  const show = (v: unknown) => (v === undefined ? "absent" : JSON.stringify(v)?.slice(0, 60));
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${path || "(whole)"}: ${show(a)} here vs ${show(b)} shipped`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const where = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === "" ? k : `${path}.${k}`);
    if (where !== null) return where;
  }
  return null;
}

/** Where an installed run came from; null for a run trained here. */
export async function shippedMarker(runDir: string): Promise<ShippedMarker | null> {
  const json = await readJsonFileIfExists(join(runDir, SHIPPED_NAME));
  return isPlainObject(json) ? (json as unknown as ShippedMarker) : null;
}
