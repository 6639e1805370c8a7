/**
 * Vocabulary trimming for a whole model: the tokenizer keeps only the pieces a corpus uses
 * (src/tokenize/trim-vocab.ts) and the word-embedding matrix keeps the same rows, renumbered.
 * A model over 250k XLM-R pieces then carries only the few tens of thousands a benchmark needs.
 */
import { trimTokenizerJson } from "../tokenize/trim-vocab.js";
import type { TextTokenizer, TokenizerJson } from "../tokenize/types.js";
import type { EncoderConfig, NamedTensor, WeightMap } from "./types.js";

export const WORD_EMBEDDINGS = "embeddings.word_embeddings.weight";

/** Every token id the texts produce (special tokens included). */
export function usedTokenIds(tokenizer: TextTokenizer, texts: Iterable<string>): Set<number> {
  const used = new Set<number>();
  for (const text of texts) for (const id of tokenizer.encode(text).ids) used.add(id);
  return used;
}

/** Rows `oldIds` of a [vocab, hidden] embedding table, in that order. */
export function gatherRows(table: NamedTensor, oldIds: Int32Array): NamedTensor {
  const [, hidden] = table.shape;
  const data = new Float32Array(oldIds.length * hidden);
  oldIds.forEach((old, i) => data.set(table.data.subarray(old * hidden, (old + 1) * hidden), i * hidden));
  return { shape: [oldIds.length, hidden], data };
}

export interface TrimmedModel {
  readonly config: EncoderConfig;
  readonly weights: WeightMap;
  readonly tokenizerJson: TokenizerJson;
  /** new id → old id. */
  readonly oldIds: Int32Array;
}

/** Cuts config, weights and tokenizer to the ids `used` (plus every special token). */
export function trimModel(config: EncoderConfig, weights: WeightMap, tokenizerJson: TokenizerJson, used: Iterable<number>): TrimmedModel {
  const trimmed = trimTokenizerJson(tokenizerJson, used);
  const table = weights.get(WORD_EMBEDDINGS);
  if (!table) throw new Error(`weights have no ${WORD_EMBEDDINGS}`);
  const out = new Map(weights);
  out.set(WORD_EMBEDDINGS, gatherRows(table, trimmed.oldIds));
  const pad = trimmed.newIdOf[config.padTokenId];
  if (pad === undefined || pad < 0) throw new Error(`pad token id ${config.padTokenId} is not a kept token`);
  return {
    config: { ...config, vocabSize: trimmed.oldIds.length, padTokenId: pad },
    weights: out,
    tokenizerJson: trimmed.json,
    oldIds: trimmed.oldIds,
  };
}
