/**
 * metrics.jsonl of a run directory: one JSON object per line, a "train" line per log interval,
 * a "val" line per validation, an "event" line for stops and resumes. Appended line by line, so
 * a killed process may leave its last line cut short (dropped on reading).
 *
 * Versions live on each line, as `schemaVersion`; a line without one is version 1, the current
 * one, which is therefore not written (a line of a later version is refused, naming the line).
 */
import { appendFile, readFile } from "node:fs/promises";
import { DataError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject } from "../util/json-fields.js";
import { schemaVersionOf } from "./schema.js";

export const METRICS_NAME = "metrics.jsonl";
export const METRICS_SCHEMA_VERSION = 1;

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

const METRICS_TYPES: ReadonlySet<unknown> = new Set(["train", "val", "event"]);

/** Why a parsed metrics.jsonl line is not a MetricsLine, or undefined when it is one. */
function metricsLineProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return "expected a JSON object";
  if (!METRICS_TYPES.has(value.type)) return `"type" must be train, val or event, got ${JSON.stringify(value.type)}`;
  if (!Number.isSafeInteger(value.step) || (value.step as number) < 0) return `"step" must be a whole number >= 0, got ${JSON.stringify(value.step)}`;
  if (value.type === "event" && typeof value.event !== "string") return `an event line needs a string "event"`;
  if (value.type === "val" && typeof value.valLoss !== "number" && value.valLoss !== null) return `a val line needs a number "valLoss"`;
  if (value.type === "train") {
    for (const key of ["loss", "lr", "gradNorm", "pairsPerSec", "secPerStep"]) {
      if (typeof value[key] !== "number" && value[key] !== null) return `a train line needs a number "${key}", got ${JSON.stringify(value[key])}`;
    }
  }
  return undefined;
}

export async function appendMetricsLine(path: string, line: MetricsLine): Promise<void> {
  await appendFile(path, JSON.stringify(line) + "\n");
}

/** Replaces the whole file with `lines`, atomically. */
export async function writeMetricsFile(path: string, lines: readonly MetricsLine[]): Promise<void> {
  await writeFileAtomic(path, lines.map((l) => JSON.stringify(l) + "\n").join(""));
}

/**
 * Every line of metrics.jsonl at `path` (none if it does not exist). A last line that does not
 * parse is what a killed process leaves half-written: it is dropped (the resumed run logs that
 * step again). A bad line before the last, or a whole line that is not a metrics line, is
 * corruption: a DataError naming the file, the line and the field.
 */
export async function readMetricsFile(path: string): Promise<MetricsLine[]> {
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
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
      throw new DataError(path, `line ${i + 1} is not JSON (${(err as Error).message})`);
    }
    const problem = metricsLineProblem(json);
    if (problem !== undefined) throw new DataError(path, `line ${i + 1}: ${problem}`);
    schemaVersionOf(json as Record<string, unknown>, path, METRICS_SCHEMA_VERSION, `line ${i + 1}: `);
    out.push(json as MetricsLine);
  }
  return out;
}
