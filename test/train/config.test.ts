import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { packageRoot } from "../../src/paths.js";
import { samplerConfigFromJson } from "../../src/sampling/config.js";
import { train } from "../../src/train/trainer.js";
import { silentLogger } from "../../src/util/logger.js";
import {
  configDifferences,
  DEFAULT_RUN_CONFIG,
  readRunConfig,
  resolveRunConfig,
  runConfigToJson,
  scheduleOf,
  warmupStepsOf,
} from "../../src/train/config.js";

const FILE = "/configs/exp.json";
const MINIMAL = { data: { train: { dataset: "mlqa-r" } } };

/** The DataError `fn` throws, or a failure. */
function dataError(fn: () => unknown): DataError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a DataError");
}

describe("resolveRunConfig", () => {
  test("typed defaults: the paper's optimiser and sampler, the model preset's lengths and prefixes", () => {
    const c = resolveRunConfig(MINIMAL, FILE, {}, "/work");
    assert.deepEqual(c.model, { ref: "mini", seed: 0, dropout: 0, mini: null, trainLayers: null });
    assert.deepEqual(c.data, { train: { dataset: "mlqa-r" }, validationFraction: 0.1, splitSeed: 0, withContext: false, allowContamination: false });
    assert.deepEqual(c.sampler, { name: "hybrid", batchSize: 100, seed: 42, alpha: 0.5 });
    assert.deepEqual(c.optim, DEFAULT_RUN_CONFIG.optim);
    assert.equal(c.optim.lr, 3e-5);
    assert.equal(c.optim.weightDecay, 0.01);
    assert.deepEqual(c.loss, { scale: 20, symmetric: false });
    assert.deepEqual([c.maxQueryLength, c.maxPassageLength], [32, 128]);
    assert.deepEqual(c.prefixes, { query: "Query: ", passage: "Passage: " });
    assert.equal(c.outputDir, "/work/runs/exp", "default output directory: runs/<config name>");
    assert.deepEqual(c.eval, { dataset: "xquad-r", maxQuestionIds: null, languages: null, every: "end", batchSize: 32 });
    assert.equal(warmupStepsOf(c), 100);
    assert.deepEqual(scheduleOf(c), { peak: 3e-5, warmupSteps: 100, totalSteps: 1000, schedule: "linear" });
  });

  test("the file overrides the defaults, the flags override the file", () => {
    const json = {
      ...MINIMAL,
      model: { ref: "xlm-r-base", seed: 5 },
      sampler: { name: "x-x", batchSize: 16, seed: 9 },
      optim: { lr: 1e-4, warmupSteps: 10 },
      steps: 200,
      outputDir: "runs/a",
    };
    const fromFile = resolveRunConfig(json, FILE, {}, "/work");
    assert.deepEqual([fromFile.model.seed, fromFile.sampler.seed, fromFile.sampler.name, fromFile.steps], [5, 9, "x-x", 200]);
    assert.deepEqual([fromFile.optim.warmupSteps, fromFile.optim.warmupRatio], [10, null], "warmupSteps replaces the default ratio");
    assert.deepEqual([fromFile.maxQueryLength, fromFile.maxPassageLength], [64, 256], "xlm-r-base's lengths");
    assert.equal(fromFile.outputDir, "/work/runs/a");

    const flagged = resolveRunConfig(json, FILE, { steps: "50", seed: "3", sampler: "hybrid", alpha: "0.4", batchSize: "8", output: "/tmp/out" }, "/work");
    assert.deepEqual([flagged.steps, flagged.model.seed, flagged.sampler.seed], [50, 3, 3], "--seed sets the model and the sampler seed");
    assert.deepEqual([flagged.sampler.name, flagged.sampler.alpha, flagged.sampler.batchSize], ["hybrid", 0.4, 8]);
    assert.equal(flagged.outputDir, "/tmp/out");
    assert.equal(flagged.optim.lr, 1e-4, "what no flag names stays as the file says");
  });

  test("a relative training file is read from the config's folder, as `hybrid-ir batches` does", () => {
    const c = resolveRunConfig({ data: { train: "records/train.jsonl" } }, "/configs/sub/x.json");
    assert.equal(c.data.train, "/configs/sub/records/train.jsonl");
  });

  test("prefixes: the preset's by default, none for other models; true, false or explicit", () => {
    assert.deepEqual(resolveRunConfig({ ...MINIMAL, model: { ref: "/models/mine" } }, FILE).prefixes, { query: "", passage: "" });
    assert.deepEqual(resolveRunConfig({ ...MINIMAL, model: { ref: "/models/mine" }, prefixes: true }, FILE).prefixes, { query: "Query: ", passage: "Passage: " });
    assert.deepEqual(resolveRunConfig({ ...MINIMAL, prefixes: false }, FILE).prefixes, { query: "", passage: "" });
    assert.deepEqual(resolveRunConfig({ ...MINIMAL, prefixes: { query: "q: " } }, FILE).prefixes, { query: "q: ", passage: "" });
  });

  test("unknown keys are rejected, naming the key, its section and the file", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...MINIMAL, stpes: 10 }, /unknown key in the config: stpes \(known: comment, model/],
      [{ ...MINIMAL, optim: { lr: 1e-4, weight_decay: 0.1 } }, /unknown key in 'optim': weight_decay/],
      [{ ...MINIMAL, sampler: { batch_size: 8 } }, /unknown key in 'sampler': batch_size/],
      [{ ...MINIMAL, model: { ref: "mini", mini: { layer: 2 } } }, /unknown key in 'model.mini': layer/],
      [{ ...MINIMAL, eval: { dataset: "xquad-r", langs: ["en"] } }, /unknown key in 'eval': langs/],
      [{ data: { train: { dataset: "mlqa-r", split: "dev" } } }, /unknown key in 'data.train': split/],
      [{ ...MINIMAL, earlyStopping: { patience: 2, delta: 0.1 } }, /unknown key in 'earlyStopping': delta/],
    ];
    for (const [json, message] of cases) {
      const err = dataError(() => resolveRunConfig(json, FILE));
      assert.equal(err.file, FILE);
      assert.match(err.message, message);
    }
  });

  test("an unknown key close to a known one gets a guess; one close to none gets none", () => {
    const guess = (json: Record<string, unknown>) => dataError(() => resolveRunConfig({ ...MINIMAL, ...json }, FILE)).problem.split("; ")[1];
    assert.equal(guess({ stpes: 10 }), "did you mean stpes → steps?");
    assert.equal(guess({ optim: { weight_decay: 0.1, learning_rate: 1 } }), "did you mean weight_decay → weightDecay?");
    assert.equal(guess({ model: { mini: { Layers: 2 } } }), "did you mean Layers → layers?");
    assert.equal(guess({ eval: { langs: ["en"] } }), undefined);
  });

  test("bad values are rejected with the key and what is allowed", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /needs "data": \{ "train"/],
      [{ ...MINIMAL, optim: { lr: -1 } }, /optim\.lr must be a finite number > 0, got -1/],
      [{ ...MINIMAL, optim: { warmupSteps: 5, warmupRatio: 0.1 } }, /give warmupSteps \(5\) or warmupRatio \(0\.1\), not both/],
      [{ ...MINIMAL, optim: { warmupSteps: 50 }, steps: 10 }, /warmupSteps \(50\) exceeds steps \(10\)/],
      [{ ...MINIMAL, optim: { schedule: "cosine" } }, /unknown schedule 'cosine'/],
      [{ ...MINIMAL, steps: 0 }, /steps must be an integer ≥ 1, got 0/],
      [{ ...MINIMAL, model: { ref: "labse", mini: { layers: 1 } } }, /model\.mini sets the architecture of the mini preset/],
      [{ ...MINIMAL, model: { ref: "mini", mini: { hidden: 30, heads: 4 } } }, /multiple of model\.mini\.heads/],
      [{ ...MINIMAL, eval: { languages: ["xx"] } }, /xquad-r has no xx/],
      [{ ...MINIMAL, eval: { every: 100 } }, /only "end" is supported/],
      [{ ...MINIMAL, backend: "gpu" }, /unknown backend 'gpu'/],
      [{ ...MINIMAL, sampler: { name: "x-x", alpha: 0.5 } }, /alpha applies to the hybrid sampler only/],
      [{ ...MINIMAL, earlyStopping: { patience: 3 }, validateEvery: 0 }, /earlyStopping\.patience needs validation/],
      [{ data: { train: { dataset: "squad" } } }, /data\.train must be a path or/],
    ];
    for (const [json, message] of cases) assert.match(dataError(() => resolveRunConfig(json, FILE)).message, message);
  });

  test("bad flags throw RangeErrors naming the flag", () => {
    assert.throws(() => resolveRunConfig(MINIMAL, FILE, { steps: "ten" }), { name: "RangeError", message: /--steps takes an integer/ });
    assert.throws(() => resolveRunConfig(MINIMAL, FILE, { sampler: "mono" }), { name: "RangeError", message: /unknown sampler "mono"/ });
    assert.throws(() => resolveRunConfig(MINIMAL, FILE, { alpha: "2" }), { name: "RangeError", message: /alpha must be a number in \[0, 1\]/ });
  });

  test("model.trainLayers: off by default and then absent from config.json (run keys stay); set, it reads back; configs/pretrained-e5.json sets 2", async () => {
    const off = resolveRunConfig(MINIMAL, FILE, {}, "/work");
    assert.equal(off.model.trainLayers, null);
    assert.equal("trainLayers" in (runConfigToJson(off).model as object), false, "runs from before the option keep their config.json and run key");
    const on = resolveRunConfig({ ...MINIMAL, model: { ref: "e5-small", trainLayers: 2 } }, FILE, {}, "/work");
    assert.equal(on.model.trainLayers, 2);
    const written = JSON.parse(JSON.stringify(runConfigToJson(on)));
    assert.equal(written.model.trainLayers, 2);
    assert.deepEqual(resolveRunConfig(written, "/work/runs/exp/config.json"), on);
    for (const bad of [0, 1.5, "2"]) {
      const err = dataError(() => resolveRunConfig({ ...MINIMAL, model: { trainLayers: bad } }, FILE));
      assert.match(err.message, /model\.trainLayers must be an integer ≥ 1/);
    }
    const pretrained = await readRunConfig(join(packageRoot(), "configs", "pretrained-e5.json"));
    assert.equal(pretrained.model.ref, "e5-small");
    assert.equal(pretrained.model.trainLayers, 2);
    assert.deepEqual(pretrained.prefixes, { query: "query: ", passage: "passage: " });
  });

  test("forwardChunk: off by default and then absent from config.json; set, it reads back; train refuses it beside gradCache", async () => {
    const off = resolveRunConfig(MINIMAL, FILE, {}, "/work");
    assert.equal(off.forwardChunk, null);
    assert.equal("forwardChunk" in runConfigToJson(off), false);
    const on = resolveRunConfig({ ...MINIMAL, forwardChunk: 8 }, FILE, {}, "/work");
    assert.equal(on.forwardChunk, 8);
    assert.deepEqual(resolveRunConfig(JSON.parse(JSON.stringify(runConfigToJson(on))), "/work/runs/exp/config.json"), on);
    assert.deepEqual(configDifferences(on, off), ["forwardChunk"]);
    assert.match(dataError(() => resolveRunConfig({ ...MINIMAL, forwardChunk: 0 }, FILE)).message, /forwardChunk must be an integer ≥ 1, got 0/);
    const both = resolveRunConfig({ ...MINIMAL, forwardChunk: 8, gradCache: { chunkSize: 4 }, outputDir: "/nonexistent/both" }, FILE, {}, "/work");
    await assert.rejects(train(both, { logger: silentLogger, progress: false, configFile: FILE }), (err: unknown) => err instanceof DataError && err.file === FILE && /forwardChunk is for plain steps/.test(err.message));
  });

  test("gradCache: off by default, { chunkSize } in the file, --grad-cache-chunk over it (0 = off); in config.json only when on", () => {
    const off = resolveRunConfig(MINIMAL, FILE, {}, "/work");
    assert.equal(off.gradCache, null);
    assert.equal("gradCache" in runConfigToJson(off), false, "runs from before the option keep their config.json and run key");
    const on = resolveRunConfig({ ...MINIMAL, gradCache: { chunkSize: 16 } }, FILE, {}, "/work");
    assert.deepEqual(on.gradCache, { chunkSize: 16 });
    assert.deepEqual(resolveRunConfig({ ...MINIMAL, gradCache: null }, FILE).gradCache, null);
    assert.deepEqual(resolveRunConfig(MINIMAL, FILE, { gradCacheChunk: "8" }).gradCache, { chunkSize: 8 });
    assert.equal(resolveRunConfig({ ...MINIMAL, gradCache: { chunkSize: 16 } }, FILE, { gradCacheChunk: "0" }).gradCache, null);
    const written = JSON.parse(JSON.stringify(runConfigToJson(on)));
    assert.deepEqual(written.gradCache, { chunkSize: 16 });
    assert.deepEqual(resolveRunConfig(written, "/work/runs/exp/config.json"), on);
    assert.deepEqual(configDifferences(on, off), ["gradCache"]);
    for (const [json, message] of [
      [{ gradCache: { chunkSize: 0 } }, /gradCache\.chunkSize must be an integer ≥ 1, got 0/],
      [{ gradCache: { chunkSize: 2.5 } }, /gradCache\.chunkSize must be an integer ≥ 1, got 2\.5/],
      [{ gradCache: {} }, /gradCache needs "chunkSize"/],
      [{ gradCache: { chunk: 4 } }, /chunk/],
      [{ gradCache: 16 }, /gradCache/],
    ] as [Record<string, unknown>, RegExp][]) {
      assert.match(dataError(() => resolveRunConfig({ ...MINIMAL, ...json }, FILE)).message, message);
    }
    assert.throws(() => resolveRunConfig(MINIMAL, FILE, { gradCacheChunk: "-1" }), { name: "RangeError", message: /--grad-cache-chunk takes an integer ≥ 0/ });
  });

  test("a run's config.json (resolved config + provenance) resolves to the same config", () => {
    const c = resolveRunConfig({ ...MINIMAL, steps: 77, sampler: { name: "x-y" } }, FILE, { seed: "4" }, "/work");
    assert.equal(c.sampler.alpha, 0.5, "one canonical α for samplers that do not use it");
    const written = JSON.parse(JSON.stringify({ ...runConfigToJson(c), provenance: { gitCommit: "abc", backend: "wasm" } }));
    assert.equal(written.sampler.alpha, undefined, "which config.json leaves out, as the sampler section refuses it");
    assert.deepEqual(resolveRunConfig(written, "/x.json", { sampler: "hybrid", alpha: "0.3" }).sampler.alpha, 0.3);
    const hybridFromFlag = resolveRunConfig({ ...MINIMAL, sampler: { name: "hybrid", alpha: 0.7 } }, FILE, { sampler: "x-x" });
    assert.equal(hybridFromFlag.sampler.alpha, 0.5);
    const again = resolveRunConfig(written, "/work/runs/exp/config.json");
    assert.deepEqual(again, c);
    assert.deepEqual(configDifferences(again, c), []);
    assert.deepEqual(configDifferences(c, { ...c, steps: 78, optim: { ...c.optim, lr: 1 } }), ["optim.lr", "steps"]);
  });
});

