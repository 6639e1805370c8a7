/**
 * A collection in MIRACL's layout (one language; https://huggingface.co/datasets/miracl/miracl
 * for topics and qrels, miracl/miracl-corpus for the passages):
 *   DIR/[topics/]topics.<split>.tsv            qid <TAB> query, no header
 *   DIR/[qrels/]qrels.<split>.tsv              qid Q0 docid grade (TREC qrels)
 *   DIR/corpus/*.jsonl[.gz]                    {"docid", "title", "text"} per line, any number of shards
 * The released names (`topics.miracl-v1.0-sw-dev.tsv`, `qrels.miracl-v1.0-sw-dev.tsv`,
 * `docs-0.jsonl.gz`, ...) are found too: any `topics.*<split>.tsv`. Shards are read in natural
 * name order (docs-2 before docs-10). The corpus is streamed, never held as text.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type Collection,
  type CollectionDocument,
  type CollectionQuery,
  type DocumentParser,
  idField,
  JudgementsBuilder,
  parseGrade,
  parseJsonLine,
  readLines,
  scanCorpus,
  streamCorpus,
  textField,
} from "./collection.js";
import { DataError } from "../util/errors.js";

const parseDocument: DocumentParser = (file, line) => {
  const obj = parseJsonLine(file, line);
  return { id: idField(file, line, obj, "docid"), title: textField(file, line, obj, "title", false), text: textField(file, line, obj, "text", true) };
};

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

/** The one file named `<kind>.<split>.tsv` or `<kind>.*-<split>.tsv` in DIR or DIR/<kind>. */
async function findSplitFile(dir: string, kind: "topics" | "qrels", split: string): Promise<string> {
  const matches: string[] = [];
  for (const folder of [dir, join(dir, kind)]) {
    for (const name of await list(folder)) {
      if (name === `${kind}.${split}.tsv` || (name.startsWith(`${kind}.`) && name.endsWith(`-${split}.tsv`))) matches.push(join(folder, name));
    }
  }
  if (matches.length === 0) throw new DataError(join(dir, `${kind}.${split}.tsv`), `missing (looked for ${kind}.${split}.tsv and ${kind}.*-${split}.tsv in ${dir} and ${join(dir, kind)})`);
  if (matches.length > 1) throw new DataError(dir, `more than one ${kind} file for split '${split}': ${matches.join(", ")}`);
  return matches[0];
}

export async function miraclCorpusFiles(dir: string): Promise<string[]> {
  for (const folder of [join(dir, "corpus"), dir]) {
    const shards = (await list(folder)).filter((n) => n.endsWith(".jsonl") || n.endsWith(".jsonl.gz"));
    if (shards.length > 0) return shards.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).map((n) => join(folder, n));
  }
  throw new DataError(join(dir, "corpus"), "missing: no *.jsonl or *.jsonl.gz corpus shards there or in the collection directory");
}

async function readTopics(file: string): Promise<CollectionQuery[]> {
  const queries: CollectionQuery[] = [];
  const lineOf = new Map<string, number>();
  for await (const line of readLines(file)) {
    if (line.text.trim() === "") continue;
    const tab = line.text.indexOf("\t");
    const id = (tab < 0 ? line.text : line.text.slice(0, tab)).trim();
    const text = tab < 0 ? "" : line.text.slice(tab + 1);
    if (id === "") throw new DataError(file, `line ${line.number}: missing query id`);
    if (text.trim() === "") throw new DataError(file, `line ${line.number}: query '${id}' is empty`);
    const first = lineOf.get(id);
    if (first !== undefined) throw new DataError(file, `line ${line.number}: duplicate query id '${id}' (first on line ${first})`);
    lineOf.set(id, line.number);
    queries.push({ id, text });
  }
  return queries;
}

export async function loadMiraclCollection(dir: string, split = "dev"): Promise<Collection> {
  const topicsFile = await findSplitFile(dir, "topics", split);
  const qrelsFile = await findSplitFile(dir, "qrels", split);
  const corpusFiles = await miraclCorpusFiles(dir);
  const allQueries = await readTopics(topicsFile);
  const scan = await scanCorpus(corpusFiles, parseDocument);
  const builder = new JudgementsBuilder(new Set(allQueries.map((q) => q.id)), scan.indexOf, topicsFile);
  for await (const line of readLines(qrelsFile)) {
    if (line.text.trim() === "") continue;
    const cols = line.text.trim().split(/\s+/);
    if (cols.length !== 4) throw new DataError(qrelsFile, `line ${line.number}: expected 4 columns (qid Q0 docid grade), got ${cols.length}`);
    builder.add(qrelsFile, line, cols[0], cols[2], parseGrade(qrelsFile, line, cols[3]));
  }
  const { queries, judged } = builder.build(allQueries, qrelsFile);
  const { docIds, checksum } = scan;
  return {
    name: dir.replace(/\/+$/, "").split("/").pop() || dir,
    layout: "miracl",
    split,
    queries,
    judged,
    docIds,
    corpusChecksum: checksum,
    documents: (): AsyncIterable<CollectionDocument> => streamCorpus(corpusFiles, parseDocument, docIds),
  };
}
