import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  averagePrecision,
  averagePrecisionFromRanks,
  ndcgAtKFromRanks,
  rankDistance,
  rankDistanceFromRanks,
  recallAtK,
  recallAtKFromRanks,
  reciprocalRank,
  reciprocalRankFromRanks,
  relevantRanks,
} from "../../src/eval/metrics.js";
import { mulberry32, randomInt } from "../../src/util/random.js";

const close = (actual: number, expected: number, eps = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≠ ${expected}`);

describe("average precision (sklearn's tie handling)", () => {
  test("a relevant candidate tied with an irrelevant one takes the whole tied block", () => {
    // Thresholds high → low: 0.9 admits {0}: TP 0, P 0/1; 0.8 admits {1, 2}: TP 1 of 3 seen,
    // R 0 → 1, P = 1/3. AP = 1 · 1/3. (Not 1/2: sklearn never splits a tie.)
    close(averagePrecision([0.9, 0.8, 0.8, 0.1], [2]), 1 / 3);
    assert.deepEqual(relevantRanks([0.9, 0.8, 0.8, 0.1], [2]), [3]);
    close(reciprocalRank([0.9, 0.8, 0.8, 0.1], [2]), 1 / 3);
  });

  test("no ties: mean of precision at each relevant item", () => {
    // Ranking 1 (0.9), 3 (0.7), 2* (0.5), 4* (0.3), 0 (0.1): P@3 = 1/3, P@4 = 2/4.
    // AP = (1/3 + 1/2) / 2 = 5/12.
    const scores = [0.1, 0.9, 0.5, 0.7, 0.3];
    close(averagePrecision(scores, [2, 4]), 5 / 12);
    assert.deepEqual(relevantRanks(scores, [2, 4]), [3, 4]);
    close(reciprocalRank(scores, [2, 4]), 1 / 3);
    close(recallAtK(scores, [2, 4], 3), 1 / 2);
    close(recallAtK(scores, [2, 4], 4), 1);
    close(rankDistance(scores, [2, 4]), 1);
  });

  test("two relevant tied below an irrelevant one", () => {
    // 0.9 admits {3}: P 0; 0.5 admits {0*, 1*, 2}: TP 2 of 4, R 0 → 1, P = 2/4. AP = 1/2.
    // Both relevant have pessimistic rank 4: RR 1/4, distance 0, none in the top 3.
    const scores = [0.5, 0.5, 0.5, 0.9];
    close(averagePrecision(scores, [0, 1]), 1 / 2);
    assert.deepEqual(relevantRanks(scores, [0, 1]), [4, 4]);
    close(reciprocalRank(scores, [0, 1]), 1 / 4);
    close(rankDistance(scores, [0, 1]), 0);
    close(recallAtK(scores, [0, 1], 3), 0);
    close(recallAtK(scores, [0, 1], 4), 1);
  });

  test("relevant tied only with each other at the top scores 1", () => {
    close(averagePrecision([0.7, 0.7, 0.2], [0, 1]), 1);
  });

  test("all scores equal: AP is the fraction of relevant candidates", () => {
    // One threshold admitting all 5, TP 2: AP = 2/5.
    close(averagePrecision([0, 0, 0, 0, 0], [1, 3]), 2 / 5);
  });

  test("a mask restricts the ranking to the setting's candidates", () => {
    // Languages of candidates 0..3: [a, b, a, b]; relevant {1 (b), 2 (a)}.
    const scores = [0.9, 0.8, 0.7, 0.6];
    const lang = [0, 1, 0, 1];
    const inLang = (l: number) => (c: number) => lang[c] === l;
    // Setting a = {0, 2}: 0 (0.9), 2* (0.7): AP 1/2.
    close(averagePrecision(scores, [1, 2], inLang(0)), 1 / 2);
    // Setting b = {1, 3}: 1* (0.8) first: AP 1.
    close(averagePrecision(scores, [1, 2], inLang(1)), 1);
    // Pooled: 0, 1*, 2*, 3: AP = (1/2 + 2/3) / 2 = 7/12.
    close(averagePrecision(scores, [1, 2]), 7 / 12);
    assert.deepEqual(relevantRanks(scores, [1, 2], inLang(0)), [2]);
  });

  test("undefined values are NaN: no relevant in the setting, or one item for rank distance", () => {
    assert.ok(Number.isNaN(averagePrecision([0.3, 0.2], [1], (c) => c === 0)));
    assert.ok(Number.isNaN(reciprocalRank([0.3, 0.2], [])));
    assert.ok(Number.isNaN(recallAtK([0.3, 0.2], [], 1)));
    assert.ok(Number.isNaN(rankDistance([0.3, 0.2], [1])));
    assert.ok(Number.isNaN(averagePrecisionFromRanks([])));
  });

  test("NaN scores and out-of-range relevant indices are rejected", () => {
    assert.throws(() => averagePrecision([0.3, NaN], [0]), /NaN/);
    assert.throws(() => averagePrecision([0.3, 0.2], [2]), /outside/);
  });
});

describe("rank-level metrics equal the score-level definitions", () => {
  test("on random rows with many ties and random masks", () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + randomInt(rand, 40);
      // Few distinct values, so ties are common.
      const scores = Array.from({ length: n }, () => randomInt(rand, 6) / 5);
      const relevant = [...new Set(Array.from({ length: 1 + randomInt(rand, 5) }, () => randomInt(rand, n)))];
      const maskBits = Array.from({ length: n }, () => rand() < 0.6);
      const mask = trial % 2 === 0 ? undefined : (c: number) => maskBits[c];
      const ranks = relevantRanks(scores, relevant, mask);
      const ap = averagePrecision(scores, relevant, mask);
      if (ranks.length === 0) {
        assert.ok(Number.isNaN(ap));
        continue;
      }
      close(averagePrecisionFromRanks(ranks), ap, 1e-12);
      close(reciprocalRankFromRanks(ranks), 1 / Math.min(...ranks));
      for (const k of [1, 2, 5]) {
        close(recallAtKFromRanks(ranks, k), ranks.filter((r) => r <= k).length / ranks.length);
      }
      const d = rankDistanceFromRanks(ranks);
      if (ranks.length < 2) assert.ok(Number.isNaN(d));
      else assert.equal(d, Math.max(...ranks) - Math.min(...ranks));
    }
  });
});

test("nDCG@k: grade as gain, log2(rank + 1) discount, ideal from all positive grades", () => {
  const dcg = 1 / Math.log2(3) + 2 / Math.log2(5);
  const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
  assert.ok(Math.abs(ndcgAtKFromRanks([2, 4, Infinity], [1, 2, 1], 10) - dcg / idcg) < 1e-12);
  // Cut at 3: the grade-2 document at rank 4 no longer counts, the ideal keeps three gains.
  assert.ok(Math.abs(ndcgAtKFromRanks([2, 4, Infinity], [1, 2, 1], 3) - 1 / Math.log2(3) / idcg) < 1e-12);
  assert.ok(Number.isNaN(ndcgAtKFromRanks([], [], 10)));
});
