/**
 * Our results beside the paper's (`comparison.ts`): a row from a run's results, and the paper's
 * rows (its fine-tuned models per strategy, then LAReQA's mBERT baselines), on a shipped run of
 * results/small and the vendored paper file read again here for the expected values.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { dataDir } from "../../src/paths.js";
import { paperRows, resultRow } from "../../src/report/comparison.js";
import { loadGridReport } from "../../src/report/grid-report.js";
import { loadPaperResults, PAPER_FILE, type PaperResults } from "../../src/report/paper-reference.js";
import type { RunResults } from "../../src/run-files/results.js";
import { SMALL_RESULTS } from "./grid-fixture.js";

let results: RunResults;
let paper: PaperResults;
/** The vendored file, parsed here independently of paper-reference.ts. */
let raw: PaperResults;

before(async () => {
  const small = await loadGridReport(SMALL_RESULTS);
  results = small.runs.find((r) => r.row.strategy === "hybrid" && r.row.alpha === 0.5)!.results!;
  paper = await loadPaperResults();
  raw = JSON.parse(await readFile(join(dataDir(), "reference", PAPER_FILE), "utf8")) as PaperResults;
});

describe("resultRow", () => {
  test("the headline means of a run: mono, cross and multi mAP and the rank distance", () => {
    assert.deepEqual(resultRow("mini hybrid", results), {
      system: "mini hybrid",
      source: "this suite",
      mono: results.mono.mean.map,
      cross: results.cross.mean.map,
      multi: results.multi.mean.map,
      rankDistance: results.languageBias.mean,
    });
    for (const v of [results.mono.mean.map, results.cross.mean.map, results.multi.mean.map]) assert.ok(v !== null && v > 0 && v < 1);
    assert.equal(resultRow("BM25", results, "baseline").source, "baseline");
    // A mean that is undefined stays null.
    const unscorable = { ...results, cross: { ...results.cross, mean: { ...results.cross.mean, map: null } } };
    assert.equal(resultRow("x", unscorable).cross, null);
  });
});

describe("paperRows", () => {
  for (const dataset of ["xquad-r", "mlqa-r"] as const) {
    test(`${dataset}: three strategies per fine-tuned model, then the mBERT baselines (multi only)`, () => {
      const rows = paperRows(paper, dataset);
      const baselineNames = Object.keys(raw.lareqa_baselines_map[dataset]);
      assert.deepEqual(
        rows.map((r) => r.system),
        [
          "XLM-R X-X",
          "XLM-R X-Y",
          "XLM-R HYBRID",
          "LaBSE X-X",
          "LaBSE X-Y",
          "LaBSE HYBRID",
          ...baselineNames.map((n) => `mBERT ${n} (LAReQA)`),
        ],
      );
      const models = ["xlm-r", "xlm-r", "xlm-r", "labse", "labse", "labse"] as const;
      const strategies = ["x-x", "x-y", "hybrid", "x-x", "x-y", "hybrid"] as const;
      rows.slice(0, 6).forEach((row, i) => {
        const t1 = raw.table1_map[models[i]][dataset];
        assert.deepEqual(row, {
          system: row.system,
          source: "arXiv:2408.10536 Tables 1–2",
          mono: t1.mono[strategies[i]],
          cross: t1.cross[strategies[i]],
          multi: t1.multi[strategies[i]],
          rankDistance: raw.table2_rank_distance[models[i]][dataset][strategies[i]],
        });
      });
      rows.slice(6).forEach((row, i) => {
        assert.deepEqual(row, {
          system: row.system,
          source: "arXiv:2004.05484",
          mono: null,
          cross: null,
          multi: raw.lareqa_baselines_map[dataset][baselineNames[i]],
          rankDistance: null,
        });
      });
    });
  }
});
