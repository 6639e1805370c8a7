/**
 * Notebook 06's alignment comparison (`report/alignment.ts`): alignment.json read per run, mean
 * over seeds per configuration, the table and figures. On run directories holding real alignment
 * measures of random embeddings of an XQuAD-R slice, and on the shipped runs of results/small.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { measureAlignment, type AlignmentResult } from "../../src/eval/alignment.js";
import {
  alignmentBarsFigure,
  alignmentHeadline,
  alignmentTable,
  bitextFigure,
  centroidDistanceFigure,
  loadAlignments,
  meanHeadline,
  type AlignmentHeadline,
} from "../../src/report/alignment.js";
import { configGroups, loadGridReport, type ConfigGroup, type GridReport } from "../../src/report/grid-report.js";
import { groupsOf } from "../../src/report/language-bias.js";
import { ALIGNMENT_NAME } from "../../src/run-files/alignment.js";
import { DataError } from "../../src/util/errors.js";
import { embeddingReport, randomEmbeddingRuns, SMALL_RESULTS, type EmbeddingRun } from "./grid-fixture.js";

const runs: (EmbeddingRun & { alignment: AlignmentResult | null })[] = [];
let root = "";

before(async () => {
  root = await mkdtemp(join(tmpdir(), "hybrid-ir-alignment-report-"));
  const { ds, runs: embeddingRuns } = await randomEmbeddingRuns();
  for (const run of embeddingRuns) {
    const alignment = run.withAlignment ? await measureAlignment(ds, run.embeddings, { probe: { steps: 30 } }) : null;
    runs.push({ ...run, alignment });
    const dir = join(root, `${run.strategy}-${run.seed}`);
    await mkdir(dir, { recursive: true });
    if (alignment !== null) await writeFile(join(dir, ALIGNMENT_NAME), JSON.stringify(alignment));
  }
});
after(async () => rm(root, { recursive: true, force: true }));

function report(): GridReport {
  return embeddingReport(root, runs);
}

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

  test("an alignment.json that is not one is refused, naming the file and the field", async () => {
    const broken = await mkdtemp(join(tmpdir(), "hybrid-ir-alignment-broken-"));
    try {
      const r = embeddingReport(broken, runs.slice(0, 1));
      const file = join(broken, "x-y-1", ALIGNMENT_NAME);
      await mkdir(join(broken, "x-y-1"));
      await writeFile(file, JSON.stringify({ ...runs[0].alignment, languages: ["de", 2] }));
      await assert.rejects(loadAlignments(r), (err: unknown) => {
        assert.ok(err instanceof DataError);
        assert.equal(err.file, file);
        assert.equal(err.problem, 'languages must be an array of language codes, got ["de",2]');
        return true;
      });
      await writeFile(file, JSON.stringify({ schemaVersion: 99, ...runs[0].alignment }));
      await assert.rejects(loadAlignments(r), { message: `${file}: schemaVersion 99 is newer than this hybrid-ir reads (2): update hybrid-ir` });
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});

describe("the shipped runs of results/small", () => {
  let small: GridReport;
  let alignments: Map<string, AlignmentResult>;
  let groups: ConfigGroup[];
  before(async () => {
    small = await loadGridReport(SMALL_RESULTS);
    alignments = await loadAlignments(small);
    groups = groupsOf(small, { model: "mini 2x128", train: "mlqa-r", eval: "xquad-r" });
  });

  test("every run has its alignment.json, measured on the languages it was evaluated on", () => {
    assert.deepEqual([...alignments.keys()].sort(), small.runs.map((r) => r.row.dir).sort());
    for (const run of small.runs) assert.deepEqual(alignments.get(run.row.dir)!.languages, run.results!.languages, run.row.dir);
  });

  test("alignmentHeadline picks the headline numbers and turns a non-finite probe accuracy into null", () => {
    const a = alignments.get(small.runs[0].row.dir)!;
    const expected: AlignmentHeadline = {
      bitext: a.bitext.mean,
      translationCosine: a.translationCosine.translation,
      otherCosine: a.translationCosine.nonTranslation,
      cosineGap: a.translationCosine.gap,
      probe: a.languageProbe.accuracy,
      probeMajority: a.languageProbe.majority,
      centroidDistance: a.centroids.mean,
      multiBefore: a.centroidRemoval.before.multi,
      multiAfter: a.centroidRemoval.after.multi,
      rankDistanceBefore: a.centroidRemoval.before.rankDistance,
      rankDistanceAfter: a.centroidRemoval.after.rankDistance,
    };
    assert.deepEqual(alignmentHeadline(a), expected);
    for (const value of Object.values(expected)) assert.ok(typeof value === "number" && Number.isFinite(value), "the shipped runs have every measure");
    // A probe that could not be trained (NaN), as JSON.parse can never give but the measure can.
    const noProbe = { ...a, languageProbe: { ...a.languageProbe, accuracy: NaN, majority: Infinity } };
    assert.deepEqual(alignmentHeadline(noProbe), { ...expected, probe: null, probeMajority: null });
  });

  test("meanHeadline averages each number over the seeds; null for a configuration without alignment.json", () => {
    const xx = groups.find((g) => g.label === "x-x")!;
    assert.equal(xx.finished.length, 2);
    const heads = xx.finished.map((r) => alignmentHeadline(alignments.get(r.row.dir)!));
    const mean = meanHeadline(xx, alignments)!;
    for (const key of Object.keys(heads[0]) as (keyof AlignmentHeadline)[]) {
      assert.ok(Math.abs(mean[key]! - (heads[0][key]! + heads[1][key]!) / 2) < 1e-12, key);
    }
    // A seed without alignment.json is left out of the mean; with none, there is no mean.
    const oneSeed = new Map([[xx.finished[1].row.dir, alignments.get(xx.finished[1].row.dir)!]]);
    assert.deepEqual(meanHeadline(xx, oneSeed), heads[1]);
    assert.equal(meanHeadline(xx, new Map()), null);
  });

  test("the table has one row per configuration of the direction, in the aggregate's order, with its seed count", () => {
    const rows = alignmentTable(groups, alignments);
    assert.deepEqual(
      rows.map((r) => [r.strategy, r.seeds]),
      [
        ["x-x", 2],
        ["x-y", 2],
        ["hybrid α=0.25", 1],
        ["hybrid α=0.5", 2],
        ["hybrid α=0.75", 1],
        ["adversarial", 1],
      ],
    );
    const adversarial = alignmentHeadline(alignments.get(groups[5].finished[0].row.dir)!);
    assert.deepEqual(rows[5], {
      strategy: "adversarial",
      seeds: 1,
      "bitext P@1": adversarial.bitext,
      "cos translations": adversarial.translationCosine,
      "cos other pairs": adversarial.otherCosine,
      "language probe": adversarial.probe,
      "probe floor": adversarial.probeMajority,
      "centroid distance": adversarial.centroidDistance,
      "multi mAP": adversarial.multiBefore,
      "multi mAP, centroids removed": adversarial.multiAfter,
      "rank distance": adversarial.rankDistanceBefore,
      "rank distance, centroids removed": adversarial.rankDistanceAfter,
    });
    assert.deepEqual(alignmentTable(groups, new Map()), []);
  });

  test("the bars show five measures per configuration, each the mean over seeds", () => {
    const bars = alignmentBarsFigure(groups, alignments, "alignment");
    assert.deepEqual(
      bars.data.map((d) => d.name),
      ["bitext P@1", "cosine gap (translations − others)", "language-ID probe accuracy", "multi mAP", "multi mAP, centroids removed"],
    );
    const labels = groups.map((g) => g.label);
    for (const trace of bars.data) assert.deepEqual(trace.x, labels);
    assert.deepEqual(bars.data[1].y, groups.map((g) => meanHeadline(g, alignments)!.cosineGap));
  });

  test("the centroid distances of a configuration's first seed, as a labelled heatmap", () => {
    const xy = groups.find((g) => g.label === "x-y")!;
    const first = alignments.get(xy.finished[0].row.dir)!;
    const figure = centroidDistanceFigure(xy, alignments, "centroids")!;
    assert.deepEqual(figure.data[0].z, first.centroids.distance);
    assert.deepEqual(figure.data[0].x, first.languages);
    assert.deepEqual(figure.data[0].y, first.languages);
    assert.equal(centroidDistanceFigure(xy, new Map(), "centroids"), null);
    // The bitext heatmap of a one-seed configuration is that run's matrix, the diagonal NaN.
    const alpha25 = groups.find((g) => g.label === "hybrid α=0.25")!;
    const bitext = alignments.get(alpha25.finished[0].row.dir)!.bitext.accuracy;
    assert.deepEqual(bitextFigure(alpha25, alignments, "bitext")!.data[0].z, bitext.map((row) => row.map((v) => v ?? NaN)));
  });
});
