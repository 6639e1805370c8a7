import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { EncodedBatch } from "../../src/model/inputs.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { resolveRunConfig } from "../../src/train/config.js";
import { cachedGradients, pickRows, plainGradients, sliceBatch, type EmbeddingLoss, type StepGradients, type StepInputs } from "../../src/train/grad-cache.js";
import { InfoNceLoss } from "../../src/train/loss.js";
import { train } from "../../src/train/trainer.js";
import { writeTrainingJsonl, type TrainingRecord } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { silentLogger } from "../../src/util/logger.js";
import { maxAbsDifference } from "./helpers.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/parity/${name}`, import.meta.url));
/** tiny-xlmr: XLM-R family, mean pooling; tiny-bert: BERT family with a Dense module (more variables). */
const MODELS = ["tiny-xlmr", "tiny-bert"] as const;
/** 10 pairs: chunks of 3 leave a chunk of 1, chunks of 12 are one chunk. */
const BATCH = 10;
const CHUNK_SIZES = [1, 3, 4, 12];

async function readGrads(step: StepGradients): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const loss = (await step.value.data())[0];
  const grads = new Map<string, Float32Array>();
  for (const [name, g] of Object.entries(step.grads)) grads.set(name, (await g.data()) as Float32Array);
  tf.dispose([step.value, step.grads]);
  return { loss, grads };
}


function largest(grads: Map<string, Float32Array>): number {
  let max = 0;
  for (const g of grads.values()) for (const x of g) max = Math.max(max, Math.abs(x));
  return max;
}

