import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { encoderConfigToJson, parseEncoderConfig } from "../../src/model/config.js";
import type { EncoderConfig } from "../../src/model/types.js";

/** sentence-transformers/LaBSE's config.json, trimmed to the keys that matter. */
const LABSE = {
  architectures: ["BertModel"],
  attention_probs_dropout_prob: 0.1,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: "bert",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: "absolute",
  type_vocab_size: 2,
  vocab_size: 501153,
};

/** FacebookAI/xlm-roberta-base's config.json. */
const XLMR = {
  architectures: ["XLMRobertaForMaskedLM"],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: "xlm-roberta",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  output_past: true,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 250002,
};

function throwsData(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => err instanceof DataError && err.file === "config.json" && re.test(err.message));
}

describe("encoder config", () => {
  test("LaBSE and XLM-R configs parse to the expected families and sizes", () => {
    assert.deepEqual(parseEncoderConfig(LABSE, "config.json"), {
      modelType: "bert",
      family: "bert",
      vocabSize: 501153,
      hiddenSize: 768,
      numLayers: 12,
      numHeads: 12,
      intermediateSize: 3072,
      maxPositionEmbeddings: 512,
      typeVocabSize: 2,
      layerNormEps: 1e-12,
      padTokenId: 0,
      hiddenAct: "gelu",
    } satisfies EncoderConfig);
    const x = parseEncoderConfig(XLMR, "config.json");
    assert.equal(x.family, "xlm-roberta");
    assert.deepEqual([x.maxPositionEmbeddings, x.typeVocabSize, x.layerNormEps, x.padTokenId], [514, 1, 1e-5, 1]);
    assert.equal(parseEncoderConfig({ ...XLMR, model_type: "roberta" }, "config.json").family, "xlm-roberta");
    assert.equal(parseEncoderConfig({ ...XLMR, model_type: "camembert" }, "config.json").family, "xlm-roberta");
  });

  test("absent keys take transformers' defaults, pad_token_id per family", () => {
    const bert = parseEncoderConfig({ model_type: "bert" }, "config.json");
    assert.deepEqual(
      [bert.vocabSize, bert.hiddenSize, bert.numLayers, bert.numHeads, bert.intermediateSize, bert.maxPositionEmbeddings],
      [30522, 768, 12, 12, 3072, 512],
    );
    assert.deepEqual([bert.typeVocabSize, bert.layerNormEps, bert.padTokenId, bert.hiddenAct], [2, 1e-12, 0, "gelu"]);
    const xlmr = parseEncoderConfig({ model_type: "xlm-roberta" }, "config.json");
    assert.deepEqual([xlmr.typeVocabSize, xlmr.layerNormEps, xlmr.padTokenId], [2, 1e-12, 1]);
  });

  test("unsupported settings are errors naming the file and the allowed values", () => {
    throwsData(() => parseEncoderConfig({ model_type: "distilbert" }, "config.json"), /model_type 'distilbert' is not supported \(supported: bert, xlm-roberta, roberta, camembert\)/);
    throwsData(() => parseEncoderConfig({}, "config.json"), /model_type is missing/);
    throwsData(() => parseEncoderConfig([], "config.json"), /JSON object/);
    for (const act of ["gelu_new", "gelu_pytorch_tanh", "relu"]) {
      throwsData(() => parseEncoderConfig({ ...LABSE, hidden_act: act }, "config.json"), new RegExp(`hidden_act "${act}" is not supported: only "gelu"`));
    }
    throwsData(() => parseEncoderConfig({ ...LABSE, position_embedding_type: "relative_key" }, "config.json"), /position_embedding_type "relative_key"/);
    throwsData(() => parseEncoderConfig({ ...LABSE, is_decoder: true }, "config.json"), /is_decoder: true is not supported/);
    throwsData(() => parseEncoderConfig({ ...LABSE, num_attention_heads: 5 }, "config.json"), /hidden_size 768 is not a multiple of num_attention_heads 5/);
    throwsData(() => parseEncoderConfig({ ...LABSE, hidden_size: "768" }, "config.json"), /hidden_size must be an integer ≥ 1, got "768"/);
    throwsData(() => parseEncoderConfig({ ...LABSE, layer_norm_eps: 0 }, "config.json"), /layer_norm_eps must be a positive finite number, got 0/);
  });

  test("encoderConfigToJson writes what transformers' AutoModel needs and parses back to the same config", () => {
    for (const source of [LABSE, XLMR, { ...XLMR, model_type: "roberta" }]) {
      const config = parseEncoderConfig(source, "config.json");
      const json = encoderConfigToJson(config);
      assert.deepEqual(parseEncoderConfig(JSON.parse(JSON.stringify(json)), "config.json"), config);
      for (const key of ["hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size", "type_vocab_size", "layer_norm_eps", "pad_token_id", "max_position_embeddings"]) {
        assert.equal(json[key], (source as Record<string, unknown>)[key], key);
      }
      assert.equal(json.position_embedding_type, "absolute");
      assert.equal(json.hidden_act, "gelu");
      assert.equal(json.model_type, source.model_type);
    }
    assert.deepEqual(encoderConfigToJson(parseEncoderConfig(LABSE, "config.json")).architectures, ["BertModel"]);
    const x = encoderConfigToJson(parseEncoderConfig(XLMR, "config.json"));
    assert.deepEqual([x.architectures, x.bos_token_id, x.eos_token_id], [["XLMRobertaModel"], 0, 2]);
  });
});
