/**
 * Text → padded id tensors as the paper feeds them: optional `Query: ` / `Passage: ` prefixes,
 * candidates as the answer sentence alone or with its paragraph as a second segment, truncation
 * to a maximum length (longest segment first, as Hugging Face tokenizers truncate pairs).
 */
import type { TextTokenizer } from "../tokenize/types.js";

/** One input: a text, and optionally a second segment (a passage's paragraph). */
export interface TextInput {
  readonly text: string;
  readonly context?: string;
}

/**
 * How a family lays out special tokens. BERT: [CLS] A [SEP] B [SEP] with token types 0…0 1…1;
 * XLM-R: <s> A </s></s> B </s> with a single token type.
 */
interface SpecialLayout {
  readonly cls: number;
  readonly sep: number;
  /** Separators between the segments of a pair (1 for BERT, 2 for XLM-R). */
  readonly pairSeps: number;
  readonly segmentTypes: boolean;
}

export function specialLayout(tokenizer: TextTokenizer): SpecialLayout {
  const bertCls = tokenizer.tokenId("[CLS]");
  const bertSep = tokenizer.tokenId("[SEP]");
  if (bertCls !== undefined && bertSep !== undefined) return { cls: bertCls, sep: bertSep, pairSeps: 1, segmentTypes: true };
  const s = tokenizer.tokenId("<s>");
  const e = tokenizer.tokenId("</s>");
  if (s !== undefined && e !== undefined) return { cls: s, sep: e, pairSeps: 2, segmentTypes: false };
  throw new Error("tokenizer has neither [CLS]/[SEP] nor <s>/</s>: cannot lay out special tokens");
}

/** A batch padded to its longest row: [batch × seqLen] row-major int32. */
export interface EncodedBatch {
  readonly batch: number;
  readonly seqLen: number;
  readonly inputIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly tokenTypeIds: Int32Array;
}

/**
 * Hugging Face's longest_first for pairs (tokenizers' truncation.rs): the shorter segment stays
 * whole if the longer one can absorb the cut; otherwise the budget is halved, the shorter
 * segment getting the floor and the longer one the odd token.
 */
function truncatePair(a: number[], b: number[], budget: number): [number[], number[]] {
  if (a.length + b.length <= budget) return [a, b];
  const swap = a.length > b.length;
  let short = Math.min(a.length, b.length);
  let long = short > budget ? short : Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  const [la, lb] = swap ? [long, short] : [short, long];
  return [a.slice(0, la), b.slice(0, lb)];
}

export interface EncodeInputsOptions {
  /** Maximum tokens per row, special tokens included. */
  readonly maxLength: number;
  /** Prepended to `text` (e.g. "Query: "); not to the context. */
  readonly prefix?: string;
  readonly padId: number;
}

/** Token ids of one input, specials included, truncated to `maxLength`; types per token. */
export function encodeInput(
  tokenizer: TextTokenizer,
  layout: SpecialLayout,
  input: TextInput,
  options: EncodeInputsOptions,
): { ids: number[]; types: number[] } {
  const a = tokenizer.encode((options.prefix ?? "") + input.text, { addSpecialTokens: false }).ids;
  if (input.context === undefined || input.context === "") {
    const body = a.slice(0, Math.max(0, options.maxLength - 2));
    const ids = [layout.cls, ...body, layout.sep];
    return { ids, types: ids.map(() => 0) };
  }
  const b = tokenizer.encode(input.context, { addSpecialTokens: false }).ids;
  const [ta, tb] = truncatePair(a, b, Math.max(0, options.maxLength - 2 - layout.pairSeps));
  const first = [layout.cls, ...ta, ...Array(layout.pairSeps).fill(layout.sep)];
  const second = [...tb, layout.sep];
  const typeB = layout.segmentTypes ? 1 : 0;
  return { ids: [...first, ...second], types: [...first.map(() => 0), ...second.map(() => typeB)] };
}

/** Encodes and pads a batch to its longest row. */
export function encodeBatch(
  tokenizer: TextTokenizer,
  inputs: readonly TextInput[],
  options: EncodeInputsOptions,
): EncodedBatch {
  const layout = specialLayout(tokenizer);
  const rows = inputs.map((input) => encodeInput(tokenizer, layout, input, options));
  return padRows(rows, options.padId);
}

export function padRows(rows: readonly { ids: readonly number[]; types: readonly number[] }[], padId: number): EncodedBatch {
  const seqLen = Math.max(1, ...rows.map((r) => r.ids.length));
  const n = rows.length;
  const inputIds = new Int32Array(n * seqLen).fill(padId);
  const attentionMask = new Int32Array(n * seqLen);
  const tokenTypeIds = new Int32Array(n * seqLen);
  rows.forEach((r, i) => {
    inputIds.set(r.ids, i * seqLen);
    attentionMask.fill(1, i * seqLen, i * seqLen + r.ids.length);
    tokenTypeIds.set(r.types, i * seqLen);
  });
  return { batch: n, seqLen, inputIds, attentionMask, tokenTypeIds };
}
