/**
 * trec_eval's metrics from one ranked list per query (`ranked.ts`): relevant documents the list
 * misses, grade 0 as not relevant, the mean over scored queries, and the fast per-query path
 * against the textbook definitions computed position by position.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RankedEvaluation, rankedQueryMetrics, type RankedMetrics } from "../../src/eval/ranked.js";
import { mulberry32, randomInt } from "../../src/util/random.js";

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

/** trec_eval's definitions, walked down the list one position at a time. */
function obvious(ranking: number[], judged: Map<number, number>, recallKs: number[]): RankedMetrics | null {
  const relevant = [...judged].filter(([, g]) => g >= 1);
  if (relevant.length === 0) return null;
  let hits = 0;
  let precisionSum = 0;
  let firstHit = 0;
  let dcg = 0;
  const hitsAt: number[] = [];
  ranking.forEach((d, i) => {
    const g = judged.get(d) ?? 0;
    if (g >= 1) {
      hits++;
      precisionSum += hits / (i + 1);
      if (firstHit === 0) firstHit = i + 1;
      if (i < 10) dcg += g / Math.log2(i + 2);
    }
    hitsAt.push(hits);
  });
  const ideal = relevant.map(([, g]) => g).sort((a, b) => b - a);
  let idcg = 0;
  ideal.slice(0, 10).forEach((g, i) => (idcg += g / Math.log2(i + 2)));
  const recall: Record<string, number> = {};
  for (const k of recallKs) recall[String(k)] = (hitsAt[Math.min(k, ranking.length) - 1] ?? 0) / relevant.length;
  return {
    ndcg10: dcg / idcg,
    mrr10: firstHit > 0 && firstHit <= 10 ? 1 / firstHit : 0,
    mrr: firstHit > 0 ? 1 / firstHit : 0,
    map: precisionSum / relevant.length,
    recall,
  };
}

function assertClose(actual: RankedMetrics, expected: RankedMetrics, label: string): void {
  for (const key of ["ndcg10", "mrr10", "mrr", "map"] as const) {
    assert.ok(Math.abs(actual[key] - expected[key]) < 1e-12, `${label} ${key}: ${actual[key]} vs ${expected[key]}`);
  }
  assert.deepEqual(Object.keys(actual.recall), Object.keys(expected.recall), label);
  for (const k of Object.keys(expected.recall)) {
    assert.ok(Math.abs(actual.recall[k] - expected.recall[k]) < 1e-12, `${label} recall@${k}`);
  }
}

describe("rankedQueryMetrics", () => {
  test("equals trec_eval's definitions on random lists with graded, partly unretrieved judgements", () => {
    const rand = mulberry32(5);
    let scored = 0;
    for (let trial = 0; trial < 400; trial++) {
      const numDocs = 1 + randomInt(rand, 30);
      // A random permutation of the documents, cut at a random depth: the rest are not retrieved.
      const docs = Array.from({ length: numDocs }, (_, i) => i);
      for (let i = numDocs - 1; i > 0; i--) {
        const j = randomInt(rand, i + 1);
        [docs[i], docs[j]] = [docs[j], docs[i]];
      }
      const ranking = docs.slice(0, 1 + randomInt(rand, numDocs));
      const judged = new Map<number, number>();
      for (let j = randomInt(rand, 6); j > 0; j--) judged.set(randomInt(rand, numDocs), randomInt(rand, 4));
      const recallKs = [1, 3, 10];
      const want = obvious(ranking, judged, recallKs);
      const got = rankedQueryMetrics(Int32Array.from(ranking), judged, recallKs);
      if (want === null) {
        assert.equal(got, null, `trial ${trial}: nothing relevant`);
        continue;
      }
      scored++;
      assert.ok(got !== null, `trial ${trial}`);
      assertClose(got, want, `trial ${trial}`);
    }
    assert.ok(scored > 200, `only ${scored} trials had a relevant document`);
  });

  test("a list that retrieves none of the relevant documents scores 0 everywhere", () => {
    const m = rankedQueryMetrics([0, 1, 2], new Map([[7, 1], [8, 3]]), [1, 3]);
    assert.deepEqual(m, { ndcg10: 0, mrr10: 0, mrr: 0, map: 0, recall: { "1": 0, "3": 0 } });
    // An empty list is the same as a list without hits.
    assert.deepEqual(rankedQueryMetrics([], new Map([[7, 1]]), [1]), { ndcg10: 0, mrr10: 0, mrr: 0, map: 0, recall: { "1": 0 } });
  });
});

