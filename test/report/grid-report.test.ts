/**
 * What the notebooks read from a grid's output (`grid-report.ts`): the run directories read whole,
 * grouped into configurations, directions, the origin line and the state counts. On the shipped
 * runs of results/small read as an output root (with the grid they came from), and on copies of
 * its records changed by hand where a case needs what it does not hold (unfinished or shipped runs).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { before, describe, test } from "node:test";
import { readGrid } from "../../src/ablate/grid.js";
import type { ShippedMarker } from "../../src/ablate/shipped.js";
import {
  configGroups,
  directionLabel,
  directions,
  groupPerQuery,
  loadGridReport,
  originLine,
  stateCounts,
  strategyLabel,
  type GridReport,
  type RunRecord,
} from "../../src/report/grid-report.js";
import { meanOverRuns } from "../../src/eval/significance.js";
import { DataError } from "../../src/util/errors.js";
import { bm25AndRandom, bm25Report, SMALL_RESULTS } from "./grid-fixture.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

let small: GridReport;
before(async () => {
  small = await loadGridReport(SMALL_RESULTS);
});

/** [train, strategy, α, seed] of each run, for order checks. */
const labels = (runs: readonly RunRecord[]) => runs.map((r) => [r.row.train, r.row.strategy, r.row.alpha, r.row.seed]);

describe("loadGridReport", () => {
  test("a directory: every run under it, in the aggregate's order, read whole", () => {
    assert.equal(small.root, SMALL_RESULTS);
    assert.deepEqual(labels(small.runs), [
      ["mlqa-r", "x-x", null, 1],
      ["mlqa-r", "x-x", null, 2],
      ["mlqa-r", "x-y", null, 1],
      ["mlqa-r", "x-y", null, 2],
      ["mlqa-r", "hybrid", 0.25, 1],
      ["mlqa-r", "hybrid", 0.5, 1],
      ["mlqa-r", "hybrid", 0.5, 2],
      ["mlqa-r", "hybrid", 0.75, 1],
      ["mlqa-r", "adversarial", null, 1],
      ["xquad-r", "x-x", null, 1],
      ["xquad-r", "x-y", null, 1],
      ["xquad-r", "hybrid", 0.5, 1],
    ]);
    for (const run of small.runs) {
      assert.equal(run.row.state, "complete", run.row.dir);
      assert.equal(run.results!.dataset, run.row.eval, "results.json read");
      assert.equal(run.results!.mono.mean.map, run.row.monoMap);
      assert.equal(run.metrics.filter((m) => m.type === "val").length, 3, "metrics.jsonl read");
      // The shipped folder holds per-query.json.gz and no install marker: neither is a run's own file.
      assert.equal(run.perQuery, null);
      assert.equal(run.shipped, null);
    }
  });

  test("a grid: only its own runs under its output root", async () => {
    const grid = { ...(await readGrid(join(ROOT, "configs/grids/small.json"), ROOT)), outputRoot: SMALL_RESULTS };
    const whole = await loadGridReport(grid);
    assert.deepEqual(whole.runs.map((r) => r.row.key), small.runs.map((r) => r.row.key), "the shipped runs are the grid's");
    const xx = await loadGridReport({ ...grid, runs: grid.runs.filter((r) => r.labels.strategy === "x-x") });
    assert.deepEqual(labels(xx.runs), [
      ["mlqa-r", "x-x", null, 1],
      ["mlqa-r", "x-x", null, 2],
      ["xquad-r", "x-x", null, 1],
    ]);
  });

  test("a missing root is an error naming it", async () => {
    const missing = join(ROOT, "results", "no-such-grid");
    await assert.rejects(loadGridReport(missing), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.message, `${missing}: no such directory: nothing has been run into it yet`);
      return true;
    });
  });
});

describe("labels", () => {
  test("strategyLabel gives hybrid its α; directionLabel names train and eval", () => {
    assert.equal(strategyLabel("hybrid", 0.5), "hybrid α=0.5");
    assert.equal(strategyLabel("hybrid", "by-size"), "hybrid α=by-size");
    assert.equal(strategyLabel("x-y", null), "x-y");
    assert.equal(strategyLabel("adversarial", null), "adversarial");
    assert.equal(directionLabel(small.runs[0].row), "mlqa-r→xquad-r");
    assert.equal(directionLabel({ train: "train.jsonl", eval: null }), "train.jsonl→(none)");
  });
});

