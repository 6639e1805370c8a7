import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { TrainingVocabulary, inputTokenIds } from "../../src/model/training-vocabulary.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

const TINY_XLMR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");

function randomTable(vocab: number, hidden: number, seed: number): { shape: number[]; data: Float32Array } {
  const rand = mulberry32(seed);
  return { shape: [vocab, hidden], data: Float32Array.from({ length: vocab * hidden }, () => randomNormal(rand)) };
}

describe("TrainingVocabulary", () => {
  before(async () => {
    await initBackend("wasm");
  });

  test("cut keeps the used rows in id order; expand puts the trained rows back and decays the others as tfjs's float32 multiply does", async () => {
    const [vocab, hidden] = [40, 6];
    const table = randomTable(vocab, hidden, 1);
    const original = table.data.slice();
    const { vocabulary, trimmed } = TrainingVocabulary.cut(table, [7, 3, 3, 31, 0]);
    assert.deepEqual([...vocabulary.rows], [0, 3, 7, 31]);
    assert.equal(vocabulary.vocabSize, vocab);
    assert.deepEqual(trimmed.shape, [4, hidden]);
    [0, 3, 7, 31].forEach((id, i) => assert.deepEqual(trimmed.data.subarray(i * hidden, (i + 1) * hidden), original.subarray(id * hidden, (id + 1) * hidden)));

    // Three steps of AdamW's decoupled decay on a zero-gradient row, as tfjs computes p · keep.
    const keeps = [1 - 1e-3 * 0.01, 1 - 7e-4 * 0.01, 1, 1 - 3.3e-4 * 0.01];
    let reference = tf.tensor2d(original, [vocab, hidden]);
    for (const keep of keeps) {
      vocabulary.decay(keep);
      if (keep !== 1) {
        const next = reference.mul(keep);
        reference.dispose();
        reference = next as tf.Tensor2D;
      }
    }
    const expected = reference.dataSync();
    reference.dispose();
    const trained = { shape: trimmed.shape, data: trimmed.data.map((v) => v + 1) };
    const full = vocabulary.expand(trained);
    assert.deepEqual(full.shape, [vocab, hidden]);
    for (let id = 0; id < vocab; id++) {
      const row = full.data.subarray(id * hidden, (id + 1) * hidden);
      const i = [...vocabulary.rows].indexOf(id);
      if (i >= 0) assert.deepEqual(row, trained.data.subarray(i * hidden, (i + 1) * hidden), `trained row ${id}`);
      else assert.deepEqual(row, expected.subarray(id * hidden, (id + 1) * hidden), `decayed row ${id}`);
    }
    assert.ok(full.data.some((v, i) => v !== original[i] && vocabulary.rows.indexOf(Math.floor(i / hidden)) < 0), "the decay changed something");

    // A second expand applies only the decays since the first.
    vocabulary.decay(0.5);
    const again = vocabulary.expand(trained);
    assert.equal(again.data[hidden], Math.fround(expected[hidden] * 0.5));
  });

  test("bad input: ids outside the table, a wrongly shaped cut table, a decay factor outside (0, 1]", () => {
    const table = randomTable(10, 4, 2);
    assert.throws(() => TrainingVocabulary.cut(table, [2, 10]), /^RangeError: token id 10 is outside the vocabulary of 10$/);
    assert.throws(() => TrainingVocabulary.cut(table, [-1]), /token id -1 is outside/);
    assert.throws(() => TrainingVocabulary.cut({ shape: [40], data: new Float32Array(40) }, [1]), /a word-embedding table is \[vocab, hidden\], not \[40\]/);
    const { vocabulary } = TrainingVocabulary.cut(table, [1, 2]);
    assert.throws(() => vocabulary.expand({ shape: [3, 4], data: new Float32Array(12) }), /the cut table is \[3, 4\], expected \[2, 4\]/);
    for (const bad of [0, 1.5, Number.NaN, -0.5]) assert.throws(() => vocabulary.decay(bad), /is not in \(0, 1\]/);
  });

  test("inputTokenIds: the ids the model's own encoding gives (prefix, truncation, padding); a cut model embeds those texts as the whole one", async () => {
    const model = await loadSentenceEncoder(TINY_XLMR);
    try {
      const parts = [
        { inputs: [{ text: "Wer hat die Glühbirne erfunden?" }, { text: "Who?" }], maxLength: 8, prefix: "query: " },
        { inputs: [{ text: "Thomas Edison meldete 1879 ein Patent an." }], maxLength: 6, prefix: "passage: " },
      ];
      const used = inputTokenIds(model, parts);
      const expected = new Set<number>([model.config.padTokenId]);
      for (const p of parts) for (const input of p.inputs) for (const id of model.encodeInputs([input], p).inputIds) expected.add(id);
      assert.deepEqual([...used].sort((a, b) => a - b), [...expected].sort((a, b) => a - b));
      assert.ok(used.size < model.config.vocabSize);
      // Truncation drops the passage's later pieces: longer limits use more rows.
      assert.ok(inputTokenIds(model, [{ ...parts[1], maxLength: 30 }]).size > inputTokenIds(model, [parts[1]]).size);

      const cut = model.cutVocabulary(used);
      try {
        assert.deepEqual(cut.encoder.wordEmbeddings().shape, [used.size, model.config.hiddenSize]);
        for (const p of parts) {
          const a = await model.embed(p.inputs, { ...p, threads: 1 });
          const b = await cut.embed(p.inputs, { ...p, threads: 1 });
          assert.deepEqual(b, a);
        }
        // Saved or handed to a worker, the cut model is the whole model.
        const whole = cut.parts().weights.get("embeddings.word_embeddings.weight")!;
        assert.deepEqual(whole.data, model.parts().weights.get("embeddings.word_embeddings.weight")!.data);
        assert.throws(() => cut.forward(cut.encodeInputs([{ text: "Ein ganz anderer Satz über Zebras" }])), /is not among the \d+ the word-embedding table holds/);
      } finally {
        cut.dispose();
      }
    } finally {
      model.dispose();
    }
  });
});
