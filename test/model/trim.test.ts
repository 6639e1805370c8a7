/**
 * Model trimming on the tiny-xlmr parity fixture (461 pieces, 32 wide): the trimmed tokenizer
 * and embedding table give every fixture text the same token vectors as the full model.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { readEncoderWeights } from "../../src/model/checkpoint.js";
import { readEncoderConfig } from "../../src/model/config.js";
import { gatherRows, trimModel, usedTokenIds, WORD_EMBEDDINGS } from "../../src/model/trim.js";
import type { NamedTensor } from "../../src/model/types.js";
import { readTokenizerJson, tokenizerFromJson } from "../../src/tokenize/hf-tokenizer.js";

const DIR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");
const config = await readEncoderConfig(DIR);
const weights = await readEncoderWeights(DIR, config);
const tokenizerJson = await readTokenizerJson(join(DIR, "tokenizer.json"));
const tokenizer = tokenizerFromJson(tokenizerJson, "tiny-xlmr");
const texts: string[] = (JSON.parse(await readFile(join(DIR, "expected.json"), "utf8")) as { cases: Array<{ texts: string[] }> }).cases[0].texts;

/** Row `id` of a [vocab, hidden] table. */
const row = (table: NamedTensor, id: number) => Array.from(table.data.subarray(id * table.shape[1], (id + 1) * table.shape[1]));

test("usedTokenIds: every id the texts encode to, the special tokens included", () => {
  const used = usedTokenIds(tokenizer, texts);
  const expected = new Set(texts.flatMap((t) => tokenizer.encode(t).ids));
  assert.deepEqual([...used].sort((a, b) => a - b), [...expected].sort((a, b) => a - b));
  assert.ok(used.has(0) && used.has(2), "<s> and </s>");
  assert.ok(!used.has(1), "no padding in single texts");
  assert.deepEqual([...usedTokenIds(tokenizer, [])], []);
  // An iterable is read once, as it comes.
  assert.deepEqual(usedTokenIds(tokenizer, new Set(texts.slice(0, 2))), usedTokenIds(tokenizer, texts.slice(0, 2)));
});

test("gatherRows: the rows asked for, in that order, repeats allowed", () => {
  const table: NamedTensor = { shape: [4, 2], data: Float32Array.from([0, 1, 10, 11, 20, 21, 30, 31]) };
  assert.deepEqual(gatherRows(table, Int32Array.from([3, 0, 3])), { shape: [3, 2], data: Float32Array.from([30, 31, 0, 1, 30, 31]) });
  assert.deepEqual(gatherRows(table, new Int32Array(0)), { shape: [0, 2], data: new Float32Array(0) });
});

test("trimModel: the kept tokens keep their vectors, the texts tokenize to them, padding follows", () => {
  const trimmed = trimModel(config, weights, tokenizerJson, usedTokenIds(tokenizer, texts));
  const n = trimmed.oldIds.length;
  assert.ok(n < config.vocabSize, `kept ${n} of ${config.vocabSize}`);
  assert.deepEqual(trimmed.config, { ...config, vocabSize: n, padTokenId: Array.from(trimmed.oldIds).indexOf(config.padTokenId) });
  assert.equal(trimmed.oldIds[trimmed.config.padTokenId], config.padTokenId, "<pad> is kept though no text uses it");
  const table = trimmed.weights.get(WORD_EMBEDDINGS)!;
  assert.deepEqual(table.shape, [n, config.hiddenSize]);
  // Every other weight is the very same tensor.
  for (const [name, t] of weights) if (name !== WORD_EMBEDDINGS) assert.equal(trimmed.weights.get(name), t, name);
  assert.equal(trimmed.weights.size, weights.size);

  const small = tokenizerFromJson(trimmed.tokenizerJson, "trimmed");
  const full = weights.get(WORD_EMBEDDINGS)!;
  for (const text of texts) {
    const before = tokenizer.encode(text);
    const after = small.encode(text);
    assert.deepEqual(after.tokens, before.tokens, text);
    assert.deepEqual(Array.from(after.ids, (id) => trimmed.oldIds[id]), before.ids, text);
    after.ids.forEach((id, k) => assert.deepEqual(row(table, id), row(full, before.ids[k]), `${text}: token ${k}`));
  }
  // The input is left as it was.
  assert.equal(weights.get(WORD_EMBEDDINGS), full);
  assert.deepEqual(full.shape, [config.vocabSize, config.hiddenSize]);
});

test("trimModel: weights without word embeddings, or a pad id that is not a kept token, are errors", () => {
  const noTable = new Map(weights);
  noTable.delete(WORD_EMBEDDINGS);
  assert.throws(() => trimModel(config, noTable, tokenizerJson, [5]), /^Error: weights have no embeddings\.word_embeddings\.weight$/);
  // Id 10 is an ordinary piece: kept only if used.
  assert.throws(() => trimModel({ ...config, padTokenId: 10 }, weights, tokenizerJson, [5]), /^Error: pad token id 10 is not a kept token$/);
  assert.equal(trimModel({ ...config, padTokenId: 10 }, weights, tokenizerJson, [5, 10]).config.padTokenId, 5);
  assert.throws(() => trimModel(config, weights, tokenizerJson, [config.vocabSize]), /token id 461 is outside the vocabulary/);
});
