import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { clsPool, l2Normalize, meanPool } from "../../src/model/pooling.js";
import { silentLogger } from "../../src/util/logger.js";

before(async () => {
  await initBackend("wasm", silentLogger);
});

// [2, 3, 2]: row 0 has three real tokens, row 1 one real token and two padded ones.
const hidden = () => tf.tensor3d([[[1, 2], [3, 4], [5, 6]], [[7, 8], [100, 100], [-100, 9]]]);
const mask = () => tf.tensor2d([[1, 1, 1], [1, 0, 0]], undefined, "int32");

test("meanPool averages real tokens only; an all-padding row gives zeros", async () => {
  assert.deepEqual(await meanPool(hidden(), mask()).array(), [[3, 4], [7, 8]]);
  assert.deepEqual(await meanPool(hidden(), tf.zeros([2, 3])).array(), [[0, 0], [0, 0]]);
});

test("clsPool takes the first token", async () => {
  assert.deepEqual(await clsPool(hidden()).array(), [[1, 2], [7, 8]]);
});

test("l2Normalize scales rows to unit length and leaves a zero row at zero", async () => {
  const y = (await l2Normalize(tf.tensor2d([[3, 4], [0, 0]])).array()) as number[][];
  assert.deepEqual(y[1], [0, 0]);
  assert.ok(Math.abs(y[0][0] - 0.6) < 1e-7 && Math.abs(y[0][1] - 0.8) < 1e-7);
});

test("pooling leaves no tensors behind", () => {
  const [h, m] = [hidden(), mask()];
  const before = tf.memory().numTensors;
  tf.dispose([meanPool(h, m), clsPool(h), l2Normalize(h)]);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([h, m]);
});
