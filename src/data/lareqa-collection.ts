/**
 * A LAReQA dataset as a collection (its multilingual pool: every question against every
 * candidate sentence, each relevant candidate with grade 1; load one language for its
 * monolingual setting), and any collection written out in BEIR's layout, so the benchmark can be
 * scored by BEIR tooling and read back by `loadBeirCollection`.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { Collection, CollectionDocument } from "./collection.js";
import type { RetrievalDataset } from "./types.js";

/** Documents are the candidate sentences alone (no title), the text the LAReQA scorers see. */
export function collectionFromDataset(ds: RetrievalDataset): Collection {
  const docIds = ds.candidates.map((c) => c.uid);
  const indexOf = new Map(docIds.map((id, i) => [id, i] as const));
  const judged = ds.questions.map((q) => {
    const rel = ds.relevance.get(q.uid);
    if (rel === undefined) throw new Error(`${ds.name}: question ${q.uid} has no relevance entry`);
    return new Map([...rel].map((uid) => [indexOf.get(uid)!, 1] as const));
  });
  return {
    name: ds.name,
    layout: "lareqa",
    split: "test",
    queries: ds.questions.map((q) => ({ id: q.uid, text: q.text })),
    judged,
    docIds,
    // The vendored files are checksum-verified on load; the ids name the exact subset loaded.
    corpusChecksum: `lareqa:${ds.name}:${ds.languages.join(",")}:${docIds.length}`,
    documents: async function* (): AsyncGenerator<CollectionDocument> {
      for (const c of ds.candidates) yield { id: c.uid, title: "", text: c.text };
    },
  };
}

/** Writes DIR/corpus.jsonl, DIR/queries.jsonl and DIR/qrels/<split>.tsv; each file atomically. */
export async function writeBeirCollection(dir: string, c: Collection): Promise<void> {
  const corpus: string[] = [];
  for await (const doc of c.documents()) corpus.push(JSON.stringify({ _id: doc.id, title: doc.title, text: doc.text }));
  await writeFileAtomic(join(dir, "corpus.jsonl"), corpus.join("\n") + "\n");
  await writeFileAtomic(join(dir, "queries.jsonl"), c.queries.map((q) => JSON.stringify({ _id: q.id, text: q.text })).join("\n") + "\n");
  const qrels = ["query-id\tcorpus-id\tscore"];
  c.queries.forEach((q, i) => {
    for (const [d, grade] of [...c.judged[i]].sort((x, y) => x[0] - y[0])) qrels.push(`${q.id}\t${c.docIds[d]}\t${grade}`);
  });
  await writeFileAtomic(join(dir, "qrels", `${c.split}.tsv`), qrels.join("\n") + "\n");
}
