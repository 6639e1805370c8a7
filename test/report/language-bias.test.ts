/**
 * Language bias from a grid's runs (`language-bias.ts`): the rank distance table (the paper's
 * Tables 7–8 layout), the per-query distributions, and where each language's answer lands in the
 * pool. On BM25 and random rankings of an XQuAD-R slice (grid-fixture.ts), and on the shipped
 * runs of results/small with their per-query files.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { EvaluationResult } from "../../src/eval/result.js";
import { configGroups, loadGridReport, type ConfigGroup, type GridReport, type RunRecord } from "../../src/report/grid-report.js";
import { groupsOf, medianPoolRanks, poolRankFigure, rankDistanceDistributionFigure, rankDistanceTable } from "../../src/report/language-bias.js";
import { loadPaperResults, type PaperResults } from "../../src/report/paper-reference.js";
import { parsePerQuery } from "../../src/run-files/per-query.js";
import { bm25AndRandom, bm25Report, SMALL_RESULTS } from "./grid-fixture.js";

let bm25: EvaluationResult;
let random: EvaluationResult[] = [];
let small: GridReport;
let paper: PaperResults;

before(async () => {
  ({ bm25, random } = await bm25AndRandom());
  small = await loadGridReport(SMALL_RESULTS);
  paper = await loadPaperResults();
});

/** x-x = BM25 (one seed); x-y = random (two seeds); hybrid α 0.5 = random; hybrid α 0.25 = BM25. */
function report(): GridReport {
  return bm25Report(bm25, random);
}

describe("language bias", () => {
  test("rank distance table and pool ranks", async () => {
    const groups = configGroups(report()).filter((g) => g.alpha !== 0.25);
    const rows = rankDistanceTable(groups, "xquad-r", await loadPaperResults());
    assert.deepEqual(
      rows.map((r) => r.lang),
      ["de", "en", "zh", "mean"],
    );
    assert.equal(rows[3]["x-x"], bm25.languageBias.mean);
    assert.equal(rows[0]["paper XLM-R x-x"], 356.6);
    // BM25 over sentencepiece ids finds own-language answers near the top: its median own-language pool rank is
    // far better than a random ranking's (about half the pool).
    const med = medianPoolRanks(groups, "de");
    const deIndex = med.languages.indexOf("de");
    assert.ok(med.median[0][deIndex] < med.median[1][deIndex] / 5, JSON.stringify(med.median));
  });
});

const XQUAD = { model: "mini 2x128", train: "mlqa-r", eval: "xquad-r" } as const;
const MLQA = { model: "mini 2x128", train: "xquad-r", eval: "mlqa-r" } as const;

describe("groupsOf", () => {
  test("the finished configurations of one model and direction, in the aggregate's order", () => {
    assert.deepEqual(
      groupsOf(small, XQUAD).map((g) => [g.label, g.finished.length]),
      [
        ["x-x", 2],
        ["x-y", 2],
        ["hybrid α=0.25", 1],
        ["hybrid α=0.5", 2],
        ["hybrid α=0.75", 1],
        ["adversarial", 1],
      ],
    );
    assert.deepEqual(groupsOf(small, MLQA).map((g) => g.label), ["x-x", "x-y", "hybrid α=0.5"]);
    assert.deepEqual(groupsOf(small, { ...XQUAD, model: "xlm-r" }), []);
    // A configuration none of whose runs has finished is left out.
    const unfinished = { ...small, runs: small.runs.map((r) => (r.row.strategy === "adversarial" ? { ...r, results: null } : r)) };
    assert.equal(groupsOf(unfinished, XQUAD).find((g) => g.strategy === "adversarial"), undefined);
  });
});

