/**
 * The tokenizer surface the rest of hybrid-ir uses, so that models, samplers and evaluators never
 * touch @huggingface/tokenizers directly (and tests can hand in a fake).
 */

/**
 * @example
 * tok.encode("Hello World!");                 // ids [0, 35378, 6661, 38, 2] with XLM-R
 * tok.encode("a question", { pair: "a passage" }); // <s> A </s></s> B </s>
 */
export interface EncodeOptions {
  /** Second segment, laid out by the tokenizer's pair template. "" counts as no pair. */
  pair?: string;
  /** Add `<s>`/`</s>` (or `[CLS]`/`[SEP]`) from the post-processor template. Default true. */
  addSpecialTokens?: boolean;
}

export interface Encoded {
  ids: number[];
  /** Vocabulary pieces, one per id (e.g. `▁Hello`), for debugging and tests. */
  tokens: string[];
}

export interface DecodeOptions {
  /** Drop special tokens (`<s>`, `</s>`, `<pad>`, …) before decoding. Default false. */
  skipSpecialTokens?: boolean;
}

export interface TextTokenizer {
  encode(text: string, opts?: EncodeOptions): Encoded;
  encodeBatch(texts: readonly string[], opts?: Omit<EncodeOptions, "pair">): Encoded[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** Highest id + 1, i.e. the rows an embedding table needs (250002 for XLM-R). */
  readonly vocabSize: number;
  tokenId(token: string): number | undefined;
}

/** A Hugging Face tokenizer.json, typed as far as this suite reads it. */
export interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  post_processor?: Record<string, unknown> | null;
  model: { type: string; vocab: unknown; unk_id?: number | null; unk_token?: string };
  [key: string]: unknown;
}

