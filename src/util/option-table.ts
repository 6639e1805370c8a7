/**
 * Options declared once, as a table of fields (key, type, default, bounds, doc): reading a JSON
 * object through the table validates every value, fills the defaults and refuses unknown keys; the
 * same table renders the option reference (docs/run-config.md). Every problem is a DataError
 * naming the file and the key path.
 *
 * @example
 * const LOSS = group<LossSection>({
 *   scale: number({ above: 0 }, 20, "Multiplies the cosine similarities."),
 *   symmetric: boolean(false, "Also average the passage→query direction."),
 * }, "The InfoNCE loss.");
 * const loss = LOSS.parse({ scale: 10 }, at("config.json", "loss")); // { scale: 10, symmetric: false }
 */
import { DataError } from "./errors.js";
import { object, unknownKeys } from "./json-fields.js";

/** Where a value sits: the file and the key path ("optim.lr"), for messages. */
export interface At {
  readonly file: string;
  readonly path: string;
}

export function at(file: string, path: string): At {
  return { file, path };
}

export function fail(where: At, problem: string): never {
  throw new DataError(where.file, problem);
}

/** One option: how it reads, what an absent key means, and how the reference describes it. */
export interface Field<T> {
  /** The accepted values, as the reference writes them ("integer ≥ 1"). */
  readonly type: string;
  /** The default, as the reference writes it. */
  readonly defaultText: string;
  readonly doc: string;
  /** The value of an absent key. */
  absent(where: At): T;
  parse(value: unknown, where: At): T;
  /** A group's fields, for the reference. */
  readonly fields?: FieldTable<unknown>;
}

/** One field per key of `T`, no more and no fewer (the compiler checks the table against the type). */
export type FieldTable<T> = { readonly [K in keyof T]-?: Field<T[K]> };

const show = (v: unknown): string => JSON.stringify(v);

function withDefault<T>(def: T, type: string, doc: string, parse: (value: unknown, where: At) => T, defaultText = show(def)): Field<T> {
  return { type, doc, defaultText, absent: () => def, parse };
}

export function boolean(def: boolean, doc: string): Field<boolean> {
  return withDefault(def, "true or false", doc, (v, w) => (typeof v === "boolean" ? v : fail(w, `${w.path} must be true or false, got ${show(v)}`)));
}

export function string(def: string, doc: string, options: { nonEmpty?: boolean } = {}): Field<string> {
  return withDefault(def, options.nonEmpty ? "non-empty string" : "string", doc, (v, w) => {
    const s = typeof v === "string" ? v : fail(w, `${w.path} must be a string, got ${show(v)}`);
    if (options.nonEmpty && s.trim() === "") fail(w, `${w.path} must not be empty`);
    return s;
  });
}

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

function boundsText(b: Bounds): string[] {
  return [
    b.min !== undefined ? `≥ ${b.min}` : undefined,
    b.above !== undefined ? `> ${b.above}` : undefined,
    b.max !== undefined ? `≤ ${b.max}` : undefined,
    b.below !== undefined ? `< ${b.below}` : undefined,
  ].filter((s): s is string => s !== undefined);
}

export function number(bounds: Bounds, def: number, doc: string): Field<number> {
  const range = boundsText(bounds);
  const type = `finite number${range.length ? ` ${range.join(" and ")}` : ""}`;
  return withDefault(def, type, doc, (v, w) => {
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (bounds.min === undefined || v >= bounds.min) &&
      (bounds.max === undefined || v <= bounds.max) &&
      (bounds.above === undefined || v > bounds.above) &&
      (bounds.below === undefined || v < bounds.below);
    return ok ? (v as number) : fail(w, `${w.path} must be a ${type}, got ${show(v)}`);
  });
}

export function integer(min: number, def: number, doc: string, defaultText?: string): Field<number> {
  return withDefault(def, `integer ≥ ${min}`, doc, (v, w) => integerValue(v, min, w), defaultText);
}

function integerValue(v: unknown, min: number, w: At): number {
  return Number.isSafeInteger(v) && (v as number) >= min ? (v as number) : fail(w, `${w.path} must be an integer ≥ ${min}, got ${show(v)}`);
}

/** A string from a fixed list; `noun` names it in the error ("unknown schedule 'cosine'"). */
export function oneOf<const T extends string>(values: readonly T[], noun: string, def: T, doc: string): Field<T> {
  const type = values.map((v) => `"${v}"`).join(" | ");
  return withDefault(def, type, doc, (v, w) => {
    if (typeof v !== "string") fail(w, `${w.path} must be a string, got ${show(v)}`);
    if (!(values as readonly string[]).includes(v)) fail(w, `${w.path}: unknown ${noun} '${v}' (known: ${values.join(", ")})`);
    return v as T;
  });
}

