import { type Collection, documentText } from "../data/collection.js";
import type { Scorer } from "../eval/types.js";
import type { TextTokenizer } from "../tokenize/types.js";
import { type Bm25Options, Bm25Index } from "./bm25.js";

/** Documents tokenized per chunk as the corpus streams by: only their token ids are kept. */
const CHUNK = 1024;

/**
 * BM25 scorer for a collection: documents (title and text) and queries as sentencepiece ids
 * without special tokens, as `bm25Scorer` does for the LAReQA datasets.
 */
export async function bm25CollectionScorer(c: Collection, tokenizer: TextTokenizer, options: Bm25Options = {}): Promise<Scorer> {
  const ids = (texts: readonly string[]) => tokenizer.encodeBatch(texts, { addSpecialTokens: false }).map((e) => e.ids);
  const docs: number[][] = [];
  let chunk: string[] = [];
  for await (const doc of c.documents()) {
    chunk.push(documentText(doc));
    if (chunk.length === CHUNK) {
      docs.push(...ids(chunk));
      chunk = [];
    }
  }
  docs.push(...ids(chunk));
  const index = new Bm25Index(docs, options);
  return index.scorer(ids(c.queries.map((q) => q.text)));
}
