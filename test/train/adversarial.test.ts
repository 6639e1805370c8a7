import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { readGrid } from "../../src/ablate/grid.js";
import { aggregateRuns, labelsOf } from "../../src/ablate/aggregate.js";
import type { AlignmentResult } from "../../src/eval/alignment.js";
import { initBackend } from "../../src/compute/backend.js";
import { DataError } from "../../src/util/errors.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import type { Batch } from "../../src/sampling/types.js";
import { ADVERSARY_STATE_NAME, lambdaAt, LanguageAdversary, reverseGradient } from "../../src/train/adversarial.js";
import { DEFAULT_ADVERSARIAL, DEFAULT_RUN_CONFIG, resolveRunConfig, runConfigToJson, type RunConfig } from "../../src/train/config.js";
import { ALIGNMENT_NAME } from "../../src/run-files/alignment.js";
import { RunDir } from "../../src/train/run-dir.js";
import type { RunResults } from "../../src/run-files/results.js";
import { train } from "../../src/train/trainer.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";
import { silentLogger } from "../../src/util/logger.js";

/** Central differences of a scalar function of a flat float array, in float64 around float32 evaluations. */
function finiteDifferences(f: (x: Float32Array) => number, x: Float32Array, h = 1e-2): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const plus = x.slice();
    const minus = x.slice();
    plus[i] += h;
    minus[i] -= h;
    grad[i] = (f(plus) - f(minus)) / (2 * h);
  }
  return grad;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, what);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * Math.max(scale, 1e-3), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

describe("gradient reversal", () => {
  before(async () => {
    await initBackend("wasm");
  });

  test("forward is the identity; backward is −λ times the finite-difference gradient of what follows", () => {
    const rand = mulberry32(1);
    const x = Float32Array.from({ length: 12 }, () => randomNormal(rand));
    const c = tf.tensor2d(Float32Array.from({ length: 12 }, () => randomNormal(rand)), [3, 4]);
    // A nonlinear scalar function after the layer.
    const after = (t: tf.Tensor) => tf.sum(tf.sin(t.mul(c)).add(t.square().mul(0.3)));
    const lambda = 0.7;
    const value = tf.tidy(() => reverseGradient(tf.tensor2d(x, [3, 4]), lambda).dataSync());
    assert.deepEqual([...value], [...x]);
    const analytic = tf.tidy(() => tf.grad((t: tf.Tensor) => after(reverseGradient(t, lambda)))(tf.tensor2d(x, [3, 4])).dataSync());
    const numeric = finiteDifferences((v) => tf.tidy(() => after(tf.tensor2d(v, [3, 4])).dataSync()[0]), x);
    assertClose(analytic, numeric.map((g) => -lambda * g), 2e-3, "dx");
    c.dispose();
  });

  test("the discriminator: embeddings get −λ · ∂CE/∂x, its own weights +∂CE/∂W (finite differences)", () => {
    const rand = mulberry32(2);
    const dim = 6;
    const adversary = new LanguageAdversary({ ...DEFAULT_ADVERSARIAL, hidden: 5 }, ["de", "en", "es"], dim, 3);
    const emb = Float32Array.from({ length: 4 * dim }, () => randomNormal(rand));
    const labels = Int32Array.from([0, 2, 1, 2]);
    const lambda = 0.25;
    const ce = (x: tf.Tensor2D, l: number) => adversary.loss(adversary.logits(x, l), labels);
    const dx = tf.tidy(() => tf.grad((x: tf.Tensor) => ce(x as tf.Tensor2D, lambda))(tf.tensor2d(emb, [4, dim])).dataSync());
    const numeric = finiteDifferences((v) => tf.tidy(() => ce(tf.tensor2d(v, [4, dim]), 0).dataSync()[0]), emb);
    assertClose(dx, numeric.map((g) => -lambda * g), 2e-3, "dCE/dx through the reversal");

    const [, , w2] = adversary.variables();
    const { grads } = tf.variableGrads(() => ce(tf.tensor2d(emb, [4, dim]), lambda), [w2]);
    const analytic = grads[w2.name].dataSync();
    const original = (w2.dataSync() as Float32Array).slice();
    const numericW = finiteDifferences((v) => {
      w2.assign(tf.tensor(v, w2.shape));
      return tf.tidy(() => ce(tf.tensor2d(emb, [4, dim]), lambda).dataSync()[0]);
    }, original);
    w2.assign(tf.tensor(original, w2.shape));
    assertClose(analytic, numericW, 2e-3, "dCE/dW2 (not reversed)");
    tf.dispose(grads);
    adversary.dispose();
  });

  test("λ rises linearly over the warm-up, then stays", () => {
    const o = { lambda: 0.2, warmupSteps: 4 };
    assert.deepEqual([0, 1, 2, 4, 9].map((s) => lambdaAt(s, o)), [0, 0.05, 0.1, 0.2, 0.2]);
    assert.equal(lambdaAt(0, { lambda: 0.2, warmupSteps: 0 }), 0.2);
    assert.throws(() => reverseGradient(tf.scalar(1), -1), /lambda must be a finite number ≥ 0/);
  });

  test("labels: the queries' languages, then the passages'", () => {
    const adversary = new LanguageAdversary(DEFAULT_ADVERSARIAL, ["de", "en"], 4, 0);
    const pair = (q: string, p: string) => ({ group: "g", queryLang: q, passageLang: p, query: 0, passage: 0 });
    const batch: Batch = { kind: "cross", pairs: [pair("de", "en"), pair("en", "de"), pair("en", "en")] };
    assert.deepEqual([...adversary.labels(batch)], [0, 1, 1, 1, 0, 1]);
    assert.throws(() => adversary.labels({ kind: "cross", pairs: [pair("fr", "de")] }), /knows no language 'fr'/);
    adversary.dispose();
  });
});