describe("RankedEvaluation", () => {
  test("means over the scored queries, counting skipped ones, with per-query rows on request", () => {
    const evaluation = new RankedEvaluation(3, [1, 2], true);
    // q1: relevant document 1 at rank 2.
    const q1 = evaluation.add("q1", [0, 1, 2], new Map([[1, 1]]));
    assert.deepEqual(q1?.recall, { "1": 0, "2": 1 });
    // q2: document 2 (grade 2) at rank 1, document 5 (grade 1) not retrieved, document 0 judged 0.
    evaluation.add("q2", [2, 0, 1], new Map([[2, 2], [5, 1], [0, 0]]));
    // q3: nothing relevant, skipped.
    assert.equal(evaluation.add("q3", [0, 1, 2], new Map([[0, 0]])), null);
    const result = evaluation.result(6);
    assert.equal(result.depth, 3);
    assert.deepEqual(result.recallKs, [1, 2]);
    assert.equal(result.numDocuments, 6);
    assert.equal(result.numQueries, 2);
    assert.equal(result.skippedQueries, 1);
    const mean = result.mean!;
    assert.equal(mean.map, (1 / 2 + 1 / 2) / 2);
    assert.equal(mean.mrr, (1 / 2 + 1) / 2);
    assert.equal(mean.mrr10, (1 / 2 + 1) / 2);
    assert.deepEqual(mean.recall, { "1": (0 + 1 / 2) / 2, "2": (1 + 1 / 2) / 2 });
    const ndcg1 = 1 / Math.log2(3);
    const ndcg2 = 2 / (2 + 1 / Math.log2(3));
    assert.ok(Math.abs(mean.ndcg10 - (ndcg1 + ndcg2) / 2) < 1e-12);
    assert.deepEqual(
      result.perQuery!.map((q) => [q.queryId, q.numRelevant, q.map]),
      [
        ["q1", 1, 1 / 2],
        ["q2", 2, 1 / 2],
      ],
    );
  });

  test("without keepPerQuery the result has no perQuery field; with nothing scored the mean is null", () => {
    const evaluation = new RankedEvaluation(10, [5]);
    evaluation.add("empty", [0, 1], new Map());
    const result = evaluation.result(2);
    assert.equal("perQuery" in result, false);
    assert.deepEqual(
      { numQueries: result.numQueries, skippedQueries: result.skippedQueries, mean: result.mean },
      { numQueries: 0, skippedQueries: 1, mean: null },
    );
  });

  test("refuses a depth that is not a positive integer and a recall k outside [1, depth]", () => {
    assert.throws(() => new RankedEvaluation(0, []), { name: "RangeError", message: "depth 0 is not a positive integer" });
    assert.throws(() => new RankedEvaluation(2.5, []), { name: "RangeError", message: "depth 2.5 is not a positive integer" });
    assert.throws(() => new RankedEvaluation(10, [1, 11]), { name: "RangeError", message: "recall@11 needs a whole k in [1, depth 10]" });
    assert.throws(() => new RankedEvaluation(10, [0]), /recall@0 needs a whole k in \[1, depth 10\]/);
    assert.throws(() => new RankedEvaluation(10, [1.5]), /recall@1\.5 needs a whole k/);
    assert.equal(new RankedEvaluation(10, [10]).recallKs[0], 10);
  });
});
