/**
 * Vocabulary trimming at the tokenizer.json level: keep only the pieces a corpus uses (plus every
 * special token) and renumber them densely. The embedding matrix is then cut to the same rows
 * (src/model/trim.ts). For Unigram (Viterbi) and WordPiece (greedy longest match) the corpus's own
 * segmentation is unchanged: its best paths only use kept pieces, and removing other pieces
 * cannot create a better or longer match. Other text may fall back to <unk> more often.
 */
import type { TokenizerJson } from "./types.js";

export interface TrimmedVocab {
  readonly json: TokenizerJson;
  /** new id → old id, ascending. */
  readonly oldIds: Int32Array;
  /** old id → new id, −1 where dropped. */
  readonly newIdOf: Int32Array;
}

function vocabSize(json: TokenizerJson): number {
  const v = json.model.vocab;
  let max = -1;
  if (Array.isArray(v)) max = v.length - 1;
  else if (v && typeof v === "object") for (const id of Object.values(v as Record<string, number>)) max = Math.max(max, id);
  for (const t of json.added_tokens ?? []) max = Math.max(max, t.id);
  return max + 1;
}

/** Keeps `used` ids plus every added/special token; returns the renumbered tokenizer. */
export function trimTokenizerJson(json: TokenizerJson, used: Iterable<number>): TrimmedVocab {
  const size = vocabSize(json);
  const keep = new Set<number>(used);
  for (const t of json.added_tokens ?? []) keep.add(t.id);
  if (typeof json.model.unk_id === "number") keep.add(json.model.unk_id);
  if (json.model.type === "WordPiece" && json.model.unk_token !== undefined) {
    const unk = (json.model.vocab as Record<string, number>)[json.model.unk_token];
    if (unk !== undefined) keep.add(unk);
  }
  for (const id of keep) {
    if (!Number.isInteger(id) || id < 0 || id >= size) throw new RangeError(`token id ${id} is outside the vocabulary (size ${size})`);
  }
  const oldIds = Int32Array.from([...keep].sort((a, b) => a - b));
  const newIdOf = new Int32Array(size).fill(-1);
  oldIds.forEach((old, i) => (newIdOf[old] = i));
  const remap = (id: number): number => {
    const n = newIdOf[id];
    if (n < 0) throw new Error(`internal: token id ${id} was dropped but is still referenced`);
    return n;
  };

  let vocab: unknown;
  if (json.model.type === "Unigram" && Array.isArray(json.model.vocab)) {
    const old = json.model.vocab as [string, number][];
    vocab = Array.from(oldIds, (id) => old[id]);
  } else if ((json.model.type === "WordPiece" || json.model.type === "BPE") && !Array.isArray(json.model.vocab)) {
    if (json.model.type === "BPE") throw new Error("trimming a BPE vocabulary would break its merges; not supported");
    vocab = Object.fromEntries(
      Object.entries(json.model.vocab as Record<string, number>)
        .filter(([, id]) => newIdOf[id] >= 0)
        .map(([piece, id]) => [piece, newIdOf[id]]),
    );
  } else {
    throw new Error(`cannot trim a '${json.model.type}' tokenizer model`);
  }

  const model = { ...json.model, vocab, ...(typeof json.model.unk_id === "number" ? { unk_id: remap(json.model.unk_id) } : {}) };
  const added_tokens = json.added_tokens?.map((t) => ({ ...t, id: remap(t.id) }));
  return { json: { ...json, model, added_tokens, post_processor: remapPostProcessor(json.post_processor ?? null, remap) }, oldIds, newIdOf };
}

/** Template/Bert/Roberta post-processors carry special-token ids that must follow the renumbering. */
function remapPostProcessor(pp: Record<string, unknown> | null, remap: (id: number) => number): Record<string, unknown> | null {
  if (pp === null) return null;
  switch (pp.type) {
    case "TemplateProcessing": {
      const special = pp.special_tokens as Record<string, { id: string; ids: number[]; tokens: string[] }>;
      return {
        ...pp,
        special_tokens: Object.fromEntries(Object.entries(special).map(([k, v]) => [k, { ...v, ids: v.ids.map(remap) }])),
      };
    }
    case "BertProcessing":
    case "RobertaProcessing": {
      const [sepTok, sepId] = pp.sep as [string, number];
      const [clsTok, clsId] = pp.cls as [string, number];
      return { ...pp, sep: [sepTok, remap(sepId)], cls: [clsTok, remap(clsId)] };
    }
    case "Sequence":
      return { ...pp, processors: (pp.processors as Record<string, unknown>[]).map((p) => remapPostProcessor(p, remap)) };
    default:
      return pp;
  }
}
