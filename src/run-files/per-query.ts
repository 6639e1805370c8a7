/**
 * per-query.json of a run directory: the end-of-run evaluation query by query (eval/result.ts's
 * PerQueryResult: AP per setting, rank distance, pool ranks), one column per field, all of one
 * length; what paired significance tests and bias plots read. Written before results.json, so a
 * complete run has both.
 *
 * Versions: 1 had no `schemaVersion` (read as is); 2 added it.
 */
import type { PerQueryResult } from "../eval/result.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fieldsOf, readJsonObjectIfExists, schemaVersionOf } from "./schema.js";

export const PER_QUERY_NAME = "per-query.json";
export const PER_QUERY_SCHEMA_VERSION = 2;

const COLUMNS = ["queryIndex", "lang", "monoAP", "crossAP", "multiAP", "rankDistance", "poolRank"] as const;

export async function writePerQueryFile(path: string, perQuery: PerQueryResult): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ schemaVersion: PER_QUERY_SCHEMA_VERSION, ...perQuery }) + "\n");
}

/** Checks a parsed per-query.json: every column an array, all of one length. */
export function parsePerQuery(json: unknown, path: string): PerQueryResult {
  const { fail, array, object } = fieldsOf(path);
  const file = object(json, "");
  schemaVersionOf(file, path, PER_QUERY_SCHEMA_VERSION);
  const length = array(file, "queryIndex").length;
  for (const column of [...COLUMNS, ...(file.queryId === undefined ? [] : ["queryId"])]) {
    const values = array(file, column);
    if (values.length !== length) fail(column, `${length} values (one per query, as queryIndex)`, `${values.length} values`);
  }
  const { schemaVersion: _version, ...perQuery } = file;
  return perQuery as unknown as PerQueryResult;
}

/** per-query.json at `path`, or null for a run without one (unfinished, or trained before it existed). */
export async function readPerQueryFile(path: string): Promise<PerQueryResult | null> {
  const json = await readJsonObjectIfExists(path);
  return json === null ? null : parsePerQuery(json, path);
}
