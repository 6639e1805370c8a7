import type { EncoderConfig } from "./types.js";

export interface WeightSpec {
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * Every weight the encoder needs, with Hugging Face's names and shapes (torch Linear weights
 * are [out, in]). The checkpoint reader validates against this list and the encoder builds its
 * variables from it, so the two cannot drift apart.
 */
export function encoderWeightSpec(c: EncoderConfig): WeightSpec[] {
  const h = c.hiddenSize;
  const spec: WeightSpec[] = [
    { name: "embeddings.word_embeddings.weight", shape: [c.vocabSize, h] },
    { name: "embeddings.position_embeddings.weight", shape: [c.maxPositionEmbeddings, h] },
    { name: "embeddings.token_type_embeddings.weight", shape: [c.typeVocabSize, h] },
    { name: "embeddings.LayerNorm.weight", shape: [h] },
    { name: "embeddings.LayerNorm.bias", shape: [h] },
  ];
  const linear = (name: string, out: number, inp: number) => {
    spec.push({ name: `${name}.weight`, shape: [out, inp] }, { name: `${name}.bias`, shape: [out] });
  };
  const norm = (name: string) => {
    spec.push({ name: `${name}.weight`, shape: [h] }, { name: `${name}.bias`, shape: [h] });
  };
  for (let i = 0; i < c.numLayers; i++) {
    const p = `encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, h, h);
    linear(`${p}.attention.self.key`, h, h);
    linear(`${p}.attention.self.value`, h, h);
    linear(`${p}.attention.output.dense`, h, h);
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, c.intermediateSize, h);
    linear(`${p}.output.dense`, h, c.intermediateSize);
    norm(`${p}.output.LayerNorm`);
  }
  return spec;
}

/**
 * Names a checkpoint may hold that the encoder does not use: the pooler (sentence-transformers
 * models pool themselves), and buffers some transformers versions save.
 */
export const IGNORED_WEIGHTS: readonly RegExp[] = [/^pooler\./, /^embeddings\.position_ids$/, /^embeddings\.token_type_ids$/];
