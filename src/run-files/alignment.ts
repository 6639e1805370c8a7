/**
 * alignment.json of a run directory: the alignment measures (eval/alignment.ts) of the embeddings
 * results.json was scored on. Written before results.json.
 *
 * Versions: 1 had no `schemaVersion` (read as is); 2 added it.
 */
import type { AlignmentResult } from "../eval/alignment.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { fieldsOf, readJsonObjectIfExists, schemaVersionOf } from "./schema.js";

export const ALIGNMENT_NAME = "alignment.json";
export const ALIGNMENT_SCHEMA_VERSION = 2;

export async function writeAlignmentFile(path: string, alignment: AlignmentResult): Promise<void> {
  await writeFileAtomic(path, JSON.stringify({ schemaVersion: ALIGNMENT_SCHEMA_VERSION, ...alignment }) + "\n");
}

/** alignment.json at `path`, or null for a run without one; a file that is not one is a DataError naming the field. */
export async function readAlignmentFile(path: string): Promise<AlignmentResult | null> {
  const json = await readJsonObjectIfExists(path);
  if (json === null) return null;
  const { array, fail } = fieldsOf(path);
  schemaVersionOf(json, path, ALIGNMENT_SCHEMA_VERSION);
  if (!array(json, "languages").every((l) => typeof l === "string")) fail("languages", "an array of language codes", json.languages);
  const { schemaVersion: _version, ...alignment } = json;
  return alignment as unknown as AlignmentResult;
}