describe("gradient caching", () => {
  let records: TrainingRecord[];
  before(async () => {
    await initBackend("wasm");
    // Real pairs of varied lengths: MLQA-R German and English questions with their answer sentences.
    records = fromRetrievalDataset(await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 40 }));
  });

  /** A batch of BATCH pairs, alternating languages so rows differ in length and script. */
  function batchOf(model: SentenceEncoder, offset = 0): { queries: EncodedBatch; passages: EncodedBatch; langs: string[] } {
    const rows = Array.from({ length: BATCH }, (_, i) => records[(offset + i * 7) % records.length]);
    return {
      queries: model.encodeInputs(rows.map((r) => ({ text: r.query })), { maxLength: 24 }),
      passages: model.encodeInputs(rows.map((r) => ({ text: r.positive })), { maxLength: 40 }),
      langs: rows.map((r) => r.lang),
    };
  }

  for (const name of MODELS) {
    for (const dropout of [0, 0.1]) {
      test(`${name}, dropout ${dropout}: loss and every gradient equal the plain step's to 1e-5 for chunks of ${CHUNK_SIZES.join(", ")}`, async () => {
        const model = await loadSentenceEncoder(fixture(name), { encoder: { dropout } });
        try {
          const { queries, passages } = batchOf(model);
          assert.ok(queries.seqLen > 5 && passages.seqLen > queries.seqLen, "rows are padded: chunks re-pad to their own longest row");
          const info = new InfoNceLoss({ scale: 20, symmetric: true });
          const inputs: StepInputs = { model, queries, passages, loss: (e) => info.compute(e.queries, e.passages), seed: 1234 };
          const plain = await readGrads(plainGradients(inputs));
          assert.ok(largest(plain.grads) > 1e-3, "the gradients are not all zero");
          const before = tf.memory().numTensors;
          for (const chunkSize of CHUNK_SIZES) {
            const cached = await readGrads(cachedGradients(inputs, chunkSize));
            assert.equal(tf.memory().numTensors, before, `chunks of ${chunkSize}: every intermediate released`);
            assert.ok(Math.abs(cached.loss - plain.loss) < 1e-5, `chunks of ${chunkSize}: loss ${cached.loss} vs ${plain.loss}`);
            const diff = maxAbsDifference(cached.grads, plain.grads);
            assert.ok(diff < 1e-5, `chunks of ${chunkSize}: gradients differ by ${diff}`);
          }
          if (dropout > 0) {
            // Dropout is on and seeded: another seed drops other units and changes the gradients.
            const reseeded = await readGrads(plainGradients({ ...inputs, seed: 99 }));
            assert.ok(maxAbsDifference(reseeded.grads, plain.grads) > 1e-4, "dropout changes the gradients");
            const again = await readGrads(cachedGradients(inputs, 3));
            assert.ok(maxAbsDifference(again.grads, plain.grads) < 1e-5, "the same seed gives the same masks again");
          }
        } finally {
          model.dispose();
        }
      });
    }
  }

  for (const name of MODELS) {
    test(`${name}: forwardChunk (length-sorted chunks under one tape) gives the plain step's loss and gradients to 1e-5, the rows in the batch's order`, async () => {
      const model = await loadSentenceEncoder(fixture(name));
      try {
        const { queries, passages, langs } = batchOf(model);
        const info = new InfoNceLoss({ scale: 20 });
        // A loss that is not symmetric in the rows (a per-row weight by language): rows handed back out of order would change it.
        const weights = tf.tensor1d(langs.map((l, i) => (l === "de" ? 1 + i / 10 : 0.5)));
        const loss: EmbeddingLoss = (e) => tf.add(info.compute(e.queries, e.passages), tf.sum(tf.mul(tf.sum(e.queries, 1), weights)));
        const inputs: StepInputs = { model, queries, passages, loss, seed: 5 };
        const plain = await readGrads(plainGradients(inputs));
        const before = tf.memory().numTensors;
        for (const forwardChunk of [1, 3, 4, 12]) {
          const chunked = await readGrads(plainGradients({ ...inputs, forwardChunk }));
          assert.equal(tf.memory().numTensors, before, `chunks of ${forwardChunk}: every intermediate released`);
          assert.ok(Math.abs(chunked.loss - plain.loss) < 1e-5, `chunks of ${forwardChunk}: loss ${chunked.loss} vs ${plain.loss}`);
          assert.ok(maxAbsDifference(chunked.grads, plain.grads) < 1e-5, `chunks of ${forwardChunk}: gradients differ by ${maxAbsDifference(chunked.grads, plain.grads)}`);
        }
        weights.dispose();
        assert.throws(() => plainGradients({ ...inputs, forwardChunk: 0 }), /forward chunk must be an integer ≥ 1, got 0/);
      } finally {
        model.dispose();
      }
    });
  }

  test("pickRows reorders a batch's rows and keeps its padding", () => {
    const batch: EncodedBatch = {
      batch: 3,
      seqLen: 3,
      inputIds: Int32Array.from([5, 6, 1, 7, 1, 1, 8, 9, 4]),
      attentionMask: Int32Array.from([1, 1, 0, 1, 0, 0, 1, 1, 1]),
      tokenTypeIds: new Int32Array(9),
    };
    const picked = pickRows(batch, [2, 0, 1]);
    assert.deepEqual([...picked.inputIds], [8, 9, 4, 5, 6, 1, 7, 1, 1]);
    assert.deepEqual([...picked.attentionMask], [1, 1, 1, 1, 1, 0, 1, 0, 0]);
    assert.equal(picked.seqLen, 3);
  });

  test("a loss with variables of its own (a language classifier on the query embeddings) gets the same gradients too", async () => {
    const model = await loadSentenceEncoder(fixture("tiny-xlmr"), { encoder: { dropout: 0.1 } });
    // A linear classifier from the query embedding to the row's language, trained against the
    // encoder through gradient reversal: the shape of a language-adversarial term.
    const classifier = tf.variable(tf.randomNormal([model.dim, 2], 0, 0.5, "float32", 7), true, "test_adversary/kernel");
    try {
      const { queries, passages, langs } = batchOf(model, 3);
      assert.ok(new Set(langs).size === 2);
      const labels = tf.oneHot(tf.tensor1d(langs.map((l) => (l === "de" ? 0 : 1)), "int32"), 2);
      const reverse = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
        (args[1] as tf.GradSaveFunc)([]);
        return { value: (args[0] as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.neg(dy as tf.Tensor) };
      }) as (x: tf.Tensor) => tf.Tensor;
      const info = new InfoNceLoss();
      const loss: EmbeddingLoss = (e) =>
        tf.add(info.compute(e.queries, e.passages), tf.mul(0.5, tf.losses.softmaxCrossEntropy(labels, tf.matMul(reverse(e.queries) as tf.Tensor2D, classifier))));
      const inputs: StepInputs = { model, queries, passages, loss, seed: 5, lossVariables: [classifier] };
      const plain = await readGrads(plainGradients(inputs));
      const cached = await readGrads(cachedGradients(inputs, 3));
      assert.ok(plain.grads.has(classifier.name));
      assert.ok(largest(new Map([[classifier.name, plain.grads.get(classifier.name)!]])) > 1e-4);
      assert.ok(Math.abs(cached.loss - plain.loss) < 1e-5);
      assert.ok(maxAbsDifference(cached.grads, plain.grads) < 1e-5);
      labels.dispose();
    } finally {
      classifier.dispose();
      model.dispose();
    }
  });

  test("a chunk keeps its rows' tokens and is padded only to its own longest row", async () => {
    const model = await loadSentenceEncoder(fixture("tiny-xlmr"));
    try {
      const { passages } = batchOf(model);
      const lengths = Array.from({ length: BATCH }, (_, r) => passages.attentionMask.subarray(r * passages.seqLen, (r + 1) * passages.seqLen).reduce((s, x) => s + x, 0));
      for (const [start, end] of [[0, 3], [3, 6], [9, 10], [0, BATCH]]) {
        const chunk = sliceBatch(passages, start, end);
        assert.equal(chunk.batch, end - start);
        assert.equal(chunk.seqLen, Math.max(...lengths.slice(start, end)));
        for (let r = 0; r < chunk.batch; r++) {
          const row = (a: Int32Array, len: number, i: number) => [...a.subarray(i * len, i * len + lengths[start + r])];
          assert.deepEqual(row(chunk.inputIds, chunk.seqLen, r), row(passages.inputIds, passages.seqLen, start + r));
        }
      }
      assert.throws(() => cachedGradients({ model, queries: passages, passages, loss: () => tf.scalar(0), seed: 0 }, 0), /chunk size must be an integer ≥ 1/);
      const short = sliceBatch(passages, 0, 4);
      assert.throws(() => plainGradients({ model, queries: short, passages, loss: () => tf.scalar(0), seed: 0 }), /as many passages as queries/);
    } finally {
      model.dispose();
    }
  });
});

