import assert from "node:assert/strict";
import { test } from "node:test";
import { compareCodePoints, TrecRanker } from "../../src/eval/ranking.js";
import { ndcgAtKFromRanks } from "../../src/eval/metrics.js";
import { rankedQueryMetrics } from "../../src/eval/ranked.js";
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

test("nDCG@k: grade as gain, log2(rank + 1) discount, ideal from all positive grades", () => {
  const dcg = 1 / Math.log2(3) + 2 / Math.log2(5);
  const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
  assert.ok(Math.abs(ndcgAtKFromRanks([2, 4, Infinity], [1, 2, 1], 10) - dcg / idcg) < 1e-12);
  // Cut at 3: the grade-2 document at rank 4 no longer counts, the ideal keeps three gains.
  assert.ok(Math.abs(ndcgAtKFromRanks([2, 4, Infinity], [1, 2, 1], 3) - 1 / Math.log2(3) / idcg) < 1e-12);
  assert.ok(Number.isNaN(ndcgAtKFromRanks([], [], 10)));
});

test("ranked metrics count relevant documents the list misses, and grade 0 as not relevant", () => {
  // Ranking 5, 3, 8; relevant: 3 (grade 2) and 9 (grade 1, not retrieved); 5 judged 0.
  const m = rankedQueryMetrics([5, 3, 8], new Map([[5, 0], [3, 2], [9, 1]]), [1, 2, 3]);
  assert.ok(m);
  assert.equal(m.map, (1 / 2) / 2);
  assert.equal(m.mrr, 1 / 2);
  assert.equal(m.mrr10, 1 / 2);
  assert.deepEqual(m.recall, { "1": 0, "2": 0.5, "3": 0.5 });
  assert.ok(Math.abs(m.ndcg10 - (2 / Math.log2(3)) / (2 + 1 / Math.log2(3))) < 1e-12);
  assert.equal(rankedQueryMetrics([1, 2], new Map([[1, 0]]), [1]), null);
  // First relevant at rank 11: MRR 1/11, MRR@10 0.
  const late = rankedQueryMetrics(Array.from({ length: 12 }, (_, i) => i), new Map([[10, 1]]), [10]);
  assert.equal(late!.mrr, 1 / 11);
  assert.equal(late!.mrr10, 0);
});
