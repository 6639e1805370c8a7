import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { uniformityTest } from "../../src/eval/stats.js";
import {
  auditBatches,
  exampleBatchRows,
  languageMix,
  languageMixFigure,
  monoShare,
  monoShareFigure,
  negativeMix,
  uniformityRows,
} from "../../src/report/sampling-figures.js";
import { drawBatches } from "../../src/sampling/draw.js";
import { naiveBatches } from "../../src/sampling/naive.js";
import { createSampler } from "../../src/sampling/sampler.js";
import type { Batch } from "../../src/sampling/types.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { mlqaPools } from "../sampling/helpers.js";

const close = (actual: number, expected: number, tolerance: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);

/** Records for hand-made batches: group g in language l, positives as given. */
function record(group: string, lang: string, positive = `${group} ${lang}.`): TrainingRecord {
  return { group, lang, query: `${group} ${lang}?`, positive };
}

describe("exampleBatchRows", () => {
  test("languages, group ids and texts come from the pair's own records, cut to the limits", () => {
    const records = [record("group-long-id", "en", "An English positive."), record("group-long-id", "de", "Ein deutscher Satz, der recht lang ist.")];
    const batch: Batch = { kind: "cross", pairs: [{ group: "group-long-id", queryLang: "en", passageLang: "de", query: 0, passage: 1 }] };
    assert.deepEqual(exampleBatchRows(batch, records, { groupChars: 6, textChars: 12 }), [
      { pair: 0, "query → passage": "en → de", group: "group…", query: "group-long-…", passage: "Ein deutsch…" },
    ]);
    assert.equal(exampleBatchRows(batch, records)[0].query, "group-long-id en?");
  });

  test("truncation counts code points, so a CJK or emoji text is not cut inside a character", () => {
    const records = [record("g", "zh", "这是一个很长的中文句子。")];
    const batch: Batch = { kind: "mono", pairs: [{ group: "g", queryLang: "zh", passageLang: "zh", query: 0, passage: 0 }] };
    assert.equal(exampleBatchRows(batch, records, { textChars: 4 })[0].passage, "这是一…");
  });
});

describe("languageMix", () => {
  test("shares of pairs by (query, passage) language, exactly, on hand-made batches", () => {
    const pair = (q: string, p: string) => ({ group: `${q}${p}`, queryLang: q, passageLang: p, query: 0, passage: 0 });
    const batches: Batch[] = [
      { kind: "mono", pairs: [pair("en", "en"), pair("en", "en")] },
      { kind: "cross", pairs: [pair("en", "de"), pair("de", "en")] },
    ];
    const mix = languageMix(batches, ["de", "en"]);
    assert.deepEqual(mix.shares, [
      [0, 0.25],
      [0.25, 0.5],
    ]);
    assert.equal(mix.pairs, 4);
    assert.equal(mix.batches, 2);
    assert.throws(() => languageMix(batches, ["en"]), /pair en → de has a language outside en/);
  });

  test("on MLQA-R: x-x fills only the diagonal, x-y only the rest, hybrid both; shares sum to 1", async () => {
    const pools = await mlqaPools();
    const offDiagonal = (s: readonly (readonly number[])[]) => s.flatMap((row, i) => row.filter((_, j) => j !== i));
    const diagonal = (s: readonly (readonly number[])[]) => s.map((row, i) => row[i]);
    const mixOf = (name: "x-x" | "x-y" | "hybrid") =>
      languageMix(drawBatches(createSampler(name, pools, { batchSize: 32, seed: 2 }), 300), pools.languages).shares;
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    for (const shares of [mixOf("x-x"), mixOf("x-y"), mixOf("hybrid")]) close(sum(shares.flat()), 1, 1e-9, "total share");
    assert.ok(offDiagonal(mixOf("x-x")).every((s) => s === 0));
    assert.ok(diagonal(mixOf("x-x")).every((s) => s > 0));
    assert.ok(diagonal(mixOf("x-y")).every((s) => s === 0));
    assert.ok(offDiagonal(mixOf("x-y")).every((s) => s > 0));
    const hybrid = mixOf("hybrid");
    assert.ok(diagonal(hybrid).every((s) => s > 0) && offDiagonal(hybrid).every((s) => s > 0));
  });

  test("the figure has one heatmap per panel on its own axes, with blank cells where no pair fell", () => {
    const mix = { languages: ["de", "en"], shares: [[0, 0.25], [0.25, 0.5]], pairs: 4, batches: 2 };
    const figure = languageMixFigure([{ title: "A", mix }, { title: "B", mix }, { title: "C", mix }], "mixes");
    assert.deepEqual(figure.data.map((t) => [t.xaxis, t.yaxis]), [["x", "y"], ["x2", "y2"], ["x3", "y3"]]);
    assert.deepEqual(figure.data[0].z, [[null, 25], [25, 50]]);
    const layout = figure.layout!;
    assert.deepEqual((layout.annotations as { text: string }[]).map((a) => a.text), ["<b>A</b>", "<b>B</b>", "<b>C</b>"]);
    const domains = ["xaxis", "xaxis2", "xaxis3"].map((k) => (layout[k] as { domain: number[] }).domain);
    for (let i = 1; i < domains.length; i++) assert.ok(domains[i - 1][1] < domains[i][0], "panels overlap");
    close(domains[2][1], 1, 1e-12, "last panel's right edge");
  });
});