describe("rankDistanceTable", () => {
  test("per query language and their mean: each configuration's mean over seeds, then the paper's columns", () => {
    const groups = groupsOf(small, XQUAD);
    const rows = rankDistanceTable(groups, "xquad-r", paper);
    const languages = groups[0].finished[0].results!.languages;
    assert.deepEqual(rows.map((r) => r.lang), [...languages, "mean"]);
    const [seed1, seed2] = groups[0].finished.map((r) => r.results!.languageBias);
    languages.forEach((lang, i) => {
      const want = (seed1.perLanguage[i].meanRankDistance! + seed2.perLanguage[i].meanRankDistance!) / 2;
      assert.ok(Math.abs((rows[i]["x-x"] as number) - want) < 1e-9, lang);
    });
    assert.ok(Math.abs((rows[languages.length]["x-x"] as number) - (seed1.mean! + seed2.mean!) / 2) < 1e-9);
    assert.equal(rows[languages.length].adversarial, groups[5].finished[0].results!.languageBias.mean);
    // The paper's columns, per model and strategy, from the vendored file.
    const table = paper.rank_distance_per_language["xquad-r"];
    for (const [i, lang] of [...languages, "mean"].entries()) {
      assert.equal(rows[i]["paper XLM-R hybrid"], table[lang]["xlm-r"].hybrid, lang);
      assert.equal(rows[i]["paper LaBSE x-y"], table[lang].labse["x-y"], lang);
    }
    assert.deepEqual(
      Object.keys(rows[0]),
      ["lang", ...groups.map((g) => g.label), ...["XLM-R", "LaBSE"].flatMap((m) => ["x-x", "x-y", "hybrid"].map((s) => `paper ${m} ${s}`))],
    );
  });

  test("without the paper, only our columns; nulls are left out of the mean over seeds", () => {
    const xx = groupsOf(small, XQUAD)[0];
    const [a, b] = xx.finished;
    const nulled = (run: RunRecord, lang: number): RunRecord => {
      const bias = run.results!.languageBias;
      const perLanguage = bias.perLanguage.map((p, i) => (i === lang ? { ...p, meanRankDistance: null } : p));
      return { ...run, results: { ...run.results!, languageBias: { ...bias, perLanguage } } };
    };
    // Seed 1 lacks language 0; both seeds lack language 1.
    const group: ConfigGroup = { ...xx, finished: [nulled(nulled(a, 0), 1), nulled(b, 1)] };
    const rows = rankDistanceTable([group], "xquad-r");
    assert.deepEqual(Object.keys(rows[0]), ["lang", "x-x"]);
    assert.equal(rows[0]["x-x"], b.results!.languageBias.perLanguage[0].meanRankDistance);
    assert.equal(rows[1]["x-x"], null);
    assert.deepEqual(rankDistanceTable([], "xquad-r"), [{ lang: "mean" }]);
  });
});

/** A shipped run with its per-query.json.gz read in (loadGridReport reads only per-query.json). */
async function withPerQuery(run: RunRecord): Promise<RunRecord> {
  const path = join(SMALL_RESULTS, run.row.dir, "per-query.json.gz");
  return { ...run, perQuery: parsePerQuery(JSON.parse(gunzipSync(await readFile(path)).toString("utf8")), path) };
}

/** The median the obvious way: sort, then the middle value or the mean of the middle two. */
function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

