/**
 * The `mini` preset: random weights initialised as transformers initialises BERT, each word
 * vector seeded by its original XLM-R id, over the vendored tokenizer trimmed to a corpus.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { createMiniEncoder, randomWeights } from "../../src/model/mini.js";
import { MINI_CONFIG } from "../../src/model/presets.js";
import { WORD_EMBEDDINGS } from "../../src/model/trim.js";
import type { EncoderConfig, NamedTensor } from "../../src/model/types.js";
import { encoderWeightSpec } from "../../src/model/weight-spec.js";
import { silentLogger } from "../../src/util/logger.js";

before(async () => {
  await initBackend("wasm", silentLogger);
});

const SMALL: EncoderConfig = { ...MINI_CONFIG, vocabSize: 10, hiddenSize: 64, numLayers: 1, numHeads: 2, intermediateSize: 256, maxPositionEmbeddings: 20 };
const row = (t: NamedTensor, r: number) => Array.from(t.data.subarray(r * t.shape[1], (r + 1) * t.shape[1]));

test("randomWeights: every weight of the spec; normal(0, 0.02) matrices, zero biases, unit LayerNorm, zero padding row", () => {
  const w = randomWeights(SMALL, 1);
  assert.deepEqual(
    [...w].map(([name, t]) => [name, t.shape]),
    encoderWeightSpec(SMALL).map((s) => [s.name, s.shape]),
  );
  for (const [name, t] of w) {
    assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), name);
    if (name.endsWith("LayerNorm.weight")) assert.ok(t.data.every((x) => x === 1), name);
    else if (name.endsWith(".bias")) assert.ok(t.data.every((x) => x === 0), name);
  }
  const words = w.get(WORD_EMBEDDINGS)!;
  assert.ok(row(words, SMALL.padTokenId).every((x) => x === 0), "the padding row starts at zero");
  assert.ok(row(words, 0).some((x) => x !== 0));
  // 64 × 256 draws: mean and spread of N(0, 0.02).
  const big = w.get("encoder.layer.0.intermediate.dense.weight")!.data;
  const mean = big.reduce((a, b) => a + b, 0) / big.length;
  const std = Math.sqrt(big.reduce((a, b) => a + (b - mean) ** 2, 0) / big.length);
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
});

test("randomWeights: the seed fixes every value, and different seeds differ", () => {
  const [a, b, c] = [randomWeights(SMALL, 4), randomWeights(SMALL, 4), randomWeights(SMALL, 5)];
  for (const [name, t] of a) assert.deepEqual(b.get(name)!.data, t.data, name);
  assert.notDeepEqual(c.get(WORD_EMBEDDINGS)!.data, a.get(WORD_EMBEDDINGS)!.data);
  assert.notDeepEqual(c.get("encoder.layer.0.attention.self.query.weight")!.data, a.get("encoder.layer.0.attention.self.query.weight")!.data);
});

test("randomWeights: a word vector depends only on (seed, rowSeed(row)); the vocabulary size moves no other weight", () => {
  const oldIds = [7, 1, 9, 2, 4];
  const trimmed = randomWeights({ ...SMALL, vocabSize: 5 }, 3, (r) => oldIds[r]);
  const full = randomWeights(SMALL, 3);
  const [t, f] = [trimmed.get(WORD_EMBEDDINGS)!, full.get(WORD_EMBEDDINGS)!];
  oldIds.forEach((old, r) => {
    if (r === SMALL.padTokenId) assert.ok(row(t, r).every((x) => x === 0), "the padding row is zero whatever its seed");
    else assert.deepEqual(row(t, r), row(f, old), `row ${r} (old ${old})`);
  });
  for (const [name, x] of trimmed) if (name !== WORD_EMBEDDINGS) assert.deepEqual(x.data, full.get(name)!.data, name);
});

test("createMiniEncoder: the vocabulary is the corpus's pieces and the specials; other sizes on request", async () => {
  const corpus = ["Hello World!", "Bonjour tout le monde", "你好，世界"];
  const model = await createMiniEncoder({ corpus, seed: 2, architecture: { layers: 1, hidden: 16, heads: 2, intermediate: 32 } });
  try {
    const c = model.config;
    assert.deepEqual([c.numLayers, c.hiddenSize, c.numHeads, c.intermediateSize], [1, 16, 2, 32]);
    assert.deepEqual([c.family, c.maxPositionEmbeddings, c.typeVocabSize, c.layerNormEps], [MINI_CONFIG.family, MINI_CONFIG.maxPositionEmbeddings, 1, MINI_CONFIG.layerNormEps]);
    const ids = new Set(corpus.flatMap((t) => model.tokenizer.encode(t).ids));
    const specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"].map((t) => model.tokenizer.tokenId(t)!);
    assert.equal(c.vocabSize, new Set([...ids, ...specials]).size);
    assert.equal(model.tokenizer.vocabSize, c.vocabSize);
    assert.equal(c.padTokenId, model.tokenizer.tokenId("<pad>"));
    assert.ok(!ids.has(model.tokenizer.tokenId("<unk>")!), "the corpus tokenizes without <unk>");
    assert.equal(model.dim, 16);
    const emb = await model.embed(corpus.map((text) => ({ text })));
    for (let r = 0; r < corpus.length; r++) assert.ok(Math.abs(Math.hypot(...emb.subarray(r * 16, (r + 1) * 16)) - 1) < 1e-5, `row ${r} has unit length`);
  } finally {
    model.dispose();
  }
});

test("the same seed gives the same token vectors whatever corpus trimmed the vocabulary", async () => {
  const one = await createMiniEncoder({ corpus: ["Hello World!"], seed: 9 });
  const two = await createMiniEncoder({ corpus: ["Hello World!", "Bonjour tout le monde, 你好"], seed: 9 });
  try {
    const [x, y] = [await one.embed([{ text: "Hello World!" }]), await two.embed([{ text: "Hello World!" }])];
    for (let i = 0; i < x.length; i++) assert.ok(Math.abs(x[i] - y[i]) < 1e-6);
  } finally {
    one.dispose();
    two.dispose();
  }
});