describe("negativeMix", () => {
  const pair = (q: string, p: string) => ({ group: `${q}${p}`, queryLang: q, passageLang: p, query: 0, passage: 0 });

  test("exact shares on hand-made batches", () => {
    // en→de sees en (query's) and de (positive's); de→en sees de, de (query's); es→de sees de (positive's) and en (other).
    const cross: Batch = { kind: "cross", pairs: [pair("en", "de"), pair("de", "en"), pair("es", "de")] };
    assert.deepEqual(negativeMix([cross]), { queryLanguage: 3 / 6, positiveLanguage: 2 / 6, otherLanguage: 1 / 6, negatives: 6 });
    const mono: Batch = { kind: "mono", pairs: [pair("en", "en"), pair("en", "en")] };
    assert.deepEqual(negativeMix([mono]), { queryLanguage: 1, positiveLanguage: 0, otherLanguage: 0, negatives: 2 });
    assert.deepEqual(negativeMix([mono, cross]).negatives, 8);
  });

  test("on MLQA-R: all of an x-x query's negatives are in its language, most of an x-y query's are not", async () => {
    const pools = await mlqaPools();
    const xx = negativeMix(drawBatches(createSampler("x-x", pools, { batchSize: 32, seed: 1 }), 100));
    assert.deepEqual([xx.queryLanguage, xx.positiveLanguage, xx.otherLanguage], [1, 0, 0]);
    const xy = negativeMix(drawBatches(createSampler("x-y", pools, { batchSize: 32, seed: 1 }), 100));
    close(xy.queryLanguage + xy.positiveLanguage + xy.otherLanguage, 1, 1e-12, "x-y shares");
    assert.ok(xy.queryLanguage > 0 && xy.queryLanguage < 0.5, JSON.stringify(xy));
    assert.ok(xy.positiveLanguage > 0 && xy.otherLanguage > 0, JSON.stringify(xy));
  });
});

