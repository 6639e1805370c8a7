/**
 * An ad-hoc retrieval collection (BEIR or MIRACL layout, or a LAReQA setting): queries, graded
 * judgements and a corpus that is streamed, never held as text. What the loaders share: reading
 * files line by line (gzip included, hashing the bytes as they pass), the corpus scan that
 * checks ids, and judgements checked against queries and documents.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { DataError } from "../util/errors.js";

/** Judgements of one query: document index → grade (0 = judged not relevant). */
export type Judgements = ReadonlyMap<number, number>;

export interface CollectionQuery {
  readonly id: string;
  readonly text: string;
}

export interface CollectionDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

export interface Collection {
  /** For messages and the run tag. */
  readonly name: string;
  readonly layout: "beir" | "miracl" | "lareqa";
  readonly split: string;
  /** The split's judged queries, in the queries file's order. */
  readonly queries: readonly CollectionQuery[];
  /** Per query (same order): document index → grade. */
  readonly judged: readonly Judgements[];
  /** Document ids in corpus order: the order of score rows and corpus embeddings. */
  readonly docIds: readonly string[];
  /** sha256 of the corpus files' bytes, in reading order: what keys cached corpus embeddings. */
  readonly corpusChecksum: string;
  /** Streams the documents in `docIds` order. */
  documents(): AsyncIterable<CollectionDocument>;
}

/** The text a document is encoded or indexed as: BEIR's convention, title then text. */
export function documentText(doc: CollectionDocument): string {
  return doc.title.length > 0 ? `${doc.title} ${doc.text}` : doc.text;
}

export interface Line {
  readonly text: string;
  /** 1-based. */
  readonly number: number;
}

/** The lines of a text file (`.gz` is gunzipped), hashing the file's bytes into `hash` if given. */
export async function* readLines(file: string, hash?: Hash): AsyncGenerator<Line> {
  const raw = createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    raw.once("open", () => resolve());
    raw.once("error", reject);
  });
  try {
    await opened;
  } catch (err) {
    throw new DataError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (hash) raw.on("data", (chunk) => hash.update(chunk as Buffer));
  const text = file.endsWith(".gz") ? raw.pipe(createGunzip()) : raw;
  const lines = createInterface({ input: text, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const line of lines) {
      number++;
      yield { text: line, number };
    }
  } catch (err) {
    throw new DataError(file, `read failed after line ${number}: ${(err as Error).message}`);
  } finally {
    lines.close();
    raw.destroy();
  }
}

/** Parses one JSONL line into an object, or says where it is broken. */
export function parseJsonLine(file: string, line: Line): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (err) {
    throw new DataError(file, `line ${line.number}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(file, `line ${line.number}: expected a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** An id field: a non-empty string without whitespace (a whole number is taken as its digits). */
export function idField(file: string, line: Line, obj: Record<string, unknown>, field: string): string {
  const v = obj[field];
  const id = typeof v === "number" && Number.isInteger(v) ? String(v) : v;
  if (typeof id !== "string" || id.length === 0) throw new DataError(file, `line ${line.number}: missing id ("${field}")`);
  if (/\s/.test(id)) throw new DataError(file, `line ${line.number}: id '${id}' holds whitespace`);
  return id;
}

export function textField(file: string, line: Line, obj: Record<string, unknown>, field: string, required: boolean): string {
  const v = obj[field];
  if (v === undefined || v === null) {
    if (required) throw new DataError(file, `line ${line.number}: missing "${field}"`);
    return "";
  }
  if (typeof v !== "string") throw new DataError(file, `line ${line.number}: "${field}" is not a string`);
  return v;
}

/** How a corpus line becomes a document (the layouts differ in their id field). */
export type DocumentParser = (file: string, line: Line) => CollectionDocument;

export interface CorpusScan {
  readonly docIds: string[];
  /** id → index; dropped by the loader once the judgements are resolved. */
  readonly indexOf: Map<string, number>;
  readonly checksum: string;
}

/** First pass over the corpus: ids (unique, in order) and the checksum; texts are not kept. */
export async function scanCorpus(files: readonly string[], parse: DocumentParser): Promise<CorpusScan> {
  if (files.length === 0) throw new Error("scanCorpus: no corpus files");
  const hash = createHash("sha256");
  const docIds: string[] = [];
  const indexOf = new Map<string, number>();
  for (const file of files) {
    for await (const line of readLines(file, hash)) {
      if (line.text.trim() === "") continue;
      const { id } = parse(file, line);
      const seen = indexOf.get(id);
      if (seen !== undefined) {
        throw new DataError(file, `line ${line.number}: duplicate document id '${id}' (first as document ${seen + 1} of the corpus)`);
      }
      indexOf.set(id, docIds.length);
      docIds.push(id);
    }
  }
  if (docIds.length === 0) throw new DataError(files[0], "the corpus holds no documents");
  return { docIds, indexOf, checksum: hash.digest("hex") };
}

/** Second and later passes: the documents again, checked to be the ones the scan saw. */
export async function* streamCorpus(files: readonly string[], parse: DocumentParser, docIds: readonly string[]): AsyncGenerator<CollectionDocument> {
  let i = 0;
  for (const file of files) {
    for await (const line of readLines(file)) {
      if (line.text.trim() === "") continue;
      const doc = parse(file, line);
      if (doc.id !== docIds[i]) throw new DataError(file, `line ${line.number}: changed since it was first read (expected document '${docIds[i]}')`);
      i++;
      yield doc;
    }
  }
  if (i !== docIds.length) throw new DataError(files[files.length - 1], `changed since it was first read (${i} documents, was ${docIds.length})`);
}

/** A relevance grade: a whole number ≥ 0 (0 = judged not relevant). */
export function parseGrade(file: string, line: Line, text: string): number {
  const grade = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(grade) || grade < 0) {
    throw new DataError(file, `line ${line.number}: relevance grade '${text}' is not a whole number >= 0`);
  }
  return grade;
}

/** Collects (query, document, grade) lines into per-query judgements, checking every id. */
export class JudgementsBuilder {
  private readonly byQuery = new Map<string, Map<number, number>>();

  constructor(
    private readonly queryIds: ReadonlySet<string>,
    private readonly docIndex: ReadonlyMap<string, number>,
    private readonly queriesFile: string,
  ) {}

  add(file: string, line: Line, queryId: string, docId: string, grade: number): void {
    if (!this.queryIds.has(queryId)) throw new DataError(file, `line ${line.number}: query '${queryId}' is not in ${this.queriesFile}`);
    const doc = this.docIndex.get(docId);
    if (doc === undefined) throw new DataError(file, `line ${line.number}: document '${docId}' is not in the corpus`);
    let judged = this.byQuery.get(queryId);
    if (!judged) this.byQuery.set(queryId, (judged = new Map()));
    if (judged.has(doc)) throw new DataError(file, `line ${line.number}: query '${queryId}' judges document '${docId}' twice`);
    judged.set(doc, grade);
  }

  /** The judged queries in `order` (the queries file's), with their judgements. */
  build(order: readonly CollectionQuery[], file: string): { queries: CollectionQuery[]; judged: Judgements[] } {
    if (this.byQuery.size === 0) throw new DataError(file, "holds no judgements");
    const queries = order.filter((q) => this.byQuery.has(q.id));
    return { queries, judged: queries.map((q) => this.byQuery.get(q.id)!) };
  }
}