describe("training with gradient caching", () => {
  let dir: string;
  before(async () => {
    await initBackend("wasm");
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-grad-cache-"));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function lastWeights(outputDir: string): Promise<Map<string, Float32Array>> {
    const { tensors } = await readSafetensors(join(dir, outputDir, "checkpoints", "last", "model.safetensors"));
    return new Map([...tensors].map(([name, t]) => [name, t.data]));
  }

  test("a short run with dropout ends on the plain run's weights to 1e-5 (batch 8 in chunks of 3)", async () => {
    const config = (outputDir: string, gradCache: { chunkSize: number } | null, steps = 6) =>
      resolveRunConfig(
        {
          model: { ref: "mini", seed: 1, dropout: 0.1, mini: { layers: 1, hidden: 64, heads: 2, intermediate: 128 } },
          data: { train: "train.jsonl", validationFraction: 0 },
          sampler: { name: "hybrid", batchSize: 8, seed: 3 },
          optim: { lr: 1e-3, warmupSteps: 1 },
          loss: { symmetric: true },
          gradCache,
          steps,
          logEvery: 3,
          validateEvery: 0,
          checkpointEvery: 0,
          eval: null,
          backend: "wasm",
          outputDir,
        },
        join(dir, "config.json"),
        {},
        dir,
      );
    const quiet = { logger: silentLogger, progress: false };
    const losses: Record<string, number[]> = { plain: [], cached: [] };
    await train(config("plain", null), { ...quiet, onStep: (info) => losses.plain.push(info.loss) });
    await train(config("cached", { chunkSize: 3 }), { ...quiet, onStep: (info) => losses.cached.push(info.loss) });
    const plain = await lastWeights("plain");
    const cached = await lastWeights("cached");
    losses.plain.forEach((l, i) => assert.ok(Math.abs(l - losses.cached[i]) < 1e-5, `step ${i + 1}: loss ${losses.cached[i]} vs ${l}`));
    assert.ok(maxAbsDifference(cached, plain) < 1e-5, `weights differ by ${maxAbsDifference(cached, plain)}`);
    // The run moved the weights: equal end points are not two untouched initialisations.
    await train(config("one-step", null, 1), quiet);
    assert.ok(maxAbsDifference(await lastWeights("one-step"), plain) > 1e-3, "six steps move the weights further than one");
  });
});
