import assert from "node:assert/strict";
import { test } from "node:test";
import { compareCodePoints, TrecRanker } from "../../src/eval/ranking.js";
import { mulberry32 } from "../../src/util/random.js";

/** The reference: sort everything by trec_eval's rule and cut. */
function fullSort(row: number[], ids: string[], k: number, subset?: number[]): number[] {
  const cands = subset ?? row.map((_, i) => i);
  return [...cands].sort((a, b) => row[b] - row[a] || compareCodePoints(ids[b], ids[a])).slice(0, k);
}

test("topK equals a full sort by score then id, both descending, with ties, subsets and any k", () => {
  const rand = mulberry32(7);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + Math.floor(rand() * 60);
    const ids = Array.from({ length: n }, (_, i) => `d${(i * 37) % 101}-${i}`);
    const row = Array.from({ length: n }, () => Math.floor(rand() * 4) / 2); // many ties
    const ranker = new TrecRanker(ids);
    const k = 1 + Math.floor(rand() * (n + 3));
    assert.deepEqual(Array.from(ranker.topK(Float32Array.from(row), 0, n, k)), fullSort(row, ids, k));
    const subset = Array.from({ length: n }, (_, i) => i).filter(() => rand() < 0.5);
    assert.deepEqual(Array.from(ranker.topK(Float32Array.from(row), 0, n, k, Int32Array.from(subset))), fullSort(row, ids, k, subset));
  }
});

test("topK reads the row at its offset and refuses NaN", () => {
  const ranker = new TrecRanker(["a", "b", "c"]);
  assert.deepEqual(Array.from(ranker.topK([9, 9, 1, 2, 3], 2, 3, 2)), [2, 1]);
  assert.throws(() => ranker.topK([1, NaN, 0], 0, 3, 3), /NaN/);
});

test("ids compare in code-point (UTF-8 byte) order, as trec_eval's strcmp", () => {
  assert.ok(compareCodePoints("B", "a") < 0);
  assert.ok(compareCodePoints("a", "ab") < 0);
  // U+FF5E (one UTF-16 unit) sorts before U+1F600 (a surrogate pair) in UTF-8, unlike JS `<`.
  assert.ok("\u{1F600}" < "\uFF5E");
  assert.ok(compareCodePoints("\uFF5E", "\u{1F600}") < 0);
  assert.equal(compareCodePoints("x\u{1F600}", "x\u{1F600}"), 0);
});