/** `field`, or null; an absent key is null unless `absent` is "default" (the field's default). */
export function orNull<T>(field: Field<T>, options: { absent?: "null" | "default"; doc?: string } = {}): Field<T | null> {
  const absentDefault = options.absent === "default";
  return {
    type: `${field.type}, or null`,
    defaultText: absentDefault ? field.defaultText : "null",
    doc: options.doc ?? field.doc,
    fields: field.fields,
    absent: (w) => (absentDefault ? field.absent(w) : null),
    parse: (v, w) => (v === null ? null : field.parse(v, w)),
  };
}

/** A key that must be given; `problem` says what to give. */
export function required<T>(field: Field<T>, problem: string): Field<T> {
  return { ...field, defaultText: "required", absent: (w) => fail(w, problem) };
}

/** A field checked by hand (a union, a list), still declared in the table. */
export function custom<T>(spec: { type: string; defaultText: string; doc: string; absent: (where: At) => T; parse: (value: unknown, where: At) => T }): Field<T> {
  return spec;
}

export interface GroupOptions<T> {
  /** Runs on the object as written, before its fields are read (checks across keys as written). */
  readonly before?: (raw: Record<string, unknown>, where: At) => void;
  /** Runs on the read group (checks and fix-ups across its fields). */
  readonly after?: (value: T, raw: Record<string, unknown>, where: At) => T;
  /** Keys accepted and ignored (written by the program, such as a run's provenance). */
  readonly ignored?: readonly string[];
}

/** A JSON object read field by field, in table order; an absent group is read as `{}` (every default). */
export function group<T>(fields: FieldTable<T>, doc: string, options: GroupOptions<T> = {}): Field<T> {
  const keys = Object.keys(fields) as (keyof T & string)[];
  const known = [...keys, ...(options.ignored ?? [])];
  const read = (raw: Record<string, unknown>, w: At): T => {
    unknownKeys(raw, known, w.path === "" ? "the config" : `'${w.path}'`, w.file);
    options.before?.(raw, w);
    const out = {} as Record<string, unknown>;
    for (const key of keys) {
      const f = fields[key] as Field<unknown>;
      const here = at(w.file, w.path === "" ? key : `${w.path}.${key}`);
      out[key] = raw[key] === undefined ? f.absent(here) : f.parse(raw[key], here);
    }
    return options.after ? options.after(out as T, raw, w) : (out as T);
  };
  return {
    type: "object",
    defaultText: "{}",
    doc,
    fields: fields as FieldTable<unknown>,
    absent: (w) => read({}, w),
    parse: (v, w) => read(object(v, w.path === "" ? "the config" : `'${w.path}'`, w.file), w),
  };
}

/**
 * The option reference as a Markdown table, one row per key path, nested groups after their
 * parent's row.
 */
export function renderOptionTable(root: Field<unknown>): string {
  const rows: string[] = ["| Key | Type | Default | Meaning |", "| --- | --- | --- | --- |"];
  const cell = (s: string) => s.replaceAll("\n", " ").replaceAll("|", "\\|");
  const walk = (fields: FieldTable<unknown>, prefix: string) => {
    for (const [key, f] of Object.entries(fields) as [string, Field<unknown>][]) {
      const path = prefix ? `${prefix}.${key}` : key;
      rows.push(`| \`${path}\` | ${cell(f.type)} | ${cell(f.defaultText)} | ${cell(f.doc)} |`);
      if (f.fields) walk(f.fields, path);
    }
  };
  if (root.fields) walk(root.fields, "");
  return rows.join("\n");
}

/** The defaults of a table's fields, but those in `omit` (whose defaults need the file or are required). */
export function defaultsOf<T, K extends keyof T>(table: FieldTable<T>, omit: readonly K[]): Omit<T, K> {
  const where = at("(defaults)", "");
  const keys = (Object.keys(table) as (keyof T)[]).filter((k) => !(omit as readonly (keyof T)[]).includes(k));
  return Object.fromEntries(keys.map((k) => [k, (table[k] as Field<unknown>).absent(at(where.file, String(k)))])) as Omit<T, K>;
}

const BEGIN = "<!-- BEGIN GENERATED OPTIONS: rendered from the option table; edit the table, then run `node dist/scripts/config-doc.js --write` -->";
const END = "<!-- END GENERATED OPTIONS -->";

/** `doc` with the text between the generated-options markers replaced by `generated`; throws if the markers are missing. */
export function spliceGenerated(doc: string, generated: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`the document has no generated-options markers (${BEGIN} … ${END})`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${generated}\n${doc.slice(end)}`;
}
