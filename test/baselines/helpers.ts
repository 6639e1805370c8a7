/** What the BM25 scorer tests share: a word tokenizer that records its calls, and a scorer's rows. */
import type { Scorer } from "../../src/eval/types.js";
import type { EncodeOptions, Encoded, TextTokenizer } from "../../src/tokenize/types.js";

export type RecordingTokenizer = TextTokenizer & { readonly calls: { count: number; opts?: Omit<EncodeOptions, "pair"> }[] };

/** Lower-cased words as ids; `<s>` = 0 and `</s>` = 1 around each text unless told not to. Records every call. */
export function wordTokenizer(): RecordingTokenizer {
  const vocab = new Map<string, number>([["<s>", 0], ["</s>", 1]]);
  const calls: { count: number; opts?: Omit<EncodeOptions, "pair"> }[] = [];
  const idOf = (w: string) => {
    if (!vocab.has(w)) vocab.set(w, vocab.size);
    return vocab.get(w)!;
  };
  const encode = (text: string, opts?: EncodeOptions): Encoded => {
    const tokens = text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const all = opts?.addSpecialTokens === false ? tokens : ["<s>", ...tokens, "</s>"];
    return { tokens: all, ids: all.map(idOf) };
  };
  return {
    calls,
    encode,
    encodeBatch: (texts, opts) => {
      calls.push({ count: texts.length, opts });
      return texts.map((t) => encode(t, opts));
    },
    decode: () => {
      throw new Error("not used");
    },
    get vocabSize() {
      return vocab.size;
    },
    tokenId: (t) => vocab.get(t),
  };
}

/** Every row of a scorer's scores, as plain numbers. */
export async function scoreRows(scorer: Scorer): Promise<number[][]> {
  const out = new Float32Array(scorer.numQueries * scorer.numCandidates);
  await scorer.scoreBlock(0, scorer.numQueries, out);
  return Array.from({ length: scorer.numQueries }, (_, q) => [...out.subarray(q * scorer.numCandidates, (q + 1) * scorer.numCandidates)]);
}
