import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { DenseScorer, ParallelDenseScorer } from "../../src/eval/dense-scorer.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

describe("DenseScorer", () => {
  before(async () => {
    assert.equal(await initBackend("wasm"), "wasm");
  });

  test("blocks of dot products match a plain float64 loop", async () => {
    const rand = mulberry32(3);
    const dim = 24;
    const [nq, nc] = [13, 17];
    const queries = Float32Array.from({ length: nq * dim }, () => randomNormal(rand));
    const candidates = Float32Array.from({ length: nc * dim }, () => randomNormal(rand));
    const scorer = new DenseScorer(queries, candidates, dim);
    try {
      assert.deepEqual([scorer.numQueries, scorer.numCandidates], [nq, nc]);
      const out = new Float32Array(5 * nc);
      scorer.scoreBlock(8, 5, out);
      for (let i = 0; i < 5; i++) {
        for (let c = 0; c < nc; c++) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += queries[(8 + i) * dim + d] * candidates[c * dim + d];
          assert.ok(Math.abs(out[i * nc + c] - dot) < 1e-4, `q${8 + i} c${c}: ${out[i * nc + c]} vs ${dot}`);
        }
      }
      assert.throws(() => scorer.scoreBlock(10, 5, out), /outside/);
    } finally {
      scorer.dispose();
    }
    assert.throws(() => new DenseScorer(new Float32Array(5), new Float32Array(4), 2), /multiple of dim/);
  });

  test("memory stays flat across blocks and is released by dispose", () => {
    const dim = 8;
    const scorer = new DenseScorer(new Float32Array(40 * dim).fill(0.5), new Float32Array(30 * dim).fill(1), dim);
    const before = tf.memory().numTensors;
    const out = new Float32Array(10 * 30);
    for (let s = 0; s < 40; s += 10) scorer.scoreBlock(s, 10, out);
    assert.equal(tf.memory().numTensors, before);
    assert.equal(out[0], 4);
    scorer.dispose();
    assert.equal(tf.memory().numTensors, before - 1);
  });
});

describe("ParallelDenseScorer", () => {
  test("splits a block's rows over workers and matches DenseScorer", async () => {
    await initBackend("wasm");
    const rand = mulberry32(11);
    const dim = 16;
    const [nq, nc] = [9, 21];
    const queries = Float32Array.from({ length: nq * dim }, () => randomNormal(rand));
    const candidates = Float32Array.from({ length: nc * dim }, () => randomNormal(rand));
    const single = new DenseScorer(queries, candidates, dim);
    const parallel = await ParallelDenseScorer.create(queries, candidates, dim, { workers: 2, backend: "wasm" });
    try {
      // 7 rows over 2 workers: 4 + 3.
      const want = new Float32Array(7 * nc);
      const got = new Float32Array(7 * nc);
      single.scoreBlock(1, 7, want);
      await parallel.scoreBlock(1, 7, got);
      assert.deepEqual(got, want);
      // A block of one row leaves the second worker idle.
      single.scoreBlock(8, 1, want);
      await parallel.scoreBlock(8, 1, got);
      assert.deepEqual(got.subarray(0, nc), want.subarray(0, nc));
      await assert.rejects(parallel.scoreBlock(5, 5, got), /outside/);
    } finally {
      single.dispose();
      await parallel.dispose();
    }
  });

  test("a worker that cannot start rejects create", async () => {
    await assert.rejects(
      // @ts-expect-error: a backend name from outside TypeScript
      ParallelDenseScorer.create(new Float32Array(4), new Float32Array(4), 2, { workers: 1, backend: "gpu" }),
      /unknown backend 'gpu'/,
    );
  });
});
