import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadDataset } from "../../src/data/lareqa.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hybrid-ir ...args` in `cwd`, to completion. */
export async function cli(cwd: string, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A running `hybrid-ir ...args`, its output collected as it comes. */
export interface Running {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts `hybrid-ir ...args` in `cwd`; `detached` makes it a process group leader. */
export function start(cwd: string, args: readonly string[], detached = false): Running {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd, detached });
  const output = { stdout: "", stderr: "" };
  child.stdout!.on("data", (d: Buffer) => (output.stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, output, exited };
}

/** Polls `check` every 50 ms until it holds; fails after `seconds` with `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, seconds = 120): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of live processes whose command line mentions `text` (Linux /proc). */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(join("/proc", entry, "cmdline"), "utf8").catch(() => "");
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/** A 2-layer, 32-wide BERT with a 300-piece vocabulary (the parity fixture): it loads in milliseconds. */
export const TINY_MODEL = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-bert", import.meta.url));

/**
 * A run config that trains in a few seconds: {@link TINY_MODEL} over 160 MLQA-R de/en training
 * records (train.jsonl in the workspace), evaluated on XQuAD-R de, en × 20 question ids.
 */
export function tinyBase(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model: { ref: TINY_MODEL, seed: 1 },
    data: { train: "train.jsonl", validationFraction: 0.25 },
    sampler: { name: "hybrid", batchSize: 8, seed: 3, alpha: 0.5 },
    optim: { lr: 1e-3, warmupSteps: 2 },
    steps: 10,
    maxQueryLength: 32,
    maxPassageLength: 32,
    logEvery: 5,
    validateEvery: 5,
    checkpointEvery: 5,
    validationBatches: 2,
    eval: { dataset: "xquad-r", languages: ["de", "en"], maxQuestionIds: 20 },
    backend: "wasm",
    ...overrides,
  };
}

/** The tiny run config with a 1 × 32 `mini` (for reading grids: nothing is trained with it). */
export const miniBase = (overrides: Record<string, unknown> = {}) =>
  tinyBase({ model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 32, heads: 2, intermediate: 64 } }, ...overrides });

/**
 * Inside a describe(): a temporary directory, removed afterwards; `grid(json)` writes a grid (or
 * any JSON) file into it under a fresh name, or `name`, and returns its path.
 */
export function gridFiles(prefix: string): { dir: () => string; grid: (json: unknown, name?: string) => Promise<string> } {
  let dir = "";
  let count = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    grid: async (json, name = `g${count++}.json`) => {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(json));
      return path;
    },
  };
}

/**
 * Inside a describe(): a temporary directory holding train.jsonl (for {@link tinyBase}), removed
 * afterwards; `write(name, json)` puts a JSON file into it.
 */
export function workspace(prefix: string): { dir: () => string; write: (name: string, json: unknown) => Promise<string> } {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    write: async (name, json) => {
      const path = join(dir, name);
      await writeFile(path, JSON.stringify(json, null, 2));
      return path;
    },
  };
}


/** Events ("resumed", "interrupted", ...) in a run directory's metrics.jsonl. */
export async function events(runDir: string): Promise<string[]> {
  const text = await readFile(join(runDir, "metrics.jsonl"), "utf8");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { type: string; event?: string })
    .flatMap((l) => (l.type === "event" ? [l.event!] : []));
}

/** RFC 4180 parsing, the obvious way (quoted fields, doubled quotes, CRLF rows), to read results.csv back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  assert.equal(field + row.join(""), "", "the last row ends with CRLF");
  return rows;
}

export { rejectsData } from "../model/helpers.js";