describe("configGroups", () => {
  test("runs that differ only in seed, in order of first appearance, seeds ascending", () => {
    const groups = configGroups(small);
    assert.deepEqual(
      groups.map((g) => [g.train, g.label, g.runs.map((r) => r.row.seed)]),
      [
        ["mlqa-r", "x-x", [1, 2]],
        ["mlqa-r", "x-y", [1, 2]],
        ["mlqa-r", "hybrid α=0.25", [1]],
        ["mlqa-r", "hybrid α=0.5", [1, 2]],
        ["mlqa-r", "hybrid α=0.75", [1]],
        ["mlqa-r", "adversarial", [1]],
        ["xquad-r", "x-x", [1]],
        ["xquad-r", "x-y", [1]],
        ["xquad-r", "hybrid α=0.5", [1]],
      ],
    );
    const hybrid = groups[3];
    assert.deepEqual(
      { model: hybrid.model, train: hybrid.train, eval: hybrid.eval, strategy: hybrid.strategy, alpha: hybrid.alpha },
      { model: "mini 2x128", train: "mlqa-r", eval: "xquad-r", strategy: "hybrid", alpha: 0.5 },
    );
    assert.deepEqual(hybrid.finished, hybrid.runs);
  });

  test("the order is the report's, not re-sorted; a run without results is in runs but not finished", () => {
    const reversed = [...small.runs].reverse().map((r) => (r.row.train === "mlqa-r" && r.row.strategy === "x-y" && r.row.seed === 1 ? { ...r, results: null } : r));
    const groups = configGroups({ root: small.root, runs: reversed });
    assert.deepEqual(groups.map((g) => `${g.train} ${g.label}`).slice(0, 4), ["xquad-r hybrid α=0.5", "xquad-r x-y", "xquad-r x-x", "mlqa-r adversarial"]);
    const xy = groups.find((g) => g.train === "mlqa-r" && g.label === "x-y")!;
    assert.deepEqual(xy.runs.map((r) => r.row.seed), [1, 2], "seeds ascending whatever the input order");
    assert.deepEqual(xy.finished.map((r) => r.row.seed), [2]);
    assert.equal(groups.find((g) => g.train === "xquad-r" && g.label === "x-y")!.finished.length, 1, "the other direction's x-y is another group");
  });
});

describe("groupPerQuery", () => {
  test("the seeds' per-query values averaged; one seed as it is; null without per-query data", async () => {
    const { bm25, random } = await bm25AndRandom();
    const groups = configGroups(bm25Report(bm25, random));
    const xx = groups.find((g) => g.strategy === "x-x")!;
    const xy = groups.find((g) => g.strategy === "x-y")!;
    assert.equal(xy.finished.length, 2);
    assert.deepEqual(groupPerQuery(xy), meanOverRuns([random[0].perQuery!, random[1].perQuery!]));
    assert.deepEqual(groupPerQuery(xx)!.monoAP, bm25.perQuery!.monoAP);
    const lacking = { ...xy, finished: [xy.finished[0], { ...xy.finished[1], perQuery: null }] };
    assert.equal(groupPerQuery(lacking), null);
    assert.equal(groupPerQuery({ ...xy, finished: [] }), null);
  });
});

describe("directions, origin and states", () => {
  test("directions in order of first appearance; runs without an evaluation have none", () => {
    assert.deepEqual(directions(small), [
      { train: "mlqa-r", eval: "xquad-r" },
      { train: "xquad-r", eval: "mlqa-r" },
    ]);
    const noEval = small.runs.map((r) => (r.row.train === "mlqa-r" ? { ...r, row: { ...r.row, eval: null } } : r));
    assert.deepEqual(directions({ root: small.root, runs: noEval }), [{ train: "xquad-r", eval: "mlqa-r" }]);
    assert.deepEqual(directions({ root: small.root, runs: [] }), []);
  });

  test("originLine counts complete runs, trained here or installed from shipped results", () => {
    assert.equal(originLine(small), "12 complete runs: 12 trained here");
    const marker = (from: string, commit: string | null): ShippedMarker => ({ from, commit, shippedAt: "2026-12-04T21:28:19.894Z", installedAt: "2026-12-05T08:00:00.000Z" });
    const runs = small.runs.map((r, i): RunRecord => {
      if (i < 3) return { ...r, shipped: marker("results/small", "dd3a74284de781130e9a9180dd08edb3e09c8733") };
      if (i === 3) return { ...r, shipped: marker("results/other", null) };
      if (i === 4) return { ...r, results: null }; // not complete: counted nowhere
      return r;
    });
    assert.equal(
      originLine({ root: small.root, runs }),
      "11 complete runs: 7 trained here, 4 from results/small (shipped 2026-12-04, commit dd3a742), results/other (shipped 2026-12-04, commit ?)",
    );
    assert.equal(originLine({ root: small.root, runs: small.runs.slice(0, 1) }), "1 complete run: 1 trained here");
    assert.equal(originLine({ root: small.root, runs: [] }), "0 complete runs: 0 trained here");
  });

  test("stateCounts counts the runs by state", () => {
    assert.deepEqual(stateCounts(small), { complete: 12 });
    const runs = small.runs.map((r, i): RunRecord => (i < 2 ? { ...r, row: { ...r.row, state: i === 0 ? "partial" : "diverged" } } : r));
    assert.deepEqual(stateCounts({ root: small.root, runs }), { partial: 1, diverged: 1, complete: 10 });
    assert.deepEqual(stateCounts({ root: small.root, runs: [] }), {});
  });
});
