/**
 * A collection in BEIR's layout (the zips of https://github.com/beir-cellar/beir):
 *   DIR/corpus.jsonl       {"_id", "title", "text"} per line
 *   DIR/queries.jsonl      {"_id", "text"} per line (all splits' queries)
 *   DIR/qrels/<split>.tsv  query-id <TAB> corpus-id <TAB> score, after a header line
 * Scores are whole-number grades ≥ 0. The corpus is read twice, streamed, never held as text.
 */
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
  return { id: idField(file, line, obj, "_id"), title: textField(file, line, obj, "title", false), text: textField(file, line, obj, "text", true) };
};

/** Queries of a JSONL file with `idField` and `text`: unique ids, non-empty texts. */
export async function readJsonlQueries(file: string, idName: string): Promise<CollectionQuery[]> {
  const queries: CollectionQuery[] = [];
  const lineOf = new Map<string, number>();
  for await (const line of readLines(file)) {
    if (line.text.trim() === "") continue;
    const obj = parseJsonLine(file, line);
    const id = idField(file, line, obj, idName);
    const text = textField(file, line, obj, "text", true);
    if (text.trim() === "") throw new DataError(file, `line ${line.number}: query '${id}' is empty`);
    const first = lineOf.get(id);
    if (first !== undefined) throw new DataError(file, `line ${line.number}: duplicate query id '${id}' (first on line ${first})`);
    lineOf.set(id, line.number);
    queries.push({ id, text });
  }
  return queries;
}

export async function loadBeirCollection(dir: string, split = "test"): Promise<Collection> {
  const corpusFile = join(dir, "corpus.jsonl");
  const queriesFile = join(dir, "queries.jsonl");
  const qrelsFile = join(dir, "qrels", `${split}.tsv`);
  const allQueries = await readJsonlQueries(queriesFile, "_id");
  const scan = await scanCorpus([corpusFile], parseDocument);
  const builder = new JudgementsBuilder(new Set(allQueries.map((q) => q.id)), scan.indexOf, queriesFile);
  for await (const line of readLines(qrelsFile)) {
    if (line.text.trim() === "") continue;
    const cols = line.text.split("\t");
    if (line.number === 1 && cols[0] === "query-id") continue; // BEIR's header
    if (cols.length !== 3) throw new DataError(qrelsFile, `line ${line.number}: expected 3 tab-separated columns (query-id, corpus-id, score), got ${cols.length}`);
    builder.add(qrelsFile, line, cols[0], cols[1], parseGrade(qrelsFile, line, cols[2].trim()));
  }
  const { queries, judged } = builder.build(allQueries, qrelsFile);
  const { docIds, checksum } = scan;
  return {
    name: dir.replace(/\/+$/, "").split("/").pop() || dir,
    layout: "beir",
    split,
    queries,
    judged,
    docIds,
    corpusChecksum: checksum,
    documents: (): AsyncIterable<CollectionDocument> => streamCorpus([corpusFile], parseDocument, docIds),
  };
}