describe("per-query figures on results/small, xquad-r → mlqa-r", () => {
  let groups: ConfigGroup[];
  before(async () => {
    groups = [];
    for (const g of groupsOf(small, MLQA)) {
      const finished = await Promise.all(g.finished.map(withPerQuery));
      groups.push({ ...g, runs: finished, finished });
    }
  });

  test("medianPoolRanks: per configuration and target language, the median pool rank over the chosen queries", () => {
    const { languages, labels, median: medians } = medianPoolRanks(groups, "de");
    assert.deepEqual(languages, groups[0].finished[0].results!.languages);
    assert.deepEqual(labels, ["x-x", "x-y", "hybrid α=0.5"]);
    groups.forEach((g, gi) => {
      const pq = g.finished[0].perQuery!;
      languages.forEach((_, l) => {
        const ranks = pq.poolRank.flatMap((row, q) => (pq.lang[q] === "de" && row[l] !== null ? [row[l]!] : []));
        assert.ok(ranks.length > 0);
        assert.equal(medians[gi][l], median(ranks), `${g.label} ${languages[l]}`);
      });
    });
    // All query languages together.
    const all = medianPoolRanks(groups, null);
    const pq = groups[1].finished[0].perQuery!;
    assert.equal(all.median[1][0], median(pq.poolRank.flatMap((row) => (row[0] === null ? [] : [row[0]]))));
  });

  test("medianPoolRanks: NaN for a configuration without per-query values; nothing at all without any", () => {
    const bare = { ...groups[1], finished: groups[1].finished.map((r) => ({ ...r, perQuery: null })) };
    const m = medianPoolRanks([groups[0], bare], "en");
    assert.equal(m.median[1].length, m.languages.length);
    assert.ok(m.median[1].every(Number.isNaN));
    assert.ok(m.median[0].every(Number.isFinite));
    assert.deepEqual(medianPoolRanks([bare], "en"), { languages: [], labels: ["x-y"], median: [[]] });
    // The languages come from whichever group has per-query values, not only the first.
    const reversed = medianPoolRanks([bare, groups[0]], "en");
    assert.deepEqual(reversed.languages, m.languages);
    assert.ok(reversed.median[0].every(Number.isNaN));
    assert.deepEqual(reversed.median[1], m.median[0]);
    assert.deepEqual(medianPoolRanks(groupsOf(small, MLQA), "en").languages, [], "the shipped grid as read holds no per-query values");
  });

  test("rankDistanceDistributionFigure: one box per configuration of all its queries' rank distances, on a log axis", () => {
    const figure = rankDistanceDistributionFigure(groups, "rank distance");
    assert.deepEqual(figure.data.map((d) => [d.type, d.name]), [["box", "x-x"], ["box", "x-y"], ["box", "hybrid α=0.5"]]);
    groups.forEach((g, i) => {
      const distances = g.finished[0].perQuery!.rankDistance.filter((d): d is number => d !== null);
      assert.deepEqual(figure.data[i].y, distances);
    });
    assert.equal((figure.layout!.yaxis as { type: string }).type, "log");
    // Seeds are pooled; a run without per-query values adds nothing.
    const pooled: ConfigGroup = { ...groups[0], finished: [...groups[0].finished, groups[1].finished[0], { ...groups[2].finished[0], perQuery: null }] };
    const y = rankDistanceDistributionFigure([pooled], "t").data[0].y as number[];
    assert.equal(y.length, (figure.data[0].y as number[]).length + (figure.data[1].y as number[]).length);
  });

  test("poolRankFigure: pool ranks split into answers in the query's own language and in the others", () => {
    const group = groups[0];
    const pq = group.finished[0].perQuery!;
    const languages = group.finished[0].results!.languages;
    const figure = poolRankFigure(group, "pool ranks");
    const [own, other] = figure.data as { name: string; x: string[]; y: number[] }[];
    assert.equal(own.name, "answer in the query's language");
    assert.equal(other.name, "answer in another language");
    let ownCount = 0;
    let otherCount = 0;
    pq.poolRank.forEach((row, q) =>
      row.forEach((rank, l) => {
        if (rank === null) return;
        if (pq.lang[q] === languages[l]) ownCount++;
        else otherCount++;
      }),
    );
    assert.deepEqual([own.x.length, own.y.length, other.y.length], [ownCount, ownCount, otherCount]);
    // Query 0's own-language answer comes first among the own-language points.
    const q0 = languages.indexOf(pq.lang[0]);
    assert.deepEqual([own.x[0], own.y[0]], [pq.lang[0], pq.poolRank[0][q0]]);
    const empty = poolRankFigure({ ...group, finished: [{ ...group.finished[0], perQuery: null }] }, "t");
    assert.deepEqual(empty.data.map((d) => d.y), [[], []]);
  });
});
