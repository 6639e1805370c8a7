import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { loadSentenceEncoder, type SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { readCheckpointRunConfig, readRunConfigFile, type Provenance } from "../../src/run-files/run-config.js";
import { OPTIMIZER_STATE_NAME, readTrainerProgress, TRAINER_STATE_NAME, type TrainerProgress } from "../../src/run-files/trainer-state.js";
import { loadCheckpointModel, readOptimizerState, stableName, writeCheckpoint } from "../../src/train/checkpoint-state.js";
import { resolveRunConfig } from "../../src/train/config.js";
import { AdamW } from "../../src/train/optimizer.js";
import { train } from "../../src/train/trainer.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";
import { rejectsData } from "../model/helpers.js";
import { quiet, tinyConfig, trainingWorkspace } from "./helpers.js";

/** A 2-layer, 32-wide BERT with a dense layer and a 300-piece vocabulary (the parity fixture). */
const TINY_MODEL = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-bert", import.meta.url));

const PROVENANCE: Provenance = {
  gitCommit: null,
  gitDirty: null,
  packageVersion: "0.0.0-test",
  backend: "wasm",
  matmul: null,
  node: process.version,
  createdAt: "2026-01-01T00:00:00.000Z",
};

const PROGRESS: TrainerProgress = {
  step: 2,
  sampler: { sampler: "hybrid", seed: 3, epoch: 1, batch: 4 },
  bestValLoss: 1.25,
  bestStep: 1,
  badValidations: 1,
  lastValidationStep: 2,
  stop: null,
  interval: { loss: 3.5, gradNorm: 2, steps: 2, pairs: 16, seconds: 0.5 },
};

/** The values of a model's variables, by name without the tfjs scope. */
function valuesByStableName(model: SentenceEncoder): Map<string, Float32Array> {
  return new Map(model.variables().map((v) => [stableName(v), Float32Array.from(v.dataSync() as Float32Array)]));
}

test("stableName drops the first scope of a tfjs variable name, and only that", () => {
  assert.equal(stableName({ name: "encoder_3/embeddings.word_embeddings.weight" }), "embeddings.word_embeddings.weight");
  assert.equal(stableName({ name: "dense_12/linear.weight" }), "linear.weight");
  assert.equal(stableName({ name: "outer/inner/bias" }), "inner/bias");
  assert.equal(stableName({ name: "unscoped.weight" }), "unscoped.weight");
});

describe("a checkpoint written and read back", () => {
  let dir: string;
  let count = 0;
  /** The model trained two AdamW steps, a checkpoint of it, and a second model of the same run (other tfjs names). */
  let trained: SentenceEncoder;
  let optimizer: AdamW;
  let fresh: SentenceEncoder;
  const config = () => resolveRunConfig({ model: { ref: TINY_MODEL }, data: { train: { dataset: "mlqa-r" } }, eval: null }, join(dir, "config.json"));
  /** A new checkpoint directory of `trained`. */
  const checkpoint = async (): Promise<string> => {
    const out = join(dir, `checkpoint-${count++}`);
    await writeCheckpoint(out, trained, optimizer, PROGRESS, { config: config(), provenance: PROVENANCE });
    return out;
  };

  before(async () => {
    await initBackend("wasm");
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-checkpoint-state-"));
    trained = await loadSentenceEncoder(TINY_MODEL);
    fresh = await loadSentenceEncoder(TINY_MODEL);
    optimizer = new AdamW(trained.variables());
    const rand = mulberry32(7);
    const gradients = (skip: string | null) =>
      Object.fromEntries(
        trained.variables()
          .filter((v) => v.name !== skip)
          .map((v) => [v.name, tf.tensor(Float32Array.from({ length: v.size }, () => randomNormal(rand)), v.shape)]),
      );
    // The second step leaves the first variable out: its moments are one step behind the others'.
    for (const skip of [null, trained.variables()[0].name]) {
      const grads = gradients(skip);
      optimizer.step(grads, 1e-3);
      tf.dispose(Object.values(grads));
    }
  });
  after(async () => {
    trained.dispose();
    fresh.dispose();
    optimizer.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test("the optimiser state comes back keyed by another model's variable names, moments and step counts exact", async () => {
    const out = await checkpoint();
    const written = await optimizer.state();
    const read = await readOptimizerState(out, fresh);
    assert.equal(read.step, 2);
    const trainedNames = new Map(trained.variables().map((v) => [stableName(v), v.name]));
    assert.deepEqual(Object.keys(read.moments).sort(), fresh.variables().map((v) => v.name).sort());
    const scoped = new Set(trained.variables().map((v) => v.name));
    assert.ok(fresh.variables().every((v) => !scoped.has(v.name)), "the two models' tfjs names differ");
    for (const v of fresh.variables()) {
      const expected = written.moments[trainedNames.get(stableName(v))!];
      assert.deepEqual(read.moments[v.name], expected, stableName(v));
    }
    assert.equal(read.moments[fresh.variables()[0].name].step, 1);
    assert.equal(read.moments[fresh.variables()[1].name].step, 2);
    // What AdamW.restore takes.
    const restored = new AdamW(fresh.variables());
    restored.restore(read);
    assert.equal(restored.stepCount, 2);
    restored.dispose();
  });

  test("trainer-state.json holds the progress and lists every variable's moments by its name without scope", async () => {
    const out = await checkpoint();
    assert.deepEqual(await readTrainerProgress(out), PROGRESS);
    const file = JSON.parse(await readFile(join(out, TRAINER_STATE_NAME), "utf8")) as { optimizer: { moments: { name: string; size: number }[] } };
    const names = file.optimizer.moments.map((m) => m.name);
    assert.deepEqual([...names].sort(), [...valuesByStableName(trained).keys()].sort());
    assert.ok(names.includes("linear.weight"), "the dense layer's variables are listed too");
    const size = (await readFile(join(out, OPTIMIZER_STATE_NAME))).byteLength;
    assert.equal(size, file.optimizer.moments.reduce((n, m) => n + 8 * m.size, 0), "m then v, float32, per variable");
  });

  test("loadCheckpointModel gives the checkpoint's weights in the template's configuration, leaving the template as it was", async () => {
    const out = await checkpoint();
    const before = valuesByStableName(fresh);
    const loaded = await loadCheckpointModel(out, fresh);
    try {
      assert.deepEqual(valuesByStableName(loaded), valuesByStableName(trained));
      assert.notDeepEqual(valuesByStableName(loaded), before, "two AdamW steps changed the weights");
      assert.deepEqual(valuesByStableName(fresh), before);
      assert.equal(loaded.tokenizerJson, fresh.tokenizerJson);
      const inputs = [{ text: "Wo liegt Berlin?" }, { text: "Berlin is the capital.", context: "Germany's capital is Berlin." }];
      const [a, b] = [trained.forward(trained.encodeInputs(inputs)), loaded.forward(loaded.encodeInputs(inputs))];
      assert.deepEqual(await b.array(), await a.array(), "the same embeddings");
      tf.dispose([a, b]);
    } finally {
      loaded.dispose();
    }
  });

  test("an optimizer.bin cut short is a DataError naming it and both sizes", async () => {
    const out = await checkpoint();
    const path = join(out, OPTIMIZER_STATE_NAME);
    const size = (await readFile(path)).byteLength;
    await truncate(path, size - 4);
    await rejectsData(readOptimizerState(out, fresh), path, new RegExp(`holds ${size - 4} bytes, trainer-state\\.json lists ${size} \\(truncated or from another run\\?\\)`));
  });

  test("a checkpoint written before the optimiser's first step reads back with no moments, so such a run resumes", async () => {
    const out = join(dir, `checkpoint-${count++}`);
    await writeCheckpoint(out, trained, new AdamW(trained.variables()), { ...PROGRESS, step: 0, bestValLoss: null, bestStep: 0, badValidations: 0, lastValidationStep: 0, interval: { loss: 0, gradNorm: 0, steps: 0, pairs: 0, seconds: 0 } }, { config: config(), provenance: PROVENANCE });
    assert.deepEqual(await readOptimizerState(out, fresh), { step: 0, moments: {} });
  });

  test("moments for a variable the model lacks, or none for one it has, are DataErrors naming trainer-state.json", async () => {
    const out = await checkpoint();
    const statePath = join(out, TRAINER_STATE_NAME);
    const original = JSON.parse(await readFile(statePath, "utf8")) as { optimizer: { moments: { name: string; step: number; size: number }[] } };
    const withMoments = async (moments: typeof original.optimizer.moments, bytes: number) => {
      await writeFile(statePath, JSON.stringify({ ...original, optimizer: { ...original.optimizer, moments } }));
      await truncate(join(out, OPTIMIZER_STATE_NAME), bytes);
    };
    const total = original.optimizer.moments.reduce((n, m) => n + 8 * m.size, 0);
    // An extra entry of no values keeps the file's size right: only the name is wrong.
    await withMoments([...original.optimizer.moments, { name: "pooler.dense.weight", step: 2, size: 0 }], total);
    await rejectsData(readOptimizerState(out, fresh), statePath, /moments for 'pooler\.dense\.weight', which the model does not have/);
    // The last variable left out, file and list alike.
    const last = original.optimizer.moments.at(-1)!;
    await withMoments(original.optimizer.moments.slice(0, -1), total - 8 * last.size);
    await rejectsData(readOptimizerState(out, fresh), statePath, new RegExp(`no moments for ${last.name.replaceAll(".", "\\.")}$`));
  });
});

describe("a checkpoint made by a run", () => {
  const workspace = trainingWorkspace("hybrid-ir-checkpoint-run-");
  let dir: string;
  before(() => {
    dir = workspace();
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
});
