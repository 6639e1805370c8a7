import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readGrid } from "../../src/ablate/grid.js";
import { canonicalJson, runKey, runState, runStatus } from "../../src/ablate/run-state.js";
import { runGrid } from "../../src/ablate/runner.js";
import { resolveRunConfig, runConfigToJson } from "../../src/train/config.js";
import { silentLogger } from "../../src/util/logger.js";
import { cli, miniBase, tinyBase, workspace, gridFiles } from "./helpers.js";

describe("canonicalJson", () => {
  test("every object's keys sorted, at any depth; array order kept; undefined members left out", () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: [2, "x"] }], c: "q\"uote" }, e: undefined, f: null }),
      '{"a":{"c":"q\\"uote","d":[3,{"y":[2,"x"],"z":1}]},"b":1,"f":null}',
    );
    assert.equal(canonicalJson({ y: 1, x: 2 }), canonicalJson({ x: 2, y: 1 }));
    assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
    for (const value of ["text", 3.5, true, null, [], {}]) assert.equal(canonicalJson(value), JSON.stringify(value));
  });
});

describe("runKey", () => {
  const files = gridFiles("hybrid-ir-run-key-");
  const grid = files.grid;
  let dir = "";
  before(() => {
    dir = files.dir();
  });

  test("12 hex digits of the resolved config: another file or folder, or a value given by flag instead of the file, keys alike", () => {
    const json = { data: { train: { dataset: "mlqa-r" } }, steps: 20, eval: null };
    const key = runKey(resolveRunConfig(json, "/a/first.json", {}, "/a"));
    assert.match(key, /^[0-9a-f]{12}$/);
    assert.equal(runKey(resolveRunConfig({ ...json, comment: "another" }, "/b/second.json", {}, "/b")), key);
    assert.equal(runKey(resolveRunConfig({ ...json, steps: 10 }, "/a/first.json", { steps: "20" }, "/a")), key);
    assert.notEqual(runKey(resolveRunConfig({ ...json, data: { train: { dataset: "xquad-r" } } }, "/a/first.json", {}, "/a")), key);
  });

  test("keys are stable, ignore outputDir and comment, and change with any value", async () => {
    const json = { base: miniBase(), axes: { strategy: ["x-x", "hybrid"], seed: [1, 2] } };
    const keys = async (j: unknown, cwd = dir) => (await readGrid(await grid(j), cwd)).runs.map((r) => r.key);
    const reference = await keys(json);
    assert.deepEqual(await keys(json), reference);
    assert.deepEqual(await keys({ ...json, comment: "other", outputRoot: "elsewhere", set: { comment: "a run comment" } }), reference);
    assert.deepEqual(await keys({ ...json, base: { ...miniBase(), outputDir: "x", comment: "y" } }, join(dir, "..")), reference);
    // the same config written with its keys in another order
    const shuffled = Object.fromEntries(Object.entries(miniBase()).reverse());
    assert.deepEqual(await keys({ ...json, base: shuffled }), reference);
    for (const set of [{ steps: 11 }, { optim: { lr: 0.002 } }, { eval: { maxQuestionIds: 21 } }, { model: { seed: 1, dropout: 0.1 } }, { backend: "cpu" }]) {
      const changed = await keys({ ...json, set });
      assert.ok(changed.every((k) => !reference.includes(k)), `set ${JSON.stringify(set)} changes every key`);
    }
    // one axis value changed: only the runs it touches get new keys
    const alpha = await keys({ ...json, set: { sampler: { alpha: 0.6 } } });
    assert.deepEqual([alpha[0], alpha[1]], [reference[0], reference[1]], "α means nothing to x-x");
    assert.notEqual(alpha[2], reference[2]);
  });
});

describe("runState", () => {
  const ws = workspace("hybrid-ir-run-state-");

  test("runState reads where a run stands from its directory alone", async () => {
    const dir = ws.dir();
    await ws.write("state.json", { base: tinyBase({ eval: null, steps: 10 }), outputRoot: "runs/state" });
    const [run] = (await readGrid("state.json", dir)).runs;
    const d = run.config.outputDir;
    const state = () => runState(d, run.config);
    assert.equal(await state(), "new", "no directory");
    await mkdir(join(d, "checkpoints"), { recursive: true });
    assert.equal(await state(), "new", "started, but no config.json written");
    await writeFile(join(d, "config.json"), JSON.stringify(runConfigToJson(run.config)));
    await writeFile(join(d, "metrics.jsonl"), '{"type":"train","step":5,"loss":2,"lr":0.001,"gradNorm":1,"pairsPerSec":9,"secPerStep":1,"epoch":0}\n{"type":"ev');
    assert.equal(await state(), "partial", "a line cut short by a kill is skipped");
    await writeFile(join(d, "metrics.jsonl"), '{"type":"event","step":6,"event":"early-stopped"}\n');
    assert.equal(await state(), "partial", "the stop is logged, but killed before checkpoints/last held it");
    const trainerState = {
      format: "hybrid-ir/trainer-state@2",
      step: 6,
      sampler: { sampler: run.config.sampler.name, seed: run.config.sampler.seed, epoch: 0, batch: 6 },
      bestValLoss: 2.5,
      bestStep: 2,
      badValidations: 2,
      lastValidationStep: 6,
      stop: { status: "early-stopped", step: 6, message: "no better validation loss" },
      interval: { loss: 0, gradNorm: 0, steps: 0, pairs: 0, seconds: 0 },
      optimizer: { step: 6, file: "optimizer.bin", moments: [] },
    };
    await mkdir(join(d, "checkpoints", "last"), { recursive: true });
    await writeFile(join(d, "checkpoints", "last", "trainer-state.json"), JSON.stringify(trainerState));
    assert.equal(await state(), "complete", "without an eval section, a checkpoint holding the stop finishes the run");
    assert.equal(await runState(d, { ...run.config, eval: { dataset: "xquad-r", maxQuestionIds: null, languages: null, every: "end", batchSize: 32 } }), "partial");
    await writeFile(join(d, "metrics.jsonl"), '{"type":"event","step":6,"event":"diverged","detail":"loss NaN"}\n');
    assert.equal(await state(), "diverged");
    const summary = await runGrid(await readGrid("state.json", dir), { logger: silentLogger });
    assert.deepEqual(summary.runs.map((r) => [r.outcome, r.exitCode]), [["diverged", null]], "skipped without --retry-diverged");
    assert.deepEqual(summary.rows?.map((r) => r.state), ["diverged"]);
    // Issue 15, case 6: a results.json that does not read back is not a finished run (--dry-run said "complete").
    await writeFile(join(d, "results.json"), '{"dataset": "xquad-r", "run": {"steps": 10');
    const cut = await runStatus(d, run.config);
    assert.equal(cut.state, "diverged");
    assert.match(cut.note ?? "", /results\.json: invalid JSON/);
    await writeFile(join(d, "metrics.jsonl"), "");
    await writeFile(join(d, "results.json"), "{}");
    assert.equal(await state(), "complete", "no eval section: the checkpoint says it ended");
    const withEval = { ...run.config, eval: { dataset: "xquad-r" as const, maxQuestionIds: null, languages: null, every: "end" as const, batchSize: 32 } };
    const corrupt = await runStatus(d, withEval);
    assert.equal(corrupt.state, "partial");
    assert.match(corrupt.note ?? "", /results\.json: dataset must be a non-empty string, got undefined/);
    const dry = await cli(dir, "ablate", "--grid", "state.json", "--dry-run");
    assert.match(dry.stdout, /\s+complete\*\n\* \[0\] complete: .*results\.json: dataset must be a non-empty string/);
  });
});
