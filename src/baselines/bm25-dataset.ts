import type { RetrievalDataset } from "../data/types.js";
import type { Scorer } from "../eval/types.js";
import type { TextTokenizer } from "../tokenize/types.js";
import { type Bm25Options, Bm25Index } from "./bm25.js";

/**
 * BM25 scorer for a dataset: candidates (sentences) are the documents, questions the queries,
 * both as sentencepiece ids without special tokens. IDF comes from the whole multilingual pool,
 * because one score row per query serves the mono, cross and multi settings alike.
 */
export function bm25Scorer(ds: RetrievalDataset, tokenizer: TextTokenizer, options: Bm25Options = {}): Scorer {
  const ids = (texts: readonly string[]) => tokenizer.encodeBatch(texts, { addSpecialTokens: false }).map((e) => e.ids);
  const index = new Bm25Index(ids(ds.candidates.map((c) => c.text)), options);
  return index.scorer(ids(ds.questions.map((q) => q.text)));
}
