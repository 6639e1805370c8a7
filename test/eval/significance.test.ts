import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { PerQueryResult } from "../../src/eval/result.js";
import { compareRuns, meanOverRuns, pairedTest, pairPerQuery, seedPermutationTest, seedSpread } from "../../src/eval/significance.js";
import { taskFromDataset } from "../../src/eval/task.js";
import type { Scorer } from "../../src/eval/types.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

const near = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol, `${what}: got ${got}, want ${want} ± ${tol}`);

/** The exact two-sided sign-flip p-value, by enumerating all 2^n assignments. */
function exactPValue(diff: number[], weight: number[]): number {
  const observed = Math.abs(diff.reduce((s, d, i) => s + weight[i] * d, 0));
  let hits = 0;
  const total = 2 ** diff.length;
  for (let mask = 0; mask < total; mask++) {
    let t = 0;
    for (let i = 0; i < diff.length; i++) t += (mask >> i) & 1 ? weight[i] * diff[i] : -weight[i] * diff[i];
    if (Math.abs(t) >= observed - 1e-12) hits++;
  }
  return hits / total;
}

describe("pairedTest", () => {
  test("identical runs: no difference, p = 1, interval [0, 0]", () => {
    const a = [0.2, 0.5, 1, 0.33, 0.7];
    const t = pairedTest({ a, b: a, strata: ["de", "de", "en", "en", "en"] }, { rounds: 500 });
    assert.equal(t.difference, 0);
    assert.equal(t.pValue, 1);
    assert.deepEqual(t.ci, [0, 0]);
    assert.equal(t.significant, false);
  });

  test("the randomisation p-value converges to the exact one", () => {
    const rand = mulberry32(11);
    const diff = Array.from({ length: 12 }, () => 0.15 + 0.4 * randomNormal(rand));
    const b = diff.map(() => rand());
    const a = b.map((x, i) => x + diff[i]);
    const strata = diff.map((_, i) => (i < 4 ? "x" : "y")); // unequal strata: weights 1/8 and 1/16
    const exact = exactPValue(diff, strata.map((s) => (s === "x" ? 1 / 8 : 1 / 16)));
    const t = pairedTest({ a, b, strata }, { rounds: 40_000, seed: 3 });
    near(t.pValue, exact, 0.01, "p-value");
  });

  test("the statistic is the macro mean over languages, as the tables report", () => {
    // de: differences 0.1, 0.3 (mean 0.2); en: 0.5 (mean 0.5) → macro 0.35, micro 0.3.
    const t = pairedTest({ a: [0.6, 0.8, 1], b: [0.5, 0.5, 0.5], strata: ["de", "de", "en"] }, { rounds: 100 });
    near(t.difference, 0.35, 1e-12, "difference");
    near(t.meanA, (0.7 + 1) / 2, 1e-12, "meanA");
    near(t.meanB, 0.5, 1e-12, "meanB");
  });

  test("under the null hypothesis about 5% of tests are significant", () => {
    const rand = mulberry32(5);
    let significant = 0;
    const trials = 300;
    for (let k = 0; k < trials; k++) {
      const b = Array.from({ length: 40 }, () => rand());
      const a = b.map((x) => x + 0.3 * randomNormal(rand)); // exchangeable: same distribution of a − b around 0
      if (pairedTest({ a, b, strata: a.map((_, i) => String(i % 3)) }, { rounds: 400, seed: k }).significant) significant++;
    }
    // Binomial(300, 0.05): mean 15, sd 3.8.
    assert.ok(significant >= 4 && significant <= 30, `${significant} of ${trials} significant at 0.05`);
  });

  test("the bootstrap interval covers the true difference about 95% of the time", () => {
    const rand = mulberry32(8);
    let covered = 0;
    const trials = 200;
    for (let k = 0; k < trials; k++) {
      const b = Array.from({ length: 100 }, () => rand());
      const a = b.map((x) => x + 0.05 + 0.2 * randomNormal(rand));
      const t = pairedTest({ a, b, strata: a.map(() => "en") }, { rounds: 600, seed: k });
      if (t.ci[0] <= 0.05 && 0.05 <= t.ci[1]) covered++;
    }
    assert.ok(covered >= 176 && covered <= 200, `${covered} of ${trials} intervals cover 0.05`);
  });

  test("same seed, same answer; bad input is refused", () => {
    const sample = { a: [0.1, 0.9, 0.4, 0.8], b: [0.2, 0.3, 0.5, 0.1], strata: ["x", "x", "y", "y"] };
    assert.deepEqual(pairedTest(sample, { rounds: 300, seed: 9 }), pairedTest(sample, { rounds: 300, seed: 9 }));
    assert.throws(() => pairedTest({ a: [1], b: [], strata: ["x"] }), /must be equal/);
    assert.throws(() => pairedTest({ a: [], b: [], strata: [] }), /no query/);
    assert.throws(() => pairedTest(sample, { confidence: 1 }), /confidence/);
  });
});

