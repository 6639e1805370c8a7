/**
 * Training curves and throughput from runs' metrics.jsonl (`training-curves.ts`): on hand-made
 * log lines with exact expectations, and on the shipped runs of results/small, whose
 * metrics.jsonl files are read again here, line by line, for the expected values.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { loadGridReport, type GridReport, type RunRecord } from "../../src/report/grid-report.js";
import { lossCurvesFigure, runLabel, throughputRows } from "../../src/report/training-curves.js";
import type { MetricsLine } from "../../src/run-files/metrics.js";
import { runRecord, SMALL_RESULTS } from "./grid-fixture.js";

let small: GridReport;
before(async () => {
  small = await loadGridReport(SMALL_RESULTS);
});

/** A run of the fixture's shape (mini, mlqa-r → xquad-r), with shipped results standing in for its evaluation. */
function record(strategy: "x-x" | "hybrid", alpha: number | null, seed: number, metrics?: readonly MetricsLine[]): RunRecord {
  return runRecord(strategy, alpha, seed, small.runs[0].results!, metrics === undefined ? {} : { metrics });
}

async function metricsFile(run: RunRecord): Promise<MetricsLine[]> {
  const text = await readFile(join(SMALL_RESULTS, run.row.dir, "metrics.jsonl"), "utf8");
  return text.trim().split("\n").map((l) => JSON.parse(l) as MetricsLine);
}

describe("throughput", () => {
  test("throughput from metrics lines", () => {
    const [row] = throughputRows([record("x-x", null, 1)]);
    assert.equal(row.stop, "early stop");
    assert.equal(row.secPerStep, 3);
    assert.equal(row.trainMinutes, (10 * 4 + 10 * 2) / 60);
  });

  test("each train line covers the steps since the previous one; no train lines, no speed", () => {
    const uneven: MetricsLine[] = [
      { type: "train", step: 5, loss: 1, lr: 1, gradNorm: 1, pairsPerSec: 30, secPerStep: 1, epoch: 0 },
      { type: "val", step: 5, valLoss: 1, best: true },
      { type: "train", step: 25, loss: 1, lr: 1, gradNorm: 1, pairsPerSec: 10, secPerStep: 3, epoch: 0 },
    ];
    const [row] = throughputRows([record("hybrid", 0.5, 2, uneven)]);
    assert.deepEqual(row, {
      run: "hybrid α=0.5 · seed 2 · mlqa-r→xquad-r",
      steps: 100,
      bestStep: 80,
      stop: "all steps",
      secPerStep: 2,
      pairsPerSec: 20,
      trainMinutes: (5 * 1 + 20 * 3) / 60,
    });
    const fresh = record("x-x", null, 1, []);
    const [none, diverged] = throughputRows([
      { ...fresh, row: { ...fresh.row, state: "partial" } },
      { ...fresh, row: { ...fresh.row, state: "diverged" } },
    ]);
    assert.deepEqual([none.stop, none.secPerStep, none.pairsPerSec, none.trainMinutes], ["partial", null, null, null]);
    assert.equal(diverged.stop, "diverged");
  });

  test("on results/small: every run's steps, best step and mean speed from its metrics.jsonl", async () => {
    const rows = throughputRows(small.runs);
    assert.equal(rows.length, 12);
    for (const [i, run] of small.runs.entries()) {
      const train = (await metricsFile(run)).filter((m): m is Extract<MetricsLine, { type: "train" }> => m.type === "train");
      assert.equal(train.length, 4, run.row.dir);
      const row = rows[i];
      assert.equal(row.run, runLabel(run));
      assert.equal(row.steps, 40);
      assert.equal(row.bestStep, run.results!.run.checkpointStep);
      assert.equal(row.stop, "all steps");
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      assert.ok(Math.abs(row.secPerStep! - mean(train.map((m) => m.secPerStep))) < 1e-12);
      assert.ok(Math.abs(row.pairsPerSec! - mean(train.map((m) => m.pairsPerSec))) < 1e-12);
      // Log lines every 10 steps from step 0.
      assert.ok(Math.abs(row.trainMinutes! - (10 * train.reduce((s, m) => s + m.secPerStep, 0)) / 60) < 1e-9);
    }
  });
});

describe("labels and loss curves", () => {
  test("runLabel names strategy (with α for hybrid), seed and direction", () => {
    assert.equal(runLabel(record("hybrid", 0.25, 3)), "hybrid α=0.25 · seed 3 · mlqa-r→xquad-r");
    const xx = record("x-x", null, 1);
    assert.equal(runLabel(xx), "x-x · seed 1 · mlqa-r→xquad-r");
    assert.equal(runLabel({ ...xx, row: { ...xx.row, eval: null } }), "x-x · seed 1 · mlqa-r→-");
    const adversarial = small.runs.find((r) => r.row.strategy === "adversarial")!;
    assert.equal(runLabel(adversarial), "adversarial · seed 1 · mlqa-r→xquad-r");
  });

  test("one line per run: training loss per log interval, validation loss with markers", async () => {
    const runs = small.runs.slice(0, 3);
    const train = lossCurvesFigure(runs, "train", "training loss");
    const val = lossCurvesFigure(runs, "val", "validation loss");
    for (const [i, run] of runs.entries()) {
      const lines = await metricsFile(run);
      const trainLines = lines.flatMap((m) => (m.type === "train" ? [m] : []));
      const valLines = lines.flatMap((m) => (m.type === "val" ? [m] : []));
      assert.deepEqual(train.data[i], { type: "scatter", mode: "lines", name: runLabel(run), x: trainLines.map((m) => m.step), y: trainLines.map((m) => m.loss) });
      assert.deepEqual(val.data[i], { type: "scatter", mode: "lines+markers", name: runLabel(run), x: valLines.map((m) => m.step), y: valLines.map((m) => m.valLoss) });
      assert.deepEqual(val.data[i].x, [0, 20, 40]);
    }
    assert.deepEqual(train.layout, {
      title: { text: "training loss" },
      xaxis: { title: { text: "step" } },
      yaxis: { title: { text: "training loss (InfoNCE)" } },
    });
    assert.deepEqual((val.layout!.yaxis as { title: unknown }).title, { text: "validation loss (InfoNCE)" });
    assert.deepEqual(lossCurvesFigure([], "train", "none").data, []);
  });
});
