/**
 * The report builders on real evaluations: "runs" whose results are BM25 and random rankings
 * of an XQuAD-R slice, evaluated with the real protocol, dressed as a grid's run records.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { AggregateRow, StrategyName } from "../../src/ablate/types.js";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { EvaluationResult } from "../../src/eval/result.js";
import { taskFromDataset } from "../../src/eval/task.js";
import type { Scorer } from "../../src/eval/types.js";
import {
  alphaSweep,
  meanCrossMatrix,
  perLanguageTable,
  strategyTestRecords,
  strategyTests,
  table1,
  table1Markdown,
  table1Records,
} from "../../src/report/ablation-tables.js";
import { configGroups, type GridReport, type RunRecord } from "../../src/report/grid-report.js";
import { medianPoolRanks, rankDistanceTable } from "../../src/report/language-bias.js";
import { loadPaperResults } from "../../src/report/paper-reference.js";
import { throughputRows } from "../../src/report/training-curves.js";
import type { RunResults } from "../../src/run-files/results.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { mulberry32 } from "../../src/util/random.js";

let bm25: EvaluationResult;
const random: EvaluationResult[] = [];

before(async () => {
  const ds = await loadDataset("xquad-r", { languages: ["de", "en", "zh"], maxQuestionIds: 40 });
  const task = taskFromDataset(ds);
  bm25 = await evaluate(task, bm25Scorer(ds, await loadXlmrTokenizer()), { keepPerQuery: true });
  for (const seed of [1, 2, 3]) {
    const rand = mulberry32(seed);
    const scorer: Scorer = {
      numQueries: ds.questions.length,
      numCandidates: ds.candidates.length,
      scoreBlock: (_s, count, out) => {
        for (let i = 0; i < count * ds.candidates.length; i++) out[i] = rand();
      },
    };
    random.push(await evaluate(task, scorer, { keepPerQuery: true }));
  }
});

function record(strategy: StrategyName, alpha: number | null, seed: number, result: EvaluationResult): RunRecord {
  const { perQuery, ...rest } = result;
  const results = { ...rest, dataset: "xquad-r" } as unknown as RunResults;
  const row: AggregateRow = {
    key: `${strategy}-${alpha}-${seed}`,
    dir: `${strategy}-${alpha}-${seed}`,
    state: "complete",
    model: "mini",
    strategy,
    alpha,
    seed,
    train: "mlqa-r",
    eval: "xquad-r",
    steps: 100,
    checkpointStep: 80,
    bestValLoss: 1.5,
    monoMap: rest.mono.mean.map,
    crossMap: rest.cross.mean.map,
    multiMap: rest.multi.mean.map,
    rankDistance: rest.languageBias.mean,
    pairsPerSec: 10,
    gitCommit: null,
  };
  return {
    row,
    results,
    perQuery: perQuery ?? null,
    shipped: null,
    metrics: [
      { type: "train", step: 10, loss: 3, lr: 1e-3, gradNorm: 1, pairsPerSec: 8, secPerStep: 4, epoch: 0 },
      { type: "train", step: 20, loss: 2, lr: 1e-3, gradNorm: 1, pairsPerSec: 12, secPerStep: 2, epoch: 0 },
      { type: "event", step: 20, event: "early-stopped" },
    ],
  };
}

/** x-x = BM25 (one seed); x-y = random (two seeds); hybrid α 0.5 = random; hybrid α 0.25 = BM25. */
function report(): GridReport {
  return {
    root: "/nowhere",
    runs: [record("x-x", null, 1, bm25), record("x-y", null, 1, random[0]), record("x-y", null, 2, random[1]), record("hybrid", 0.5, 1, random[2]), record("hybrid", 0.25, 1, bm25)],
  };
}

