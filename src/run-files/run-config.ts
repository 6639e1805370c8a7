/**
 * config.json of a run directory, and run-config.json of each of its checkpoints: the resolved
 * run config (runConfigToJson) plus `provenance` (what it ran on) and `schemaVersion`. The file
 * is itself a valid --config (config.ts ignores `provenance` and `schemaVersion`), and a
 * checkpoint copied elsewhere still says which run made it, as nanoGPT's checkpoints do.
 *
 * Versions: 1 had no `schemaVersion` (read as is); 2 added it.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { matMulProvenance, type MatMulProvenance } from "../compute/blas.js";
import { DataError } from "../util/errors.js";
import { packageRoot } from "../paths.js";
import { resolveRunConfig, runConfigToJson, type RunConfig } from "../train/config.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { Json } from "../util/json-fields.js";
import { fieldsOf, readJsonObject, schemaVersionOf } from "./schema.js";

export const CONFIG_NAME = "config.json";
/** The run config inside a checkpoint directory (whose config.json is the model's). */
export const CHECKPOINT_CONFIG_NAME = "run-config.json";
export const RUN_CONFIG_SCHEMA_VERSION = 2;

/** What the run ran on, saved beside its config. */
export interface Provenance {
  /** `git rev-parse HEAD` of the code's checkout; null outside a git checkout. */
  readonly gitCommit: string | null;
  /** Whether tracked files differed from that commit; null outside a git checkout. */
  readonly gitDirty: boolean | null;
  readonly packageVersion: string;
  /** The tfjs backend that actually ran ("auto" resolved). */
  readonly backend: string;
  /**
   * What computed wasm's matrix products (compute/blas.ts); null on other backends and in runs
   * from before it was recorded, which all used XNNPACK.
   */
  readonly matmul: MatMulProvenance | null;
  readonly node: string;
  /** ISO time the run started (a resumed run keeps its first start). */
  readonly createdAt: string;
}

/** A run config file as read: the config's JSON (what resolveRunConfig takes) and its provenance. */
export interface RunConfigFile {
  readonly schemaVersion: number;
  /** The config without `schemaVersion`; `provenance` stays in it (the resolver ignores it). */
  readonly json: Json;
  /** null for a config.json written by hand (no `provenance`). */
  readonly provenance: Provenance | null;
}

export async function writeRunConfigFile(path: string, config: RunConfig, provenance: Provenance): Promise<void> {
  const file = { schemaVersion: RUN_CONFIG_SCHEMA_VERSION, ...runConfigToJson(config), provenance };
  await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n");
}

/** Reads a run config file; a bad `schemaVersion` or `provenance` is a DataError naming the file and field. */
export async function readRunConfigFile(path: string): Promise<RunConfigFile> {
  return parseRunConfigFile(await readJsonObject(path), path);
}

export function parseRunConfigFile(file: Json, path: string): RunConfigFile {
  const schemaVersion = schemaVersionOf(file, path, RUN_CONFIG_SCHEMA_VERSION);
  const { schemaVersion: _version, ...json } = file;
  return { schemaVersion, json, provenance: json.provenance === undefined ? null : parseProvenance(json.provenance, path) };
}

function parseProvenance(value: unknown, path: string): Provenance {
  const { fail, object, text } = fieldsOf(path);
  const p = object({ provenance: value }, "provenance");
  const nullable = <T>(field: string, ok: (v: unknown) => v is T, what: string): T | null => {
    const v = p[field];
    return v === null || v === undefined ? null : ok(v) ? v : fail(`provenance.${field}`, what, v);
  };
  const root = { provenance: p };
  return {
    gitCommit: nullable("gitCommit", (v): v is string => typeof v === "string", "a string or null"),
    gitDirty: nullable("gitDirty", (v): v is boolean => typeof v === "boolean", "true, false or null"),
    packageVersion: text(root, "provenance.packageVersion"),
    backend: text(root, "provenance.backend"),
    matmul: p.matmul === undefined || p.matmul === null ? null : parseMatMul(p.matmul, path),
    node: text(root, "provenance.node"),
    createdAt: text(root, "provenance.createdAt"),
  };
}

function parseMatMul(value: unknown, path: string): MatMulProvenance {
  const { fail, object, text } = fieldsOf(path);
  const m = object({ provenance: { matmul: value } }, "provenance.matmul");
  const engine = m.engine;
  if (engine !== "xnnpack" && engine !== "blas") return fail("provenance.matmul.engine", `"xnnpack" or "blas"`, engine);
  if (engine === "xnnpack") return { engine, threads: null, library: null };
  const threads = m.threads;
  if (!Number.isInteger(threads) || (threads as number) < 1) return fail("provenance.matmul.threads", "a positive integer", threads);
  return { engine, threads: threads as number, library: text({ provenance: { matmul: m } }, "provenance.matmul.library") };
}

/** The engine of a run's products, runs from before it was recorded counted as XNNPACK's. */
export function recordedMatMul(provenance: Provenance | null): MatMulProvenance | null {
  if (provenance === null || provenance.backend !== "wasm") return null;
  return provenance.matmul ?? { engine: "xnnpack", threads: null, library: null };
}

/**
 * The resolved config of a run config file; `cwd` anchors a relative outputDir (a run's own
 * config.json has an absolute one).
 */
export async function readResolvedRunConfig(path: string, cwd?: string): Promise<RunConfig> {
  return resolveRunConfig((await readRunConfigFile(path)).json, path, {}, cwd);
}

/** The run config a checkpoint directory carries, resolved; a checkpoint from before it did is a DataError naming the missing file. */
export async function readCheckpointRunConfig(checkpointDir: string): Promise<RunConfig> {
  return readResolvedRunConfig(join(checkpointDir, CHECKPOINT_CONFIG_NAME), checkpointDir);
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
    matmul: backend === "wasm" ? matMulProvenance() : null,
    node: process.version,
    createdAt: new Date().toISOString(),
  };
}

