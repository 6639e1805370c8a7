/**
 * The parallel QA training format: JSON Lines, one (query, positive passage) pair in one
 * language per line; records that are translations of each other share a `group`. The samplers
 * pair records across languages through that group, and keep a group's records out of each
 * other's batches. Documented for users in docs/training-data.md.
 */
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../util/atomic-write.js";
import { DataError } from "../util/errors.js";

/**
 * One training pair in one language.
 *
 * @example
 * const record: TrainingRecord = {
 *   group: "56beb4343aeaaa14008c925b",
 *   lang: "de",
 *   query: "Wie viele Punkte gab die Verteidigung der Panthers ab?",
 *   positive: "Die Verteidigung der Panthers gab nur 308 Punkte ab, ...",
 *   article: "Super_Bowl_50",
 * };
 */
export interface TrainingRecord {
  /** Shared by the translations of one question: the link across languages. */
  readonly group: string;
  readonly lang: string;
  readonly query: string;
  /** The passage that answers `query` (one sentence for SQuAD-derived data). */
  readonly positive: string;
  /** The paragraph `positive` comes from. */
  readonly context?: string;
  /** Hard negatives: passages in `lang` that look relevant to `query` but do not answer it. */
  readonly negatives?: readonly string[];
  /** The article the pair comes from; the train/validation split keeps an article on one side. */
  readonly article?: string;
}

const REQUIRED = ["group", "lang", "query", "positive"] as const;
const OPTIONAL_STRINGS = ["context", "article"] as const;
const KEYS: ReadonlySet<string> = new Set([...REQUIRED, ...OPTIONAL_STRINGS, "negatives"]);

/** Reads and checks a whole file; the first problem throws a DataError naming the file and line. */
export async function readTrainingJsonl(file: string): Promise<TrainingRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new DataError(file, `cannot read (${(err as Error).message})`);
  }
  return parseTrainingJsonl(text, file);
}

/** `file` only names the source in error messages. Blank lines are skipped; CRLF and a BOM are accepted. */
export function parseTrainingJsonl(text: string, file: string): TrainingRecord[] {
  const records: TrainingRecord[] = [];
  const lineOf = new Map<string, number>(); // `${group}\u0000${lang}` → 1-based line
  const lines = text.replace(/^\uFEFF/, "").split("\n");
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const at = `line ${i + 1}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new DataError(file, `${at}: invalid JSON (${(err as Error).message})`);
    }
    const problem = recordProblem(json);
    if (problem !== undefined) throw new DataError(file, `${at}: ${problem}`);
    const record = json as TrainingRecord;
    const key = `${record.group}\u0000${record.lang}`;
    const first = lineOf.get(key);
    if (first !== undefined) {
      throw new DataError(file, `${at}: group '${record.group}' already has a '${record.lang}' record (line ${first})`);
    }
    lineOf.set(key, i + 1);
    records.push(record);
  });
  return records;
}

/** Why `value` is not a TrainingRecord, or undefined when it is one. */
export function recordProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "expected a JSON object";
  const obj = value as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) {
    return `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `'${k}'`).join(", ")} (allowed: ${[...KEYS].join(", ")})`;
  }
  for (const key of REQUIRED) {
    if (!(key in obj)) return `missing field '${key}'`;
    if (typeof obj[key] !== "string") return `field '${key}' must be a string, got ${typeName(obj[key])}`;
    // An empty query or passage would train on nothing; an empty group or lang would link records by accident.
    if ((obj[key] as string).trim() === "") return `field '${key}' is empty`;
  }
  for (const key of OPTIONAL_STRINGS) {
    if (obj[key] !== undefined && typeof obj[key] !== "string") return `field '${key}' must be a string, got ${typeName(obj[key])}`;
  }
  if (obj.negatives !== undefined) {
    const negatives = obj.negatives;
    if (!Array.isArray(negatives)) return `field 'negatives' must be an array of strings, got ${typeName(negatives)}`;
    const bad = negatives.findIndex((n) => typeof n !== "string");
    if (bad >= 0) return `field 'negatives' item ${bad} must be a string, got ${typeName(negatives[bad])}`;
  }
  return undefined;
}

/** One line per record, fields in a fixed order, absent optional fields left out. */
export function formatTrainingJsonl(records: readonly TrainingRecord[]): string {
  const seen = new Set<string>();
  return records
    .map((r, i) => {
      const problem = recordProblem(r);
      if (problem !== undefined) throw new Error(`training record ${i}: ${problem}`);
      const key = `${r.group}\u0000${r.lang}`;
      if (seen.has(key)) throw new Error(`training record ${i}: group '${r.group}' already has a '${r.lang}' record`);
      seen.add(key);
      const ordered: Record<string, unknown> = { group: r.group, lang: r.lang, query: r.query, positive: r.positive };
      if (r.context !== undefined) ordered.context = r.context;
      if (r.negatives !== undefined) ordered.negatives = r.negatives;
      if (r.article !== undefined) ordered.article = r.article;
      return `${JSON.stringify(ordered)}\n`;
    })
    .join("");
}

/** Checks every record before writing, so what is written always reads back. */
export async function writeTrainingJsonl(file: string, records: readonly TrainingRecord[]): Promise<void> {
  await writeFileAtomic(file, formatTrainingJsonl(records));
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}
