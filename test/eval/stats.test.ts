import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { chiSquareSurvival, quantileSorted, quartiles, uniformityTest, wilsonInterval } from "../../src/eval/stats.js";

const close = (actual: number, expected: number, tolerance: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);

describe("quantileSorted and quartiles", () => {
  test("match numpy.quantile (linear interpolation between order statistics)", () => {
    // np.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
    const xs = [1, 2, 3, 4];
    for (const [q, want] of [[0, 1], [0.25, 1.75], [0.5, 2.5], [0.9, 3.7], [1, 4]]) close(quantileSorted(xs, q), want, 1e-12, `q ${q}`);
    assert.equal(quantileSorted([7], 0.3), 7);
    assert.ok(Number.isNaN(quantileSorted([], 0.5)));
    assert.throws(() => quantileSorted(xs, 1.5), /q must be in \[0, 1\], got 1.5/);
    assert.deepEqual(quartiles([4, 1, 3, 2, 5]), [2, 3, 4]);
    // np.quantile([10, 0, 3, 7], [0.25, 0.5, 0.75]) = [2.25, 5, 7.75]: the sample is sorted first.
    assert.deepEqual(quartiles([10, 0, 3, 7]), [2.25, 5, 7.75]);
    assert.ok(quartiles([]).every(Number.isNaN));
  });
});

describe("wilsonInterval", () => {
  test("matches scipy's binomtest(...).proportion_ci(method='wilson')", () => {
    const cases: [number, number, number, number][] = [
      [200, 400, 0.451234504169709, 0.548765495830291],
      [0, 400, 0, 0.009512294334296508],
      [37, 100, 0.28182360534324535, 0.4677947041905709],
    ];
    for (const [k, n, low, high] of cases) {
      const [l, h] = wilsonInterval(k, n);
      close(l, low, 1e-12, `low ${k}/${n}`);
      close(h, high, 1e-12, `high ${k}/${n}`);
    }
    const [low, high] = wilsonInterval(400, 400);
    close(low, 1 - 0.009512294334296508, 1e-12, "low 400/400");
    assert.equal(high, 1, "the upper end at n successes is exactly 1, so α = 1 lies inside");
    assert.equal(wilsonInterval(0, 7)[0], 0);
    assert.throws(() => wilsonInterval(5, 4), /successes must be an integer in \[0, 4\], got 5/);
    assert.throws(() => wilsonInterval(0, 0), /n must be a positive integer/);
  });
});

describe("uniformityTest and chiSquareSurvival", () => {
  test("survival function matches scipy.stats.chi2.sf", () => {
    const cases: [number, number, number][] = [
      [1, 3, 0.8012519569012009],
      [12.591587243743977, 6, 0.05],
      [3.841458820694124, 1, 0.05],
      [30, 11, 0.0015845952573066058],
      [0.5, 7, 0.9994464813904249],
    ];
    for (const [x, df, p] of cases) close(chiSquareSurvival(x, df), p, 1e-10, `sf(${x}, ${df})`);
    close(chiSquareSurvival(100, 6) / 2.509303552201055e-19, 1, 1e-9, "sf(100, 6) relative");
    for (const x of [0.3, 2, 7.5]) close(chiSquareSurvival(x, 2), Math.exp(-x / 2), 1e-12, `sf(${x}, 2)`);
    assert.equal(chiSquareSurvival(0, 4), 1);
  });

  test("statistic and degrees of freedom on a hand-made draw; a draw outside the categories throws", () => {
    const t = uniformityTest(["en", "en", "en", "de"], ["de", "en", "zh"]);
    assert.deepEqual(t.counts, { de: 1, en: 3, zh: 0 });
    // expected 4/3 each: ((1−4/3)² + (3−4/3)² + (4/3)²) / (4/3) = 3.5
    close(t.chi2, 3.5, 1e-12);
    assert.equal(t.df, 2);
    close(t.pValue, Math.exp(-1.75), 1e-12);
    assert.throws(() => uniformityTest(["fr"], ["de", "en"]), /draw 'fr' is not one of de, en/);
  });
});
