/**
 * Shared shapes of the model layer: the encoder's configuration (read from a Hugging Face
 * config.json) and checkpoint weights as plain float32 arrays, independent of tfjs.
 */

/**
 * The BERT family as this suite implements it. `bert`: BERT, mBERT, LaBSE (position ids from 0,
 * token type embeddings used). `xlm-roberta`: XLM-R and RoBERTa (position ids start after the
 * padding index and skip padding; a single token type).
 */
export type ModelFamily = "bert" | "xlm-roberta";

export interface EncoderConfig {
  /** `model_type` as config.json gives it ("bert", "xlm-roberta", "roberta"). */
  readonly modelType: string;
  readonly family: ModelFamily;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly intermediateSize: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly padTokenId: number;
  /** Only exact (erf) GELU is supported: "gelu" in config.json. */
  readonly hiddenAct: "gelu";
}

/** One checkpoint tensor, row-major, converted to float32 whatever it was stored as. */
export interface NamedTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * Encoder weights keyed by Hugging Face's names for the bare model (BertModel /
 * XLMRobertaModel state dict without the `bert.` / `roberta.` prefix), e.g.
 * `embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`.
 */
export type WeightMap = ReadonlyMap<string, NamedTensor>;