describe("monoShare", () => {
  test("the hybrid sampler's monolingual share on MLQA-R: exact at α = 0 and 1, near α between", async () => {
    const pools = await mlqaPools();
    const rowAt = (alpha: number) => monoShare(alpha, drawBatches(createSampler("hybrid", pools, { batchSize: 32, seed: 5, alpha }), 400));
    assert.equal(rowAt(0).mono, 0);
    assert.equal(rowAt(1).mono, 400);
    assert.ok(rowAt(0).covers && rowAt(1).covers);
    const half = rowAt(0.5);
    assert.equal(half.batches, 400);
    assert.ok(half.low < half.share && half.share < half.high);
    // 400 fair coins land outside [150, 250] with probability ~1e-23.
    assert.ok(half.mono > 150 && half.mono < 250, String(half.mono));
    const figure = monoShareFigure([rowAt(0), half], "share");
    assert.deepEqual(figure.data[1].x, [0, 0.5]);
    assert.deepEqual((figure.data[1].error_y as { arrayminus: number[] }).arrayminus, [0, half.share - half.low]);
  });
});

describe("auditBatches", () => {
  test("counts pairs whose group repeats and pairs whose positive sentence repeats (after normalisation)", () => {
    const records = [
      record("a", "en", "Paris is the capital."),
      record("a", "de", "Paris ist die Hauptstadt."),
      record("b", "en", "paris  is the CAPITAL."),
      record("c", "en"),
    ];
    const p = (group: string, q: number, d: number) => ({ group, queryLang: records[q].lang, passageLang: records[d].lang, query: q, passage: d });
    const batches: Batch[] = [
      { kind: "cross", pairs: [p("a", 0, 1), p("a", 1, 0), p("c", 3, 3)] }, // group a twice; positives differ
      { kind: "mono", pairs: [p("a", 0, 0), p("b", 2, 2), p("c", 3, 3)] }, // a and b share a sentence
      { kind: "mono", pairs: [p("c", 3, 3), p("b", 2, 2)] },
    ];
    assert.deepEqual(auditBatches(batches, records), {
      batches: 3,
      pairs: 8,
      batchesRepeatingGroup: 1,
      pairsRepeatingGroup: 2,
      batchesSharingPositive: 1,
      pairsSharingPositive: 2,
    });
  });

  test("on MLQA-R the three samplers never repeat a group or a positive; the naive x-y sampler does", async () => {
    const pools = await mlqaPools();
    for (const name of ["x-x", "x-y", "hybrid"] as const) {
      const audit = auditBatches(drawBatches(createSampler(name, pools, { batchSize: 32, seed: 1 }), 500), pools.records);
      assert.equal(audit.pairs, 500 * 32);
      assert.deepEqual([audit.batchesRepeatingGroup, audit.batchesSharingPositive], [0, 0], name);
    }
    const naive = auditBatches(naiveBatches(pools, "x-y", 500, { batchSize: 32, seed: 1 }), pools.records);
    // 32 of 11,548 ordered pairs from 1,148 groups (most offer 12): about a third of the batches hold a group twice (172 of 500 with this seed).
    assert.ok(naive.batchesRepeatingGroup > 100, JSON.stringify(naive));
  });

});

describe("uniformity of the x-x language draw", () => {
  test("uniformityRows: a row per category with its deviation in standard deviations", () => {
    const t = uniformityTest(["en", "en", "en", "de"], ["de", "en", "zh"]);
    const rows = uniformityRows(t);
    assert.deepEqual(rows.map((r) => [r.category, r.count]), [["de", 1], ["en", 3], ["zh", 0]]);
    // n = 4, p = 1/3: sd = √(4 · 1/3 · 2/3)
    close(rows[1].deviation, (3 - 4 / 3) / Math.sqrt(8 / 9), 1e-12);
  });

  test("the x-x sampler's language draw on MLQA-R is not far from uniform", async () => {
    const pools = await mlqaPools();
    const batches = drawBatches(createSampler("x-x", pools, { batchSize: 32, seed: 11 }), 2000);
    const t = uniformityTest(batches.map((b) => b.pairs[0].queryLang), pools.languages);
    assert.equal(t.total, 2000);
    // 22.46 is the 99.9% quantile of χ² with 6 degrees of freedom.
    assert.ok(t.chi2 < 22.46, JSON.stringify(t));
  });
});