describe("configs/*.json", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-config-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("every committed preset resolves, and `hybrid-ir batches` reads its data and sampler sections", async () => {
    const root = join(packageRoot(), "configs");
    const files = (await readdir(root)).filter((f) => f.endsWith(".json"));
    assert.ok(files.includes("paper.json"));
    assert.ok(files.filter((f) => f.startsWith("offline-mini-")).length >= 4);
    for (const f of files) {
      const c = await readRunConfig(join(root, f), {}, "/work");
      assert.ok(c.comment.length > 0, `${f} says what it is for`);
      const raw = JSON.parse(await readFile(join(root, f), "utf8")) as { sampler?: unknown };
      assert.deepEqual(samplerConfigFromJson(raw.sampler, f), c.sampler);
    }
    const paper = await readRunConfig(join(root, "paper.json"));
    assert.deepEqual([paper.model.ref, paper.optim.lr, paper.optim.weightDecay, paper.sampler.batchSize, paper.sampler.alpha], ["xlm-r-base", 3e-5, 0.01, 100, 0.5]);
  });

  test("readRunConfig names the file when it cannot be read or parsed", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{ steps: 1 }");
    await assert.rejects(readRunConfig(bad), (err: unknown) => err instanceof DataError && err.file === bad && /invalid JSON/.test(err.message));
    await assert.rejects(readRunConfig(join(dir, "missing.json")), /cannot read/);
  });
});