describe("runs on a real benchmark slice", () => {
  test("BM25 beats a random ranking significantly; two random rankings do not differ", async () => {
    const ds = await loadDataset("xquad-r", { languages: ["de", "en", "zh"], maxQuestionIds: 60 });
    const task = taskFromDataset(ds);
    const perQuery = async (scorer: Scorer): Promise<PerQueryResult> => (await evaluate(task, scorer, { keepPerQuery: true })).perQuery!;
    const random = (seed: number): Scorer => {
      const rand = mulberry32(seed);
      return {
        numQueries: ds.questions.length,
        numCandidates: ds.candidates.length,
        scoreBlock: (_start, count, out) => {
          for (let i = 0; i < count * ds.candidates.length; i++) out[i] = rand();
        },
      };
    };
    const bm25 = await perQuery(bm25Scorer(ds, await loadXlmrTokenizer()));
    const r1 = await perQuery(random(1));
    const r2 = await perQuery(random(2));

    const better = compareRuns(bm25, r1, "monoAP", { rounds: 2000 });
    assert.equal(better.n, 180);
    assert.ok(better.difference > 0.3 && better.significant && better.pValue < 0.001, JSON.stringify(better));
    assert.ok(better.ci[0] > 0 && better.ci[0] < better.difference && better.difference < better.ci[1]);

    const same = compareRuns(r1, r2, "multiAP", { rounds: 2000 });
    assert.ok(same.ci[0] < 0 && same.ci[1] > 0, `random vs random: ${JSON.stringify(same.ci)}`);

    // Rank distance is a per-query column too (lower is better): BM25 pushes other languages far down.
    const bias = compareRuns(bm25, r1, "rankDistance", { rounds: 500 });
    assert.ok(bias.n > 0 && Number.isFinite(bias.difference));
  });

  test("pairing needs the same queries; nulls are left out; seeds average per query", () => {
    const pq = (ids: string[], mono: (number | null)[]): PerQueryResult => ({
      queryIndex: ids.map((_, i) => i),
      queryId: ids,
      lang: ids.map((id) => id.split("_")[1]),
      monoAP: mono,
      crossAP: mono.map(() => null),
      multiAP: mono,
      rankDistance: mono.map(() => null),
      poolRank: mono.map(() => []),
    });
    const a = pq(["1_de", "1_en", "2_de"], [0.5, null, 1]);
    const b = pq(["1_de", "1_en", "2_de"], [0.25, 0.5, 0.5]);
    assert.deepEqual(pairPerQuery(a, b, "monoAP"), { a: [0.5, 1], b: [0.25, 0.5], strata: ["de", "de"] });
    assert.throws(() => pairPerQuery(a, pq(["1_de", "2_de", "1_en"], [0, 0, 0]), "monoAP"), /different queries/);
    assert.deepEqual(meanOverRuns([a, b]).monoAP, [0.375, null, 0.75]);
  });
});

test("seedSpread: mean, sample standard deviation, range", () => {
  const s = seedSpread([0.3, 0.5, 0.4]);
  near(s.mean, 0.4, 1e-12, "mean");
  near(s.std, 0.1, 1e-12, "std");
  assert.deepEqual([s.n, s.min, s.max], [3, 0.3, 0.5]);
  assert.equal(seedSpread([0.7]).std, 0);
});

describe("seedPermutationTest", () => {
  test("matches scipy.stats.permutation_test (independent, two-sided, exact) on seven cases", () => {
    // scipy 1.13.1: permutation_test((a, b), lambda x, y: np.mean(x) - np.mean(y),
    //   permutation_type="independent", alternative="two-sided", n_resamples=np.inf)
    const cases: [number[], number[], number, number][] = [
      [[0.493, 0.509, 0.51], [0.53, 0.528, 0.536], -0.02733333333333332, 0.1],
      [[0.794, 0.794, 0.794], [0.79, 0.788, 0.789], 0.0050000000000000044, 0.1],
      [[1, 4, 2], [3, 5, 0.5], -0.5, 0.8],
      [[0.2, 0.9, 0.4, 0.7], [0.3, 0.1, 0.6], 0.21666666666666673, 0.4],
      [[1, 2, 3, 4], [2, 3, 4, 5, 6], -1.5, 0.25396825396825395],
      [[0.1, 0.1, 0.3], [0.1, 0.2, 0.2], 0, 1],
      [[3, 1], [2, 2], 0, 1],
    ];
    for (const [a, b, statistic, p] of cases) {
      const t = seedPermutationTest(a, b);
      near(t.difference, statistic, 1e-12, `statistic of ${a} vs ${b}`);
      near(t.pValue, p, 1e-12, `p of ${a} vs ${b}`);
    }
  });

  test("the floor is 2 / C(nA + nB, nA), reached exactly when the seeds separate", () => {
    const apart = seedPermutationTest([0.51, 0.52, 0.5], [0.4, 0.45, 0.41]);
    assert.equal(apart.minPValue, 0.1);
    assert.equal(apart.pValue, apart.minPValue);
    assert.equal(apart.separated, true);
    const overlap = seedPermutationTest([0.51, 0.42, 0.5], [0.4, 0.45, 0.41]);
    assert.equal(overlap.separated, false);
    assert.ok(overlap.pValue > overlap.minPValue);
    near(seedPermutationTest([1, 2], [3, 4, 5, 6]).minPValue, 2 / 15, 1e-15, "floor of 2 + 4");
    assert.equal(seedPermutationTest([1], [2]).minPValue, 1);
    assert.deepEqual([apart.nA, apart.nB], [3, 3]);
  });

  test("refuses empty sides, non-finite values and more than 24 values", () => {
    assert.throws(() => seedPermutationTest([], [1]), /0 values in A and 1 in B/);
    assert.throws(() => seedPermutationTest([1, Number.NaN], [1]), /value NaN is not a finite number/);
    assert.throws(() => seedPermutationTest(new Array(13).fill(1), new Array(12).fill(2)), /25 values; exact enumeration is limited to 24/);
  });
});
