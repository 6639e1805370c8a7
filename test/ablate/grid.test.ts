import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readGrid } from "../../src/ablate/grid.js";
import { runKey } from "../../src/ablate/run-state.js";
import type { GridRun } from "../../src/ablate/types.js";
import { miniBase, rejectsData, gridFiles } from "./helpers.js";

/** "model train→eval strategy[α] seed" per run, for comparing whole expansions at a glance. */
const brief = (runs: readonly GridRun[]) =>
  runs.map((r) => {
    const l = r.labels;
    return `${l.model} ${l.train}→${l.eval} ${l.strategy}${l.alpha === null ? "" : l.alpha} s${l.seed}`;
  });

describe("readGrid", () => {
  const files = gridFiles("hybrid-ir-grid-");
  const grid = files.grid;
  let dir = "";
  before(() => {
    dir = files.dir();
  });

  test("expands every axis in the order model, direction, strategy (hybrid once per α), seed", async () => {
    const file = await grid({
      base: miniBase(),
      outputRoot: "out",
      axes: {
        model: ["mini", { mini: { layers: 1, hidden: 32, heads: 2, intermediate: 64 } }],
        direction: [
          { train: "train.jsonl", eval: "xquad-r" },
          { train: "xquad-r", eval: "mlqa-r" },
        ],
        strategy: ["x-x", "x-y", "hybrid"],
        alpha: [0.25, 0.75],
        seed: [1, 2],
      },
    });
    const g = await readGrid(file, dir);
    // per model × direction: x-x × 2 seeds, x-y × 2 seeds, hybrid × 2 α × 2 seeds
    assert.equal(g.runs.length, 2 * 2 * (2 + 2 + 4));
    assert.deepEqual(brief(g.runs).slice(0, 9), [
      "mini train.jsonl→xquad-r x-x s1",
      "mini train.jsonl→xquad-r x-x s2",
      "mini train.jsonl→xquad-r x-y s1",
      "mini train.jsonl→xquad-r x-y s2",
      "mini train.jsonl→xquad-r hybrid0.25 s1",
      "mini train.jsonl→xquad-r hybrid0.25 s2",
      "mini train.jsonl→xquad-r hybrid0.75 s1",
      "mini train.jsonl→xquad-r hybrid0.75 s2",
      "mini xquad-r→mlqa-r x-x s1",
    ]);
    assert.deepEqual(brief(g.runs.slice(16, 17)), ["mini 1x32 train.jsonl→xquad-r x-x s1"]);
    assert.deepEqual(g.runs.map((r) => r.index), [...g.runs.keys()]);

    const [first] = g.runs;
    assert.equal(first.config.model.mini, null, "a model string is the preset, without the base's architecture");
    assert.deepEqual(g.runs[16].config.model.mini, { layers: 1, hidden: 32, heads: 2, intermediate: 64 });
    assert.equal(first.config.data.train, join(dir, "train.jsonl"), "a direction's JSONL is relative to the grid file");
    assert.deepEqual(g.runs[8].config.data.train, { dataset: "xquad-r" });
    assert.equal(g.runs[8].config.eval?.dataset, "mlqa-r");
    assert.deepEqual(g.runs[8].config.eval?.languages, ["de", "en"], "the base's eval section stays");
    assert.equal(g.runs[1].config.model.seed, 2);
    assert.equal(g.runs[1].config.sampler.seed, 2);
    assert.equal(g.runs[6].config.sampler.alpha, 0.75);
    assert.equal(g.runs[6].labels.alpha, 0.75);
    assert.equal(first.labels.alpha, null);
    assert.equal(g.outputRoot, join(dir, "out"));
    for (const r of g.runs) {
      assert.match(r.key, /^[0-9a-f]{12}$/);
      assert.equal(r.key, runKey(r.config));
      assert.equal(r.config.outputDir, join(dir, "out", r.key));
    }
    assert.equal(new Set(g.runs.map((r) => r.key)).size, g.runs.length);
  });

  test("sub-grids layer axes and set over the top level; their union is de-duplicated by key", async () => {
    const file = await grid(
      {
        comment: "3 strategies x 2 seeds, plus an alpha sweep on seed 1",
        base: miniBase(),
        set: { steps: 12 },
        axes: { strategy: ["x-x", "x-y", "hybrid"], seed: [1, 2] },
        grids: [{}, { comment: "alpha sweep", axes: { strategy: ["hybrid"], alpha: [0.25, 0.5, 0.75], seed: [1] }, set: { optim: { lr: 0.001 } } }],
      },
      "sweep.json",
    );
    const g = await readGrid(file, dir);
    // the base's α is 0.5 and set.optim.lr equals the base's: hybrid 0.5 seed 1 is in both sub-grids
    assert.deepEqual(brief(g.runs), [
      "mini 1x32 train.jsonl→xquad-r x-x s1",
      "mini 1x32 train.jsonl→xquad-r x-x s2",
      "mini 1x32 train.jsonl→xquad-r x-y s1",
      "mini 1x32 train.jsonl→xquad-r x-y s2",
      "mini 1x32 train.jsonl→xquad-r hybrid0.5 s1",
      "mini 1x32 train.jsonl→xquad-r hybrid0.5 s2",
      "mini 1x32 train.jsonl→xquad-r hybrid0.25 s1",
      "mini 1x32 train.jsonl→xquad-r hybrid0.75 s1",
    ]);
    assert.ok(g.runs.every((r) => r.config.steps === 12));
    assert.equal(g.comment, "3 strategies x 2 seeds, plus an alpha sweep on seed 1");
    assert.equal(g.outputRoot, join(dir, "runs", "grids", "sweep"), "default outputRoot: runs/grids/<grid name>");
    assert.match(g.runs[0].config.comment, /sweep: mini 1x32 · train\.jsonl→xquad-r · x-x · seed 1/);

    // with the alpha axis and no strategy axis, an x-x base runs once per seed
    const xx = await readGrid(await grid({ base: miniBase({ sampler: { name: "x-x", batchSize: 8 } }), axes: { alpha: [0.1, 0.9], seed: [1, 2] } }), dir);
    assert.deepEqual(brief(xx.runs), ["mini 1x32 train.jsonl→xquad-r x-x s1", "mini 1x32 train.jsonl→xquad-r x-x s2"]);
  });

  test("a strategy axis over an x-x base gives hybrid runs the sampler's default α", async () => {
    const base = miniBase({ sampler: { name: "x-x", batchSize: 8, seed: 3 } });
    const g = await readGrid(await grid({ base, outputRoot: "out", axes: { strategy: ["x-x", "hybrid"] } }), dir);
    assert.deepEqual(
      g.runs.map((r) => [r.labels.strategy, r.labels.alpha, r.config.sampler.alpha]),
      [
        ["x-x", null, 0.5],
        ["hybrid", 0.5, 0.5],
      ],
    );
  });

  test("a base file's training data is relative to the base file", async () => {
    await mkdir(join(dir, "configs"), { recursive: true });
    await writeFile(join(dir, "configs", "base.json"), JSON.stringify({ ...miniBase({ data: { train: "../data/records.jsonl" } }), provenance: { gitCommit: null } }));
    const g = await readGrid(await grid({ base: "configs/base.json", axes: { seed: [5] } }), dir);
    assert.equal(g.runs[0].config.data.train, join(dir, "data", "records.jsonl"));
    assert.equal(g.runs[0].config.model.seed, 5);
  });

  test("unknown keys and bad values are DataErrors naming the grid file", async () => {
    const bad = async (json: unknown, ...res: RegExp[]) => {
      const file = await grid(json);
      await rejectsData(readGrid(file, dir), file, ...res);
    };
    const base = miniBase();
    await bad({ base, axis: {} }, /unknown key in the grid: axis \(known: comment, base, outputRoot, set, axes, grids\)/);
    await bad({ base, axes: { seeds: [1] } }, /unknown key in axes: seeds/);
    await bad({ base, grids: [{ axes: { seed: [1] }, sets: {} }] }, /unknown key in grids\[0\]: sets/);
    await bad({ base, grids: [{ axes: { strategies: ["x-x"] } }] }, /unknown key in grids\[0\]\.axes: strategies/);
    await bad({ base, axes: { direction: [{ train: "mlqa-r", eval: "xquad-r", lang: "de" }] } }, /unknown key in axes\.direction\[0\]: lang/);
    await bad({ base, set: { optim: { learningRate: 1 } } }, /run \(the base\): unknown key in 'optim': learningRate/);
    await bad({ base, axes: { model: [{ layers: 2 }] } }, /run \(model \{"layers":2\}\): unknown key in 'model': layers/);
    await bad({ base, axes: { strategy: ["x-x", "z-z"] } }, /axes\.strategy\[1\]: unknown strategy "z-z" \(known: x-x, x-y, hybrid, adversarial\)/);
    await bad({ base, axes: { alpha: [0.5, 2] } }, /axes\.alpha\[1\]: alpha must be a number in \[0, 1\] or "by-size", got 2/);
    await bad({ base, axes: { seed: [1.5] } }, /axes\.seed\[0\]: a seed must be an integer ≥ 0, got 1\.5/);
    await bad({ base, axes: { seed: [] } }, /axes\.seed must be a non-empty array/);
    await bad({ base, axes: { direction: [{ train: "mlqa-r", eval: "squad" }] } }, /axes\.direction\[0\]\.eval: unknown dataset 'squad'/);
    await bad({ base, axes: { model: [{ ref: "labse" }] } }, /run \(model \{"ref":"labse"\}\): model\.mini sets the architecture of the mini preset, but model\.ref is 'labse'/);
    await bad({ base, set: { outputDir: "x" } }, /set\.outputDir: each run goes to <outputRoot>\/<its key>; set "outputRoot" instead/);
    await bad({ axes: {} }, /needs "base"/);
    await bad({ base, grids: [] }, /grids must be a non-empty array/);
    await bad([1], /the grid must be a JSON object/);
    // a base file that cannot be read is named itself
    await rejectsData(readGrid(await grid({ base: "nowhere.json" }), dir), join(dir, "nowhere.json"), /cannot read/);
  });
});