describe("the adversarial strategy's config and grid axis", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-adv-config-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  const base = { data: { train: { dataset: "mlqa-r" } }, sampler: { name: "x-y", batchSize: 8 } };
  const resolve = (json: Record<string, unknown>) => resolveRunConfig({ ...base, ...json }, join(dir, "c.json"), {}, dir);

  test("defaults fill missing keys; bad values and other samplers are refused with the key named", () => {
    assert.deepEqual(resolve({ adversarial: { lambda: 0.3 } }).adversarial, { ...DEFAULT_ADVERSARIAL, lambda: 0.3 });
    assert.equal(resolve({}).adversarial, null);
    const refused = (json: Record<string, unknown>, message: RegExp) =>
      assert.throws(() => resolve(json), (err: unknown) => err instanceof DataError && message.test(err.message));
    refused({ adversarial: { lambda: -0.1 } }, /adversarial\.lambda must be a finite number ≥ 0/);
    refused({ adversarial: { hidden: 0 } }, /adversarial\.hidden must be an integer ≥ 1/);
    refused({ adversarial: { lr: 0 } }, /adversarial\.lr must be a finite number > 0/);
    refused({ adversarial: { warmupSteps: 1.5 } }, /adversarial\.warmupSteps must be an integer ≥ 0/);
    refused({ adversarial: { lamda: 1 } }, /unknown key.*lamda/);
    refused({ adversarial: {}, sampler: { name: "x-x", batchSize: 8 } }, /trains on x-y batches.*sampler\.name is 'x-x'/);
  });

  test("a plain strategy's config.json has no adversarial key; an adversarial one reads back equal", () => {
    assert.equal("adversarial" in runConfigToJson(resolve({})), false);
    const config = resolve({ adversarial: { lambda: 0.5, warmupSteps: 3 } });
    const again = resolveRunConfig(JSON.parse(JSON.stringify(runConfigToJson(config))), join(dir, "c.json"), {}, dir);
    assert.deepEqual(again, config);
  });

  test("the grid's adversarial strategy is x-y plus the base's (or the default) discriminator; the others drop it", async () => {
    const path = join(dir, "grid.json");
    await writeFile(
      path,
      JSON.stringify({
        base: { ...base, sampler: { name: "hybrid", batchSize: 8, alpha: 0.5 } },
        set: { adversarial: { lambda: 0.05 } },
        axes: { strategy: ["x-y", "hybrid", "adversarial"], seed: [1] },
      }),
    );
    const grid = await readGrid(path, dir);
    assert.deepEqual(
      grid.runs.map((r) => [r.labels.strategy, r.config.sampler.name, r.config.adversarial?.lambda ?? null]),
      [
        ["x-y", "x-y", null],
        ["hybrid", "hybrid", null],
        ["adversarial", "x-y", 0.05],
      ],
    );
    assert.equal(labelsOf(grid.runs[2].config).strategy, "adversarial");
    await writeFile(path, JSON.stringify({ base, axes: { strategy: ["adversarial", "dann"] } }));
    await assert.rejects(readGrid(path, dir), /strategy\[1\]: unknown strategy "dann" \(known: x-x, x-y, hybrid, adversarial\)/);
  });
});

