import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { packageRoot } from "../src/paths.js";
import { PRESETS, presetFromEnv, presetUntrained, readPresetGrid } from "../src/presets.js";

test("every preset's grid expands, with the runs its notebooks need", async () => {
  for (const preset of Object.values(PRESETS)) {
    const grid = await readPresetGrid(preset);
    assert.equal(grid.outputRoot, join(packageRoot(), "runs/grids", preset.name), "runs live under the package root, wherever the caller runs");
    const labels = grid.runs.map((r) => r.labels);
    const strategies = new Set(labels.map((l) => l.strategy));
    // The pretrained grid is the paper's comparison alone (#12): no adversarial baseline.
    const expected = preset.name === "pretrained" ? ["hybrid", "x-x", "x-y"] : ["adversarial", "hybrid", "x-x", "x-y"];
    assert.deepEqual([...strategies].sort(), expected, `${preset.name}: Table 1 needs the three strategies (and the adversarial baseline)`);
    const directions = new Set(labels.map((l) => `${l.train}→${l.eval}`));
    assert.deepEqual([...directions].sort(), ["mlqa-r→xquad-r", "xquad-r→mlqa-r"], `${preset.name}: both halves of Table 1`);
    const alphas = new Set(labels.filter((l) => l.strategy === "hybrid").map((l) => l.alpha));
    assert.deepEqual([...alphas].sort(), [0.25, 0.5, 0.75], `${preset.name}: the α sweep`);
    const seeds = new Set(labels.map((l) => l.seed));
    assert.ok(seeds.size >= 2, `${preset.name}: several seeds for mean and spread`);
    for (const run of grid.runs) assert.ok(run.config.eval !== null && run.config.eval.maxQuestionIds === null, `${preset.name}: full-protocol evaluation`);
  }
  const small = await readPresetGrid(PRESETS.small);
  assert.equal(small.runs.length, 12);
  // The adversarial runs differ from part 1's x-y runs in the discriminator alone.
  const adversarial = small.runs.filter((r) => r.labels.strategy === "adversarial");
  assert.deepEqual(adversarial.map((r) => [r.config.sampler.name, r.labels.seed, r.labels.train]), [["x-y", 1, "mlqa-r"]]);
  assert.ok(small.runs.every((r) => r.config.backend === "wasm" && r.config.model.ref === "mini"));

  // e5-small: three strategies × three seeds one way, one seed the other way, the α sweep on seed 1.
  const pretrained = await readPresetGrid(PRESETS.pretrained);
  const count = (pick: (l: (typeof pretrained.runs)[number]["labels"]) => boolean) => pretrained.runs.filter((r) => pick(r.labels)).length;
  assert.equal(pretrained.runs.length, 14);
  assert.equal(count((l) => l.train === "mlqa-r" && l.alpha !== 0.25 && l.alpha !== 0.75), 9);
  assert.equal(count((l) => l.train === "xquad-r"), 3);
  assert.ok(pretrained.runs.every((r) => r.config.model.ref === "e5-small" && r.config.model.trainLayers === 2 && r.config.sampler.batchSize === 32));
});

test("HYBRID_IR_PRESET picks the preset; unknown names are refused", () => {
  assert.equal(presetFromEnv({}).name, "small");
  assert.equal(presetFromEnv({ HYBRID_IR_PRESET: "paper" }).grid, "configs/grids/paper.json");
  assert.throws(() => presetFromEnv({ HYBRID_IR_PRESET: "huge" }), /unknown preset.*small, full, pretrained, paper/);
});

test("the pretrained preset names e5-small's untrained evaluation for Table 1; the others none", async () => {
  const ref = await presetUntrained(PRESETS.pretrained);
  assert.ok(ref !== null && ref.results["xquad-r"] !== undefined && ref.results["mlqa-r"] !== undefined);
  assert.match(ref.model, /multilingual-e5-small/);
  for (const name of ["small", "full", "paper"] as const) assert.equal(await presetUntrained(PRESETS[name]), null);
});
