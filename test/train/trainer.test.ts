import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { DataError } from "../../src/util/errors.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { readTrainerProgress } from "../../src/run-files/trainer-state.js";
import { readCheckpointRunConfig, readRunConfigFile } from "../../src/run-files/run-config.js";
import { resolveRunConfig, type RunConfig } from "../../src/train/config.js";
import type { MetricsLine } from "../../src/run-files/metrics.js";
import { openRunDir, RunDir } from "../../src/train/run-dir.js";
import type { RunResults } from "../../src/run-files/results.js";
import { train, type StepInfo } from "../../src/train/trainer.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { silentLogger } from "../../src/util/logger.js";

/**
 * A run small enough for a unit test: `mini` cut to one 64-wide layer, two MLQA-R languages of
 * 80 question ids (160 records, ~60 groups to train on after the validation split), batches of 8.
 * So little data is memorised within an epoch or two; at lr 1e-3 the validation loss still falls
 * steadily over the first 30 steps.
 */
function tinyConfig(dir: string, overrides: Record<string, unknown> = {}): RunConfig {
  return resolveRunConfig(
    {
      model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 64, heads: 2, intermediate: 128 } },
      data: { train: "train.jsonl", validationFraction: 0.25 },
      sampler: { name: "hybrid", batchSize: 8, seed: 3 },
      optim: { lr: 1e-3, warmupSteps: 2 },
      steps: 30,
      logEvery: 5,
      validateEvery: 10,
      checkpointEvery: 10,
      validationBatches: 4,
      eval: null,
      backend: "wasm",
      outputDir: "run",
      ...overrides,
    },
    join(dir, "config.json"),
    {},
    dir,
  );
}

const quiet = { logger: silentLogger, progress: false };

async function weightsOf(runDir: string, checkpoint = "last"): Promise<Map<string, Float32Array>> {
  const { tensors } = await readSafetensors(join(runDir, "checkpoints", checkpoint, "model.safetensors"));
  return new Map([...tensors].map(([name, t]) => [name, t.data]));
}

function maxAbsDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let max = 0;
  for (const [name, x] of a) {
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  }
  return max;
}

