import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { readTrainerProgress } from "../../src/run-files/trainer-state.js";
import type { MetricsLine } from "../../src/run-files/metrics.js";
import type { RunResults } from "../../src/run-files/results.js";
import { RunDir } from "../../src/train/run-dir.js";
import { train, type StepInfo } from "../../src/train/trainer.js";
import { DataError } from "../../src/util/errors.js";
import { recordingLogger } from "../../src/util/logger.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { maxAbsDifference, quiet, tinyConfig, trainingWorkspace, weightsOf } from "./helpers.js";

const TINY_XLMR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");

/**
 * The loop of training-loop.ts, driven through train(): validation, logging and checkpoints on
 * their intervals, and each way a run ends (completed, interrupted and resumed, diverged, early
 * stopped, evaluated at the end).
 */
describe("the training loop", () => {
  const workspace = trainingWorkspace("hybrid-ir-training-loop-");
  let dir: string;
  before(() => {
    dir = workspace();
  });

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

  test("model.trainLayers: only the top layer trains; the frozen outputs are cached once for all runs; a resumed run ends on the same weights", async () => {
    process.env.HYBRID_IR_CACHE = join(dir, "cache");
    try {
      const frozen = (outputDir: string, overrides: Record<string, unknown> = {}) =>
        tinyConfig(dir, {
          model: { ref: "mini", seed: 1, mini: { layers: 2, hidden: 64, heads: 2, intermediate: 128 }, trainLayers: 1 },
          steps: 8,
          checkpointEvery: 4,
          validateEvery: 4,
          outputDir,
          ...overrides,
        });
      const logged = (logger: ReturnType<typeof recordingLogger>) => logger.records.map((r) => r.message);
      const firstLog = recordingLogger("info");
      const first = await train(frozen("frozen-a"), { ...quiet, logger: firstLog });
      assert.equal(first.status, "completed");
      assert.ok(logged(firstLog).some((m) => /^frozen: computed \d+ new training and validation texts/.test(m)), logged(firstLog).join("\n"));
      assert.ok(logged(firstLog).some((m) => /M parameters, 0\.\d+M of them trained/.test(m)));

      // Another sampler seed: other batches, the same frozen part, read from the cache.
      const otherLog = recordingLogger("info");
      const other = await train(frozen("frozen-b", { sampler: { name: "hybrid", batchSize: 8, seed: 9 } }), { ...quiet, logger: otherLog });
      assert.equal(other.status, "completed");
      assert.ok(!logged(otherLog).some((m) => /computed/.test(m)), "the second run computes nothing of the frozen part");
      const a = await weightsOf(first.outputDir);
      const b = await weightsOf(other.outputDir);
      for (const [name, values] of a) {
        const moved = maxAbsDifference(new Map([[name, values]]), new Map([[name, b.get(name)!]]));
        // The key bias adds the same score to every key of a query: softmax ignores it, its gradient is 0.
        if (!name.startsWith("encoder.layer.1.")) assert.equal(moved, 0, `${name} is frozen but changed`);
        else if (!name.endsWith("key.bias")) assert.ok(moved > 1e-4, `${name} trained alike in both runs`);
      }

      const cut = frozen("frozen-cut");
      const controller = new AbortController();
      const stopped = await train(cut, { ...quiet, signal: controller.signal, onStep: ({ step }) => step === 3 && controller.abort() });
      assert.equal(stopped.status, "interrupted");
      assert.equal((await train(cut, { ...quiet, resume: true })).status, "completed");
      assert.equal(maxAbsDifference(a, await weightsOf(cut.outputDir)), 0);

      const tooDeep = frozen("frozen-deep", { model: { ref: "mini", mini: { layers: 2, hidden: 64, heads: 2, intermediate: 128 }, trainLayers: 3 } });
      await assert.rejects(train(tooDeep, quiet), (err: unknown) => err instanceof DataError && /model\.trainLayers: 3 is not a whole number from 1 to the model's 2 layers/.test(err.message));
    } finally {
      delete process.env.HYBRID_IR_CACHE;
    }
  });

  test("a word-embedding table cut to the run's texts trains to the whole table's weights, bit for bit, resumed too", async () => {
    // The tiny-xlmr parity model: a Python-made checkpoint whose 461-piece vocabulary the texts only partly use.
    const run = (outputDir: string) =>
      tinyConfig(dir, {
        model: { ref: TINY_XLMR, seed: 1, dropout: 0.1 },
        maxQueryLength: 16,
        maxPassageLength: 32,
        steps: 8,
        checkpointEvery: 4,
        validateEvery: 4,
        eval: { dataset: "xquad-r", languages: ["de", "en"], maxQuestionIds: 20, batchSize: 16 },
        outputDir,
      });
    const log = recordingLogger("info");
    const cut = await train(run("vocab-cut"), { ...quiet, logger: log, vocabularyCut: "always" });
    const line = log.records.map((r) => r.message).find((m) => m.startsWith("vocabulary: "));
    const rows = Number(/^vocabulary: training the (\d+) of 461 word-embedding rows/.exec(line ?? "")?.[1]);
    assert.ok(rows > 50 && rows < 461, `cut to ${rows} rows: ${line}`);
    const whole = await train(run("vocab-whole"), { ...quiet, vocabularyCut: "never" });
    assert.equal(cut.status, "completed");
    assert.equal(whole.status, "completed");
    for (const checkpoint of ["best", "last"]) {
      assert.equal(maxAbsDifference(await weightsOf(cut.outputDir, checkpoint), await weightsOf(whole.outputDir, checkpoint)), 0, `checkpoints/${checkpoint}`);
    }
    assert.deepEqual(cut.evaluation?.mono, whole.evaluation?.mono);

    // The rows no text uses changed by weight decay alone: each value times (1 − lr·wd) per step, rounded to float32.
    const table = "embeddings.word_embeddings.weight";
    const initial = (await readSafetensors(join(TINY_XLMR, "model.safetensors"))).tensors.get(table)!.data;
    const trained = (await weightsOf(cut.outputDir)).get(table)!;
    const hidden = 32;
    const changedRows = new Set<number>();
    for (let i = 0; i < initial.length; i++) if (initial[i] !== trained[i]) changedRows.add(Math.floor(i / hidden));
    assert.equal(changedRows.size, 461, "every row moves: the used ones by Adam, the others by decay");

    const interrupted = run("vocab-cut-resumed");
    const controller = new AbortController();
    const stopped = await train(interrupted, { ...quiet, vocabularyCut: "always", signal: controller.signal, onStep: ({ step }) => step === 5 && controller.abort() });
    assert.equal(stopped.status, "interrupted");
    assert.equal((await train(interrupted, { ...quiet, vocabularyCut: "always", resume: true })).status, "completed");
    assert.equal(maxAbsDifference(await weightsOf(cut.outputDir), await weightsOf(interrupted.outputDir)), 0);
    // By default a table this small (461 × 32) is not worth cutting.
    const autoLog = recordingLogger("info");
    await train(run("vocab-auto"), { ...quiet, logger: autoLog });
    assert.ok(!autoLog.records.some((r) => r.message.startsWith("vocabulary: ")));
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
});