describe("Table 1", () => {
  test("best strategy, seeds' spread, significance marks and the paper's rows", async () => {
    const t = table1(report(), { paper: await loadPaperResults(), rounds: 2000 });
    assert.deepEqual(
      t.columns.map((c) => c.setting),
      ["mono", "cross", "multi"],
    );
    const ours = t.rows.filter((r) => r.source === "ours");
    assert.deepEqual(
      ours.map((r) => r.strategy),
      ["x-x", "x-y", "hybrid"],
      "hybrid α=0.25 belongs to the sweep, not Table 1",
    );
    const [xx, xy, hybrid] = ours;
    // BM25 is far better than random rankings in the monolingual setting: ▲, and both others significantly worse.
    assert.equal(xx.cells[0].best, true);
    assert.equal(xx.cells[0].value, bm25.mono.mean.map);
    assert.ok(xy.cells[0].pValue! < 0.01 && !xy.cells[0].notSignificant);
    assert.ok(hybrid.cells[0].pValue! < 0.01);
    // x-y has two seeds: mean and spread of the two random runs.
    const values = [random[0].mono.mean.map!, random[1].mono.mean.map!];
    assert.ok(Math.abs(xy.cells[0].value! - (values[0] + values[1]) / 2) < 1e-12);
    assert.equal(xy.cells[0].spread!.n, 2);
    assert.equal(hybrid.cells[0].spread, null, "one seed: no spread");
    // Two random rankings do not differ significantly from each other.
    const crossBest = ours.find((r) => r.cells[1].best)!;
    if (crossBest.strategy !== "x-x") {
      const other = crossBest.strategy === "x-y" ? hybrid : xy;
      assert.equal(other.cells[1].notSignificant, true, JSON.stringify(other.cells[1]));
    }

    const paper = t.rows.filter((r) => r.source === "paper");
    assert.equal(paper.length, 6);
    assert.equal(paper.find((r) => r.model === "XLM-R base" && r.strategy === "hybrid")!.cells[0].value, 0.798);

    const records = table1Records(t);
    assert.match(records[0]["xquad-r mono"], /▲$/);
    assert.match(records[1]["xquad-r mono"], /^0\.\d{3} ±0\.\d{3}$/);
    assert.match(table1Markdown(t), /\| this suite \| mini \| x-x \|/);
  });
});

describe("pairwise strategy tests", () => {
  test("every pair of configurations per direction; the verdict names the better side", () => {
    const tests = strategyTests(report(), ["monoAP", "rankDistance"], { rounds: 1000 });
    // 4 configurations (x-x, x-y, hybrid 0.25, hybrid 0.5) → 6 pairs × 2 metrics.
    assert.equal(tests.length, 12);
    const records = strategyTestRecords(tests);
    const bm25VsRandom = records.find((r) => r.A === "x-x" && r.B === "x-y" && r.metric === "mono AP")!;
    assert.equal(bm25VsRandom.verdict, "A better");
    const randomPair = records.find((r) => r.A === "x-y" && r.B === "hybrid α=0.5" && r.metric === "mono AP")!;
    assert.equal(randomPair.verdict, "not significant");
    // Rank distance: lower is better, so a significantly lower A is "A better" although A − B < 0.
    for (const r of records.filter((x) => x.metric === "rank distance" && x.verdict !== "not significant")) {
      assert.equal(r.verdict, (r["A − B"] as number) < 0 ? "A better" : "B better");
    }
  });
});

describe("sweep, per-language and matrices", () => {
  test("the α sweep puts x-y at 0 and x-x at 1, hybrids between", () => {
    const sweep = alphaSweep(report(), { model: "mini", train: "mlqa-r", eval: "xquad-r" });
    assert.deepEqual(
      sweep.map((p) => [p.alpha, p.label, p.seeds]),
      [
        [0, "x-y", 2],
        [0.25, "hybrid α=0.25", 1],
        [0.5, "hybrid α=0.5", 1],
        [1, "x-x", 1],
      ],
    );
    assert.equal(sweep[3].mono!.mean, bm25.mono.mean.map);
  });

  test("per-language rows match the runs' results; cross matrices average seeds", async () => {
    const rows = perLanguageTable(report(), { model: "mini", train: "mlqa-r", eval: "xquad-r" }, "mono", await loadPaperResults());
    assert.deepEqual(
      rows.map((r) => r.lang),
      ["de", "en", "zh"],
    );
    assert.equal(rows[1]["x-x"], bm25.mono.perLanguage[1].map);
    assert.equal(rows[0]["paper XLM-R hybrid"], 0.8033);
    const xy = configGroups(report()).find((g) => g.label === "x-y")!;
    const m = meanCrossMatrix(xy);
    assert.ok(Math.abs(m.map[0][1] - (random[0].cross.matrix.map[0][1]! + random[1].cross.matrix.map[0][1]!) / 2) < 1e-12);
  });
});

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

  test("throughput from metrics lines", () => {
    const [row] = throughputRows(report().runs.slice(0, 1));
    assert.equal(row.stop, "early stop");
    assert.equal(row.secPerStep, 3);
    assert.equal(row.trainMinutes, (10 * 4 + 10 * 2) / 60);
  });
});
