import assert from "node:assert/strict";
import { test } from "node:test";
import { Bm25Index } from "../../src/baselines/bm25.js";

// Three documents over term ids; expectations computed by hand with k1 = 1.2, b = 0.75.
const docs = [[1, 2, 2], [2, 3], [4, 4, 4, 4]];
const avg = 3; // (3 + 2 + 4) / 3
const idf = (df: number) => Math.log(1 + (3 - df + 0.5) / (df + 0.5));
const w = (tf: number, len: number) => (tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * len) / avg));

test("BM25 scores equal the formula term by term", () => {
  const index = new Bm25Index(docs);
  const out = new Float32Array(3);
  index.scoreInto([2, 1], out);
  const expected = [idf(2) * w(2, 3) + idf(1) * w(1, 3), idf(2) * w(1, 2), 0];
  expected.forEach((e, i) => assert.ok(Math.abs(out[i] - e) < 1e-6, `doc ${i}: ${out[i]} vs ${e}`));
});

test("a repeated query term counts twice; unknown terms add nothing", () => {
  const index = new Bm25Index(docs);
  const once = new Float32Array(3);
  const twice = new Float32Array(3);
  index.scoreInto([3, 99], once);
  index.scoreInto([3, 3], twice);
  assert.ok(once[1] > 0 && once[0] === 0 && once[2] === 0);
  assert.ok(Math.abs(twice[1] - 2 * once[1]) < 1e-6);
});

test("the scorer fills one row per query, block by block", () => {
  const index = new Bm25Index(docs);
  const scorer = index.scorer([[4], [1], [2, 3]]);
  const out = new Float32Array(2 * 3).fill(7); // stale values must be cleared
  scorer.scoreBlock(1, 2, out);
  const row1 = new Float32Array(3);
  index.scoreInto([1], row1);
  const row2 = new Float32Array(3);
  index.scoreInto([2, 3], row2);
  assert.deepEqual([...out], [...row1, ...row2]);
});

test("bad options are refused with the allowed range", () => {
  assert.throws(() => new Bm25Index(docs, { b: 2 }), /b must be in \[0, 1\], got 2/);
  assert.throws(() => new Bm25Index(docs, { k1: -1 }), /k1 must be >= 0, got -1/);
});
