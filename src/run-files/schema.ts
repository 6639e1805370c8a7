/**
 * What every run file's reader shares: the schema version (a file written before versions
 * existed has none and reads as version 1) and field checks whose errors name the file and the
 * field, so a corrupt file is a DataError saying where, never a TypeError later.
 */
import { DataError } from "../util/errors.js";
import { isPlainObject, readJsonFile, readJsonFileIfExists, type Json } from "../util/json-fields.js";

/**
 * The schema version `json` was written with: its `schemaVersion`, or 1 without one. A version
 * above `current` was written by a newer hybrid-ir, which this one cannot read faithfully.
 * `where` prefixes the message ("line 3: ").
 */
export function schemaVersionOf(json: Json, path: string, current: number, where = ""): number {
  const v = json.schemaVersion;
  if (v === undefined) return 1;
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new DataError(path, `${where}schemaVersion must be a whole number >= 1, got ${JSON.stringify(v)}`);
  if ((v as number) > current) throw new DataError(path, `${where}schemaVersion ${String(v)} is newer than this hybrid-ir reads (${current}): update hybrid-ir`);
  return v as number;
}

/** Field checks on one parsed file; `hint` is appended to every message (what to do about it). */
export function fieldsOf(path: string, hint = "") {
  const fail = (field: string, what: string, value: unknown): never => {
    throw new DataError(path, `${field} must be ${what}, got ${JSON.stringify(value) ?? String(value)}${hint}`);
  };
  /** The value at a dotted path ("run.checkpoint"), each object on the way checked. */
  const at = (root: unknown, field: string): unknown => {
    let v = root;
    let walked = "";
    for (const key of field.split(".")) {
      if (!isPlainObject(v)) return fail(walked || "the file", "an object", v);
      v = v[key];
      walked = walked ? `${walked}.${key}` : key;
    }
    return v;
  };
  const int = (root: unknown, field: string): number => {
    const v = at(root, field);
    return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : fail(field, "a whole number >= 0", v);
  };
  const score = (root: unknown, field: string): number | null => {
    const v = at(root, field);
    return v === null || (typeof v === "number" && Number.isFinite(v)) ? (v as number | null) : fail(field, "a finite number or null", v);
  };
  const text = (root: unknown, field: string): string => {
    const v = at(root, field);
    return typeof v === "string" && v !== "" ? v : fail(field, "a non-empty string", v);
  };
  const object = (root: unknown, field: string): Json => {
    const v = field === "" ? root : at(root, field);
    return isPlainObject(v) ? v : fail(field || "the file", "a JSON object", v);
  };
  const array = (root: unknown, field: string): unknown[] => {
    const v = at(root, field);
    return Array.isArray(v) ? v : fail(field, "an array", v);
  };
  return { fail, at, int, score, text, object, array };
}

/** A JSON file that must hold an object; unreadable, invalid or not an object is a DataError naming it. */
export async function readJsonObject(path: string): Promise<Json> {
  const json = await readJsonFile(path);
  if (!isPlainObject(json)) throw new DataError(path, `must hold a JSON object, got ${JSON.stringify(json)?.slice(0, 80)}`);
  return json;
}

/** {@link readJsonObject}, or null when the file does not exist. */
export async function readJsonObjectIfExists(path: string): Promise<Json | null> {
  const json = await readJsonFileIfExists(path);
  if (json === null) return null;
  if (!isPlainObject(json)) throw new DataError(path, `must hold a JSON object, got ${JSON.stringify(json)?.slice(0, 80)}`);
  return json;
}
