/**
 * A grid's aggregate, beside its run directories under the outputRoot: results.json (an array of
 * rows, what a DataFrame reads; not a run's results.json) and results.csv (RFC 4180, the same
 * rows). Rebuilt whole from the run directories by every `ablate --aggregate`, so it carries no
 * schema version of its own: an older one is regenerated, never migrated.
 */
import { join } from "node:path";
import type { AggregateRow } from "../ablate/types.js";
import { DataError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject, readJsonFile } from "../util/json-fields.js";

export const AGGREGATE_JSON = "results.json";
export const AGGREGATE_CSV = "results.csv";

/** The results.csv columns, in order (every key of AggregateRow). */
export const AGGREGATE_COLUMNS: readonly (keyof AggregateRow)[] = [
  "key",
  "dir",
  "model",
  "train",
  "eval",
  "strategy",
  "alpha",
  "seed",
  "state",
  "steps",
  "checkpointStep",
  "bestValLoss",
  "monoMap",
  "crossMap",
  "multiMap",
  "rankDistance",
  "pairsPerSec",
  "gitCommit",
];

/** Writes `<outputRoot>/results.json` and `<outputRoot>/results.csv`, each atomically; returns their paths. */
export async function writeAggregate(outputRoot: string, rows: readonly AggregateRow[]): Promise<{ json: string; csv: string }> {
  const json = join(outputRoot, AGGREGATE_JSON);
  const csv = join(outputRoot, AGGREGATE_CSV);
  await writeFileAtomic(json, JSON.stringify(rows, null, 2) + "\n");
  await writeFileAtomic(csv, aggregateCsv(rows));
  return { json, csv };
}

/** RFC 4180: a header of AGGREGATE_COLUMNS, CRLF line ends, fields quoted when they hold `,` `"` CR or LF; null is empty. */
export function aggregateCsv(rows: readonly AggregateRow[]): string {
  const field = (v: unknown): string => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [AGGREGATE_COLUMNS.join(","), ...rows.map((r) => AGGREGATE_COLUMNS.map((c) => field(r[c])).join(","))].map((l) => `${l}\r\n`).join("");
}

const NUMBER_OR_NULL: readonly (keyof AggregateRow)[] = ["checkpointStep", "bestValLoss", "monoMap", "crossMap", "multiMap", "rankDistance", "pairsPerSec"];
const STRINGS: readonly (keyof AggregateRow)[] = ["key", "dir", "model", "train", "strategy", "state"];

/** `<outputRoot>/results.json` read back; a row that is not one is a DataError naming the row and field. */
export async function readAggregate(outputRoot: string): Promise<AggregateRow[]> {
  const path = join(outputRoot, AGGREGATE_JSON);
  const json = await readJsonFile(path);
  if (!Array.isArray(json)) throw new DataError(path, `must hold an array of rows, got ${JSON.stringify(json)?.slice(0, 80)}`);
  return json.map((row: unknown, i) => {
    const bad = (field: string, what: string, value: unknown): never => {
      throw new DataError(path, `[${i}].${field} must be ${what}, got ${JSON.stringify(value)} (rebuild it with ablate --aggregate)`);
    };
    if (!isPlainObject(row)) return bad("", "an object", row);
    for (const key of STRINGS) if (typeof row[key] !== "string") bad(key, "a string", row[key]);
    for (const key of NUMBER_OR_NULL) if (row[key] !== null && typeof row[key] !== "number") bad(key, "a number or null", row[key]);
    for (const key of ["steps", "seed"]) if (!Number.isSafeInteger(row[key])) bad(key, "a whole number", row[key]);
    return row as unknown as AggregateRow;
  });
}
