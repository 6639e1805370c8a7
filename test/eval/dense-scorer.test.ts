import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { DenseScorer } from "../../src/eval/dense-scorer.js";
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
