/**
 * Checks shared by the JSON files users write (run configs, grids): every problem is a
 * DataError naming the file, and unknown keys are refused by name, so a typo never silently
 * falls back to a default.
 */
import { access, readFile } from "node:fs/promises";
import { DataError } from "./errors.js";

export type Json = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `value` as an object, or a DataError saying `what` must be one. */
export function object(value: unknown, what: string, file: string): Json {
  if (!isPlainObject(value)) throw new DataError(file, `${what} must be a JSON object, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A DataError listing the keys of `obj` not in `known`, and the known ones, with a guess for each
 * typo close to a known key ("weight_decay" → weightDecay).
 */
export function unknownKeys(obj: Json, known: readonly string[], where: string, file: string): void {
  const unknown = Object.keys(obj).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    const guesses = unknown.flatMap((k) => {
      const guess = closest(k, known);
      return guess === undefined ? [] : [`${k} → ${guess}`];
    });
    const hint = guesses.length > 0 ? `; did you mean ${guesses.join(", ")}?` : "";
    throw new DataError(file, `unknown key${unknown.length > 1 ? "s" : ""} in ${where}: ${unknown.join(", ")} (known: ${known.join(", ")})${hint}`);
  }
}

/** The known key nearest `key` (ignoring case, "_" and "-"), if few letters differ (one in a short key, two or a third in a longer one). */
function closest(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, "");
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(norm(key), norm(candidate));
    const limit = candidate.length <= 3 ? 1 : Math.max(2, Math.floor(candidate.length / 3));
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length];
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
