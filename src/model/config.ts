/**
 * Hugging Face `config.json` ⇄ EncoderConfig. Absent keys take the defaults of transformers'
 * BertConfig / XLMRobertaConfig, so a config that loads there means the same thing here.
 */
import { join } from "node:path";
import { DataError } from "../util/errors.js";
import { isPlainObject, readJsonFile } from "../util/json-fields.js";
import type { EncoderConfig, ModelFamily } from "./types.js";

const FAMILY_OF: Readonly<Record<string, ModelFamily>> = {
  bert: "bert",
  "xlm-roberta": "xlm-roberta",
  roberta: "xlm-roberta",
  camembert: "xlm-roberta",
};

/** The bare-model class transformers' AutoModel builds for each model_type. */
const ARCHITECTURE_OF: Readonly<Record<string, string>> = {
  bert: "BertModel",
  "xlm-roberta": "XLMRobertaModel",
  roberta: "RobertaModel",
  camembert: "CamembertModel",
};

export const SUPPORTED_MODEL_TYPES: readonly string[] = Object.keys(FAMILY_OF);

/** BertConfig's defaults; XLMRobertaConfig / RobertaConfig / CamembertConfig differ only in the special token ids. */
const DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
} as const;

const PAD_TOKEN_ID: Readonly<Record<ModelFamily, number>> = { bert: 0, "xlm-roberta": 1 };


/** Parses a Hugging Face config.json for a BERT-family encoder. */
export function parseEncoderConfig(json: unknown, file: string): EncoderConfig {
  if (!isPlainObject(json)) throw new DataError(file, "config.json must hold a JSON object");
  const modelType = json.model_type;
  if (typeof modelType !== "string") {
    throw new DataError(file, `model_type is missing (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  }
  const family = FAMILY_OF[modelType];
  if (family === undefined) {
    throw new DataError(file, `model_type '${modelType}' is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(", ")})`);
  }

  const int = (key: keyof typeof DEFAULTS | "pad_token_id", fallback: number, min: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
      throw new DataError(file, `${key} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const hiddenSize = int("hidden_size", DEFAULTS.hidden_size, 1);
  const numHeads = int("num_attention_heads", DEFAULTS.num_attention_heads, 1);
  if (hiddenSize % numHeads !== 0) {
    throw new DataError(file, `hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numHeads}`);
  }
  const eps = json.layer_norm_eps ?? DEFAULTS.layer_norm_eps;
  if (typeof eps !== "number" || !(eps > 0) || !Number.isFinite(eps)) throw new DataError(file, `layer_norm_eps must be a positive finite number, got ${typeof eps === "number" ? String(eps) : JSON.stringify(eps)}`);

  const act = json.hidden_act ?? "gelu";
  if (act !== "gelu") {
    throw new DataError(
      file,
      `hidden_act ${JSON.stringify(act)} is not supported: only "gelu" (exact, erf-based) is implemented`,
    );
  }
  const positions = json.position_embedding_type ?? "absolute";
  if (positions !== "absolute") {
    throw new DataError(file, `position_embedding_type ${JSON.stringify(positions)} is not supported: only "absolute"`);
  }
  // Both change the computation (causal masks, cross-attention weights) the encoder does not have.
  for (const key of ["is_decoder", "add_cross_attention"] as const) {
    if (json[key] === true) throw new DataError(file, `${key}: true is not supported: only bidirectional encoders`);
  }

  return {
    modelType,
    family,
    vocabSize: int("vocab_size", DEFAULTS.vocab_size, 1),
    hiddenSize,
    numLayers: int("num_hidden_layers", DEFAULTS.num_hidden_layers, 0),
    numHeads,
    intermediateSize: int("intermediate_size", DEFAULTS.intermediate_size, 1),
    maxPositionEmbeddings: int("max_position_embeddings", DEFAULTS.max_position_embeddings, 1),
    typeVocabSize: int("type_vocab_size", DEFAULTS.type_vocab_size, 1),
    layerNormEps: eps,
    padTokenId: int("pad_token_id", PAD_TOKEN_ID[family], 0),
    hiddenAct: "gelu",
  };
}

/** Reads `<dir>/config.json`. */
export async function readEncoderConfig(dir: string): Promise<EncoderConfig> {
  const file = join(dir, "config.json");
  return parseEncoderConfig(await readJsonFile(file), file);
}

/**
 * A config.json that transformers' AutoModel loads as the bare encoder. Dropouts and the
 * initializer range are not part of EncoderConfig, so they get the transformers defaults.
 *
 * @example
 * await writeFileAtomic(join(dir, "config.json"), JSON.stringify(encoderConfigToJson(config), null, 2) + "\n");
 */
export function encoderConfigToJson(config: EncoderConfig): Record<string, unknown> {
  const architecture = ARCHITECTURE_OF[config.modelType];
  if (architecture === undefined) throw new Error(`model_type '${config.modelType}' is not supported`);
  // RoBERTa-style tokenizers put <s> at 0 and </s> at 2; transformers writes them into config.json.
  const specialTokens = config.family === "xlm-roberta" ? { bos_token_id: 0, eos_token_id: 2 } : {};
  return {
    architectures: [architecture],
    model_type: config.modelType,
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    hidden_act: config.hiddenAct,
    hidden_dropout_prob: 0.1,
    hidden_size: config.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: config.intermediateSize,
    layer_norm_eps: config.layerNormEps,
    max_position_embeddings: config.maxPositionEmbeddings,
    num_attention_heads: config.numHeads,
    num_hidden_layers: config.numLayers,
    pad_token_id: config.padTokenId,
    ...specialTokens,
    position_embedding_type: "absolute",
    torch_dtype: "float32",
    type_vocab_size: config.typeVocabSize,
    use_cache: true,
    vocab_size: config.vocabSize,
  };
}
