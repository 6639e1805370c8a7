/**
 * Checks shared by the JSON files users write (run configs, grids): every problem is a
 * DataError naming the file, and unknown keys are refused by name, so a typo never silently
 * falls back to a default.
 */
import { access, readFile } from "node:fs/promises";
import { DataError } from "../data/errors.js";

export type Json = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `value` as an object, or a DataError saying `what` must be one. */
export function object(value: unknown, what: string, file: string): Json {
  if (!isPlainObject(value)) throw new DataError(file, `${what} must be a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

/** A DataError listing the keys of `obj` not in `known`, and the known ones. */
export function unknownKeys(obj: Json, known: readonly string[], where: string, file: string): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    throw new DataError(file, `unknown key${unknown.length > 1 ? "s" : ""} in ${where}: ${unknown.join(", ")} (known: ${known.join(", ")})`);
  }
}

/** Reads and parses a JSON file; an unreadable file or invalid JSON is a DataError naming it. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new DataError(path, `cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(path, `invalid JSON (${(err as Error).message})`);
  }
}

/** {@link readJsonFile}, or null when the file does not exist (a run not finished yet). */
export async function readJsonFileIfExists(path: string): Promise<unknown> {
  try {
    await access(path);
  } catch {
    return null;
  }
  return readJsonFile(path);
}
