/**
 * The report builders on real evaluations: "runs" whose results are BM25 and random rankings
 * of an XQuAD-R slice, evaluated with the real protocol, dressed as a grid's run records; and
 * Table 1's adversarial row on runs of random embeddings of the same slice (grid-fixture.ts).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { EvaluationResult } from "../../src/eval/result.js";
import {
  alphaSweep,
  meanCrossMatrix,
  perLanguageTable,
  strategyTestRecords,
  strategyTests,
  table1,
  table1Legend,
  table1Markdown,
  table1Records,
} from "../../src/report/ablation-tables.js";
import { configGroups, type GridReport } from "../../src/report/grid-report.js";
import { loadPaperResults } from "../../src/report/paper-reference.js";
import { bm25AndRandom, bm25Report, embeddingReport, randomEmbeddingRuns, type EmbeddingRun } from "./grid-fixture.js";

let bm25: EvaluationResult;
let random: EvaluationResult[] = [];
let embeddingRuns: EmbeddingRun[] = [];

before(async () => {
  ({ bm25, random } = await bm25AndRandom());
  ({ runs: embeddingRuns } = await randomEmbeddingRuns());
});

/** x-x = BM25 (one seed); x-y = random (two seeds); hybrid α 0.5 = random; hybrid α 0.25 = BM25. */
function report(): GridReport {
  return bm25Report(bm25, random);
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

describe("Table 1's untrained row", () => {
  test("the untrained model's numbers first, in every column of its benchmark, outside the marks", async () => {
    const untrained = {
      file: "(test)",
      model: "mini before training",
      results: { "xquad-r": { engine: "test", mono: 0.99, cross: 0.5, multi: 0.25, rankDistance: 10 } },
    };
    const plain = table1(report(), { rounds: 500 });
    const t = table1(report(), { rounds: 500, untrained });
    const [first, ...rest] = t.rows;
    assert.equal(first.strategy, "untrained");
    assert.deepEqual(
      first.cells.map((c) => c.value),
      [0.99, 0.5, 0.25],
    );
    assert.ok(first.cells.every((c) => !c.best && c.pValue === null && c.spread === null));
    // 0.99 is above every strategy's monolingual mAP, yet the ▲ and the tests are the strategies' alone.
    assert.deepEqual(rest, plain.rows);
    assert.match(table1Legend(t), /untrained: the model before fine-tuning/);
    assert.doesNotMatch(table1Legend(plain), /untrained/);
    assert.match(table1Markdown(t), /\| this suite \| mini \| untrained \| 0\.990 \| 0\.500 \| 0\.250 \|/);
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

describe("the adversarial strategy in Table 1", () => {
  test("it gets its own row after the three strategies, with a paired test against the column's best", () => {
    const t = table1(embeddingReport("/nowhere", embeddingRuns), { rounds: 500 });
    const ours = t.rows.filter((r) => r.source === "ours");
    assert.deepEqual(ours.map((r) => r.strategy), ["x-x", "x-y", "adversarial"]);
    const adversarial = ours[2];
    // Two seeds: the mean of both runs, and a spread.
    const maps = embeddingRuns.filter((r) => r.strategy === "adversarial").map((r) => r.evaluation.mono.mean.map!);
    assert.ok(Math.abs(adversarial.cells[0].value! - (maps[0] + maps[1]) / 2) < 1e-12);
    assert.equal(adversarial.cells[0].spread!.n, 2);
    for (const [i, cell] of adversarial.cells.entries()) {
      const best = ours.find((r) => r.cells[i].best)!;
      if (best !== adversarial) assert.ok(cell.pValue !== null && cell.pValue >= 0 && cell.pValue <= 1, `column ${i}: ${JSON.stringify(cell)}`);
    }
  });
});