describe("train", () => {
  let dir: string;
  before(async () => {
    await initBackend("wasm");
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-train-"));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("a short run lowers the validation loss, keeps memory flat and fills its run directory", async () => {
    const config = tinyConfig(dir, { outputDir: "short" });
    const before = tf.memory().numTensors;
    const tensors: number[] = [];
    const result = await train(config, { ...quiet, onStep: (info: StepInfo) => tensors.push(info.numTensors) });
    assert.equal(result.status, "completed");
    assert.equal(result.step, 30);
    assert.equal(tf.memory().numTensors, before, "train() leaves no tensor behind");
    assert.equal(tensors.length, 30);
    assert.ok(tensors.every((n) => n === tensors[0]), `live tensors vary across steps: ${[...new Set(tensors)].join(", ")}`);

    const run = new RunDir(config.outputDir);
    const metrics = await run.readMetrics();
    const val = metrics.filter((l): l is Extract<MetricsLine, { type: "val" }> => l.type === "val");
    assert.deepEqual(val.map((l) => l.step), [0, 10, 20, 30]);
    assert.ok(val[3].valLoss < val[0].valLoss - 0.08, `validation loss ${val[0].valLoss} → ${val[3].valLoss}`);
    assert.equal(result.bestValLoss, Math.min(...val.map((l) => l.valLoss)));
    const trainLines = metrics.filter((l) => l.type === "train");
    assert.deepEqual(trainLines.map((l) => l.step), [5, 10, 15, 20, 25, 30]);
    for (const l of trainLines) {
      assert.ok(l.type === "train" && Number.isFinite(l.loss) && l.pairsPerSec > 0 && l.gradNorm > 0 && l.lr >= 0);
    }

    const saved = JSON.parse(await readFile(run.configPath, "utf8"));
    assert.equal(saved.steps, 30);
    assert.ok("gitCommit" in saved.provenance && saved.provenance.backend === "wasm" && saved.provenance.packageVersion);
    assert.deepEqual((await readdir(join(config.outputDir, "checkpoints"))).sort(), ["best", "last"], "no temporary checkpoint left");
    const last = await readTrainerProgress(run.checkpointPath("last"));
    assert.equal(last.step, 30);
    assert.deepEqual([last.sampler.sampler, last.sampler.seed], ["hybrid", 3]);
    assert.equal((await readTrainerProgress(run.checkpointPath("best"))).step, result.bestStep);
  });

  test("an interrupted run, resumed, ends with the weights of an uninterrupted one", async () => {
    const steps = { steps: 14, checkpointEvery: 4, validateEvery: 4, logEvery: 2 };
    const whole = tinyConfig(dir, { ...steps, outputDir: "whole" });
    assert.equal((await train(whole, quiet)).status, "completed");

    // Ctrl-C (an abort) after step 6: the step finishes, checkpoints/last is saved at step 6.
    const cut = tinyConfig(dir, { ...steps, outputDir: "cut" });
    const controller = new AbortController();
    const stopped = await train(cut, { ...quiet, signal: controller.signal, onStep: ({ step }) => step === 6 && controller.abort() });
    assert.equal(stopped.status, "interrupted");
    assert.equal(stopped.step, 6);
    assert.equal((await readTrainerProgress(join(cut.outputDir, "checkpoints", "last"))).step, 6);
    const resumed = await train(cut, { ...quiet, resume: true });
    assert.equal(resumed.status, "completed");
    assert.equal(resumed.step, 14);
    assert.ok(maxAbsDifference(await weightsOf(whole.outputDir), await weightsOf(cut.outputDir)) <= 1e-6);
    assert.equal(resumed.bestValLoss, (await readTrainerProgress(join(whole.outputDir, "checkpoints", "last"))).bestValLoss);

    // A crash after step 7 (an exception, no chance to save) loses steps 5-7: the run resumes from
    // step 4, drops the metrics logged after it, and still ends on the same weights.
    const crash = tinyConfig(dir, { ...steps, outputDir: "crash" });
    await assert.rejects(
      train(crash, {
        ...quiet,
        onStep: ({ step }) => {
          if (step === 7) throw new Error("simulated crash");
        },
      }),
      /simulated crash/,
    );
    const crashed = new RunDir(crash.outputDir);
    assert.ok((await crashed.readMetrics()).some((l) => l.step === 6));
    const again = await train(crash, { ...quiet, resume: true });
    assert.equal(again.status, "completed");
    assert.ok(maxAbsDifference(await weightsOf(whole.outputDir), await weightsOf(crash.outputDir)) <= 1e-6);
    const lines = (await crashed.readMetrics()).filter((l) => l.type === "val");
    const wholeLines = (await new RunDir(whole.outputDir).readMetrics()).filter((l) => l.type === "val");
    assert.deepEqual(lines, wholeLines, "validation lines neither repeated nor changed by the crash");
  });

  test("a NaN loss stops the run and keeps the last good checkpoint", async () => {
    const config = tinyConfig(dir, { steps: 20, checkpointEvery: 4, validateEvery: 0, outputDir: "nan" });
    // After step 5 a weight turns NaN, as after an overflowing update: step 6's loss is NaN.
    const result = await train(config, {
      ...quiet,
      onStep: ({ step, model }) => {
        if (step !== 5) return;
        const v = model.variables().find((x) => x.name.endsWith("embeddings.LayerNorm.weight"))!;
        v.assign(tf.fill(v.shape, NaN));
      },
    });
    assert.equal(result.status, "diverged");
    assert.equal(result.step, 5);
    assert.match(result.message, /step 6: loss NaN/);
    assert.match(result.message, /checkpoints\/last \(step 4\)/);
    const last = await weightsOf(config.outputDir);
    assert.ok([...last.values()].every((w) => w.every(Number.isFinite)), "the kept checkpoint has finite weights");
    assert.equal((await readTrainerProgress(join(config.outputDir, "checkpoints", "last"))).step, 4);
    const events = (await new RunDir(config.outputDir).readMetrics()).filter((l) => l.type === "event");
    assert.deepEqual(events.map((l) => l.type === "event" && l.event), ["diverged"]);
  });

  test("early stopping ends the run after `patience` validations without a new best", async () => {
    // A learning rate far below float32's resolution leaves the weights as they are.
    const config = tinyConfig(dir, { steps: 20, validateEvery: 2, earlyStopping: { patience: 2 }, optim: { lr: 1e-30, warmupSteps: 0 }, outputDir: "patience" });
    const result = await train(config, quiet);
    assert.equal(result.status, "early-stopped");
    assert.equal(result.step, 4);
    assert.equal(result.bestStep, 0);
  });

  test("an early-stopped run killed before its end resumes into the end, not past the stop", async () => {
    // Issue 15, case 1. Validation every 2 steps with patience 1 on a memorised tiny set: the run
    // stops early well before its 60 steps, once the validation loss turns up.
    const base = { steps: 60, validateEvery: 2, checkpointEvery: 50, logEvery: 3, earlyStopping: { patience: 1 }, optim: { lr: 3e-3, warmupSteps: 0 } };
    const whole = tinyConfig(dir, { ...base, outputDir: "stop-whole" });
    const uninterrupted = await train(whole, quiet);
    assert.equal(uninterrupted.status, "early-stopped");
    assert.ok(uninterrupted.step < 60, `stopped at ${uninterrupted.step}`);
    // The same run dies right after deciding to stop (before the end: last validation, evaluation).
    const cut = tinyConfig(dir, { ...base, outputDir: "stop-cut" });
    await assert.rejects(
      train(cut, {
        ...quiet,
        onStep: ({ step }) => {
          if (step === uninterrupted.step) throw new Error("killed during the final evaluation");
        },
      }),
      /killed/,
    );
    const saved = await readTrainerProgress(join(cut.outputDir, "checkpoints", "last"));
    assert.deepEqual(saved.stop, { status: "early-stopped", step: uninterrupted.step, message: uninterrupted.message });
    const resumed = await train(cut, { ...quiet, resume: true });
    assert.equal(resumed.status, "early-stopped");
    assert.equal(resumed.step, uninterrupted.step);
    assert.equal(resumed.bestStep, uninterrupted.bestStep);
    assert.equal(resumed.message, uninterrupted.message);
    assert.equal(maxAbsDifference(await weightsOf(whole.outputDir), await weightsOf(cut.outputDir)), 0);
    assert.equal(maxAbsDifference(await weightsOf(whole.outputDir, "best"), await weightsOf(cut.outputDir, "best")), 0);
    // The log interval was saved too: the same train lines (timings aside), and no step past the stop.
    const trainLines = async (d: string) =>
      (await new RunDir(d).readMetrics()).flatMap((l) => (l.type === "train" ? [[l.step, l.loss, l.gradNorm, l.lr]] : []));
    assert.deepEqual(await trainLines(cut.outputDir), await trainLines(whole.outputDir));
    assert.ok((await new RunDir(cut.outputDir).readMetrics()).every((l) => l.step <= uninterrupted.step));
  });

  test("a failed start leaves no run directory behind, so the same command works once fixed", async () => {
    // Issue 15, case 3: each of these used to leave a half-made directory ("is not empty: pass --resume").
    const corrupt = join(dir, "corrupt.jsonl");
    await writeFile(corrupt, (await readFile(join(dir, "train.jsonl"), "utf8")).replace(/\n.*$/s, "\nnull\n"));
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["batch", { sampler: { name: "hybrid", batchSize: 4000, seed: 3 } }, /sampler.*batch/i],
      ["model", { model: { ref: join(dir, "no-such-model") } }, /no-such-model/],
      ["missing", { data: { train: "no-such.jsonl", validationFraction: 0.25 } }, /no-such\.jsonl/],
      ["corrupt", { data: { train: "corrupt.jsonl", validationFraction: 0.25 } }, /corrupt\.jsonl: line 2: expected a JSON object/],
    ];
    for (const [name, overrides, message] of cases) {
      const config = tinyConfig(dir, { ...overrides, outputDir: `failed-${name}` });
      await assert.rejects(train(config, quiet), (err: unknown) => err instanceof DataError && message.test(err.message), name);
      await assert.rejects(readdir(config.outputDir), { code: "ENOENT" }, `${name}: no directory left`);
    }
    // An empty directory made by the user stays, empty.
    const mine = join(dir, "failed-mine");
    await mkdir(mine);
    await assert.rejects(train(tinyConfig(dir, { ...cases[0][1], outputDir: "failed-mine" }), quiet), DataError);
    assert.deepEqual(await readdir(mine), []);
  });

  test("a run holds its directory's lock while it trains: another opener is refused", async () => {
    // Issue 15, case 2 in one process (a notebook); test/cli/train.test.ts has two processes.
    const config = tinyConfig(dir, { steps: 30, validateEvery: 0, checkpointEvery: 2, outputDir: "locked" });
    let second: Promise<unknown> | null = null;
    let owner: { pid: number } | null = null;
    const first = await train(config, {
      ...quiet,
      onStep: ({ step }) => {
        if (step !== 2) return;
        owner = JSON.parse(readFileSync(join(config.outputDir, "run.lock"), "utf8")) as { pid: number };
        second = openRunDir(config.outputDir, { resume: true });
        second.catch(() => undefined); // asserted below
      },
    });
    assert.equal(first.status, "completed");
    assert.equal(owner!.pid, process.pid);
    assert.ok(second !== null);
    await assert.rejects(second, (err: unknown) => err instanceof DataError && /is in use by PID \d+ on .* \(this process/.test(err.message));
    assert.deepEqual((await readdir(config.outputDir)).sort(), ["checkpoints", "config.json", "metrics.jsonl"], "the lock is gone with the run");
  });

  test("evaluates the benchmark with the best checkpoint into results.json", async () => {
    const config = tinyConfig(dir, {
      steps: 10,
      outputDir: "evaluated",
      eval: { dataset: "xquad-r", languages: ["de", "en"], maxQuestionIds: 40 },
    });
    const result = await train(config, quiet);
    const results = JSON.parse(await readFile(join(config.outputDir, "results.json"), "utf8")) as RunResults;
    assert.equal(results.dataset, "xquad-r");
    assert.equal(results.run.checkpoint, "best");
    assert.equal(results.run.checkpointStep, result.bestStep);
    assert.deepEqual(results.languages, ["de", "en"]);
    assert.equal(results.mono.perLanguage.length, 2);
    assert.ok(results.mono.mean.map! > 0 && results.mono.mean.map! <= 1);
    assert.ok(results.languageBias.mean !== null);
    assert.deepEqual(result.evaluation, results);
    assert.equal("perQuery" in results, false, "per-query values live in their own file");
    // per-query.json holds the same evaluation, query by query: its means give results.json's.
    const perQuery = await new RunDir(config.outputDir).readPerQuery();
    assert.ok(perQuery !== null);
    assert.equal(perQuery.monoAP.length, results.numQueries);
    for (const [i, lang] of results.languages.entries()) {
      const aps = perQuery.monoAP.filter((ap, q) => perQuery.lang[q] === lang && ap !== null) as number[];
      const mean = aps.reduce((s, x) => s + x, 0) / aps.length;
      assert.ok(Math.abs(mean - results.mono.perLanguage[i].map!) < 1e-9, `mono ${lang}`);
    }
    assert.equal(perQuery.poolRank[0].length, 2);
  });

  test("refuses a non-empty output directory unless resuming or overwriting a run", async () => {
    const busy = join(dir, "busy");
    await mkdir(busy);
    await writeFile(join(busy, "notes.txt"), "mine");
    const config = tinyConfig(dir, { outputDir: "busy" });
    await assert.rejects(train(config, quiet), (err: unknown) => err instanceof DataError && /is not empty: pass --resume/.test(err.message));
    await assert.rejects(openRunDir(busy, { overwrite: true }), /deletes only a run's files.*notes\.txt/);
    await assert.rejects(openRunDir(busy, { resume: true }), /holds no run to resume/);
    assert.equal(await readFile(join(busy, "notes.txt"), "utf8"), "mine");
    // A previous run's directory is emptied by --overwrite.
    const previous = join(dir, "short");
    await (await openRunDir(previous, { overwrite: true })).close();
    assert.deepEqual(await readdir(previous), ["checkpoints"]);
  });

  test("a checkpoint carries its run's resolved config: a copy elsewhere still describes itself", async () => {
    const config = tinyConfig(dir, { steps: 2, logEvery: 1, validateEvery: 0, checkpointEvery: 1, outputDir: "described" });
    await train(config, quiet);
    const copy = join(dir, "elsewhere", "copied-checkpoint");
    await cp(join(config.outputDir, "checkpoints", "last"), copy, { recursive: true });
    await rm(config.outputDir, { recursive: true, force: true });
    assert.deepEqual(await readCheckpointRunConfig(copy), config);
    const { provenance } = await readRunConfigFile(join(copy, "run-config.json"));
    assert.equal(provenance?.backend, "wasm");
  });

  test("a crash while replacing a checkpoint leaves a whole one, which reopening puts back", async () => {
    const runDir = join(dir, "atomic");
    const run = await openRunDir(runDir);
    const write = (tag: string) => async (d: string) => {
      await writeFile(join(d, "weights"), tag);
      await writeFile(join(d, "trainer-state.json"), "{}");
    };
    await run.saveCheckpoint("last", write("one"));
    await run.saveCheckpoint("last", write("two"));
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    // A writer that fails leaves the old checkpoint in place.
    await assert.rejects(run.saveCheckpoint("last", async () => { throw new Error("disk full"); }), /disk full/);
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    // The state between "rename the old one away" and "rename the new one in".
    const { rename } = await import("node:fs/promises");
    await rename(join(runDir, "checkpoints", "last"), join(runDir, "checkpoints", ".old-last"));
    await writeFile(join(runDir, "config.json"), "{}");
    await run.close();
    await (await openRunDir(runDir, { resume: true })).close();
    assert.equal(await readFile(join(runDir, "checkpoints", "last", "weights"), "utf8"), "two");
    assert.deepEqual((await readdir(join(runDir, "checkpoints"))).sort(), ["last"]);
  });
});
