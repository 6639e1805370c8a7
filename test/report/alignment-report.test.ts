/**
 * Notebook 06's builders and Table 1's adversarial row, on run directories holding real
 * evaluations and real alignment measures of random embeddings of an XQuAD-R slice.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { AggregateRow, StrategyName } from "../../src/ablate/types.js";
import { initBackend } from "../../src/compute/backend.js";
import type { Matrix } from "../../src/data/npy.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { measureAlignment, normalizedRows, type AlignmentResult } from "../../src/eval/alignment.js";
import { DenseScorer } from "../../src/eval/dense-scorer.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { EvaluationResult } from "../../src/eval/result.js";
import { taskFromDataset } from "../../src/eval/task.js";
import { table1 } from "../../src/report/ablation-tables.js";
import { alignmentBarsFigure, alignmentTable, bitextFigure, loadAlignments } from "../../src/report/alignment.js";
import { configGroups, type GridReport, type RunRecord } from "../../src/report/grid-report.js";
import { ALIGNMENT_NAME } from "../../src/run-files/alignment.js";
import type { RunResults } from "../../src/run-files/results.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

const runs: { strategy: StrategyName; seed: number; evaluation: EvaluationResult; alignment: AlignmentResult | null }[] = [];
let root = "";

before(async () => {
  await initBackend("wasm");
  root = await mkdtemp(join(tmpdir(), "hybrid-ir-alignment-report-"));
  const ds = await loadDataset("xquad-r", { languages: ["de", "en", "zh"], maxQuestionIds: 40 });
  const task = taskFromDataset(ds);
  const dim = 8;
  for (const [i, [strategy, seed, withAlignment]] of ([["x-y", 1, true], ["adversarial", 1, true], ["adversarial", 2, true], ["x-x", 1, false]] as const).entries()) {
    const rand = mulberry32(100 + i);
    const m = (rows: number): Matrix => normalizedRows({ data: Float32Array.from({ length: rows * dim }, () => randomNormal(rand)), rows, cols: dim });
    const emb = { questions: m(ds.questions.length), candidates: m(ds.candidates.length) };
    const scorer = new DenseScorer(emb.questions.data, emb.candidates.data, dim);
    const evaluation = await evaluate(task, scorer, { keepPerQuery: true });
    scorer.dispose();
    const alignment = withAlignment ? await measureAlignment(ds, emb, { probe: { steps: 30 } }) : null;
    runs.push({ strategy, seed, evaluation, alignment });
    const dir = join(root, `${strategy}-${seed}`);
    await mkdir(dir, { recursive: true });
    if (alignment !== null) await writeFile(join(dir, ALIGNMENT_NAME), JSON.stringify(alignment));
  }
});
after(async () => rm(root, { recursive: true, force: true }));

function report(): GridReport {
  const records = runs.map(({ strategy, seed, evaluation }): RunRecord => {
    const { perQuery, ...rest } = evaluation;
    const row: AggregateRow = {
      key: `${strategy}-${seed}`,
      dir: `${strategy}-${seed}`,
      state: "complete",
      model: "mini",
      strategy,
      alpha: null,
      seed,
      train: "mlqa-r",
      eval: "xquad-r",
      steps: 10,
      checkpointStep: 10,
      bestValLoss: 1,
      monoMap: rest.mono.mean.map,
      crossMap: rest.cross.mean.map,
      multiMap: rest.multi.mean.map,
      rankDistance: rest.languageBias.mean,
      pairsPerSec: 1,
      gitCommit: null,
    };
    return { row, results: { ...rest, dataset: "xquad-r" } as unknown as RunResults, perQuery: perQuery ?? null, metrics: [], shipped: null };
  });
  return { root, runs: records };
}

describe("the adversarial strategy in Table 1", () => {
  test("it gets its own row after the three strategies, with a paired test against the column's best", () => {
    const t = table1(report(), { rounds: 500 });
    const ours = t.rows.filter((r) => r.source === "ours");
    assert.deepEqual(ours.map((r) => r.strategy), ["x-x", "x-y", "adversarial"]);
    const adversarial = ours[2];
    // Two seeds: the mean of both runs, and a spread.
    const maps = runs.filter((r) => r.strategy === "adversarial").map((r) => r.evaluation.mono.mean.map!);
    assert.ok(Math.abs(adversarial.cells[0].value! - (maps[0] + maps[1]) / 2) < 1e-12);
    assert.equal(adversarial.cells[0].spread!.n, 2);
    for (const [i, cell] of adversarial.cells.entries()) {
      const best = ours.find((r) => r.cells[i].best)!;
      if (best !== adversarial) assert.ok(cell.pValue !== null && cell.pValue >= 0 && cell.pValue <= 1, `column ${i}: ${JSON.stringify(cell)}`);
    }
  });
});

describe("notebook 06's alignment comparison", () => {
  test("reads alignment.json per run, averages over seeds, and leaves out runs without one", async () => {
    const r = report();
    const alignments = await loadAlignments(r);
    assert.deepEqual([...alignments.keys()].sort(), ["adversarial-1", "adversarial-2", "x-y-1"]);
    const groups = configGroups(r);
    const rows = alignmentTable(groups, alignments);
    assert.deepEqual(rows.map((x) => [x.strategy, x.seeds]), [["x-y", 1], ["adversarial", 2]]);
    const adv = runs.filter((x) => x.strategy === "adversarial").map((x) => x.alignment!);
    assert.ok(Math.abs((rows[1]["bitext P@1"] as number) - (adv[0].bitext.mean! + adv[1].bitext.mean!) / 2) < 1e-12);
    assert.equal(rows[0]["multi mAP"], runs[0].alignment!.centroidRemoval.before.multi);
    assert.equal(rows[0]["language probe"], runs[0].alignment!.languageProbe.accuracy);

    const figure = bitextFigure(groups.find((g) => g.strategy === "adversarial")!, alignments, "t")!;
    const z = figure.data[0].z as number[][];
    assert.ok(Number.isNaN(z[0][0]), "no bitext on the diagonal");
    assert.ok(Math.abs(z[0][1] - (adv[0].bitext.accuracy[0][1]! + adv[1].bitext.accuracy[0][1]!) / 2) < 1e-12);
    assert.equal(bitextFigure(groups.find((g) => g.strategy === "x-x")!, alignments, "t"), null);
    const bars = alignmentBarsFigure(groups, alignments, "t");
    assert.deepEqual(bars.data[0].x, ["x-y", "adversarial"]);
  });
});