describe("training with the adversarial strategy", () => {
  let dir = "";
  before(async () => {
    await initBackend("wasm");
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-adv-train-"));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en", "es"], maxQuestionIds: 60 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  /** mini 1 × 32 on three MLQA-R languages, x-y batches of 8, no validation or benchmark. */
  const config = (outputDir: string, adversarial: Record<string, unknown> | null): RunConfig =>
    resolveRunConfig(
      {
        model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 32, heads: 2, intermediate: 64 } },
        data: { train: "train.jsonl", validationFraction: 0 },
        sampler: { name: "x-y", batchSize: 8, seed: 3 },
        optim: { lr: 1e-3, warmupSteps: 2 },
        adversarial,
        steps: 8,
        logEvery: 4,
        validateEvery: 0,
        checkpointEvery: 4,
        eval: null,
        backend: "wasm",
        outputDir,
      },
      join(dir, "config.json"),
      {},
      dir,
    );
  const quiet = { logger: silentLogger, progress: false };
  const weights = async (run: string) => (await readSafetensors(join(dir, run, "checkpoints", "last", "model.safetensors"))).tensors;
  const identical = async (a: string, b: string) => {
    const [x, y] = [await weights(a), await weights(b)];
    assert.deepEqual([...x.keys()].sort(), [...y.keys()].sort());
    return [...x].every(([name, t]) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(y.get(name)!.data.buffer, y.get(name)!.data.byteOffset, y.get(name)!.data.byteLength)));
  };

  test("λ = 0 trains the encoder bit for bit as x-y does, while the discriminator learns; λ > 0 changes it", async () => {
    await train(config("x-y", null), quiet);
    const zero = await train(config("zero", { lambda: 0, hidden: 16, lr: 0.01 }), quiet);
    assert.equal(zero.status, "completed");
    assert.ok(await identical("x-y", "zero"), "λ = 0 must leave the encoder's weights exactly as x-y's");
    const lines = (await new RunDir(join(dir, "zero")).readMetrics()).flatMap((l) => (l.type === "train" ? [l] : []));
    assert.equal(lines.length, 2);
    for (const l of lines) {
      assert.equal(l.adversary?.lambda, 0);
      assert.ok(Number.isFinite(l.adversary?.loss) && l.adversary!.accuracy >= 0 && l.adversary!.accuracy <= 1);
    }
    const saved = JSON.parse(await readFile(join(dir, "zero", "checkpoints", "last", ADVERSARY_STATE_NAME), "utf8")) as { step: number; languages: string[] };
    assert.equal(saved.step, 8, "the discriminator took a step every training step");
    assert.deepEqual(saved.languages, ["de", "en", "es"]);
    await train(config("lambda", { lambda: 1, hidden: 16, lr: 0.01 }), quiet);
    assert.equal(await identical("x-y", "lambda"), false);
  });

  test("with a benchmark, the run writes results.json and alignment.json of the same embeddings; the aggregate labels it adversarial", async () => {
    const evaluated = { ...config("evaluated", { lambda: 0.2, hidden: 16 }), eval: { ...DEFAULT_RUN_CONFIG.eval, languages: ["de", "en"], maxQuestionIds: 40 } };
    const result = await train({ ...evaluated, outputDir: join(dir, "runs", "evaluated") }, quiet);
    assert.equal(result.status, "completed");
    const runDir = join(dir, "runs", "evaluated");
    const results = JSON.parse(await readFile(join(runDir, "results.json"), "utf8")) as RunResults;
    const alignment = JSON.parse(await readFile(join(runDir, ALIGNMENT_NAME), "utf8")) as AlignmentResult;
    assert.deepEqual(alignment.languages, ["de", "en"]);
    assert.equal(alignment.numCandidates, results.numCandidates);
    // mini normalises its embeddings, so the cosine numbers before centroid removal are results.json's.
    assert.deepEqual(alignment.centroidRemoval.before, {
      mono: results.mono.mean.map,
      cross: results.cross.mean.map,
      multi: results.multi.mean.map,
      rankDistance: results.languageBias.mean,
    });
    // Every one of the 40 question ids has an answer sentence in both languages: at most 40 sources each way.
    assert.ok(alignment.bitext.sources[0][1] > 0 && alignment.bitext.sources[0][1] <= 40);
    assert.equal(alignment.languageProbe.train + alignment.languageProbe.test, results.numCandidates);
    const [row] = await aggregateRuns(join(dir, "runs"));
    assert.equal(row.strategy, "adversarial");
    assert.equal(row.monoMap, results.mono.mean.map);
  });

  test("an interrupted adversarial run, resumed, ends with the weights and discriminator of an uninterrupted one", async () => {
    const adv = { lambda: 0.5, hidden: 16, lr: 0.01, warmupSteps: 3 };
    await train(config("whole", adv), quiet);
    const controller = new AbortController();
    const cut = config("cut", adv);
    const stopped = await train(cut, { ...quiet, signal: controller.signal, onStep: ({ step }) => step === 5 && controller.abort() });
    assert.equal(stopped.status, "interrupted");
    await train(cut, { ...quiet, resume: true });
    assert.ok(await identical("whole", "cut"));
    const state = async (run: string) => JSON.parse(await readFile(join(dir, run, "checkpoints", "last", ADVERSARY_STATE_NAME), "utf8")) as unknown;
    assert.deepEqual(await state("cut"), await state("whole"));
  });
});
