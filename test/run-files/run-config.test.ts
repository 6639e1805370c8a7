import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { currentProvenance, readResolvedRunConfig, recordedMatMul, readRunConfigFile, RUN_CONFIG_SCHEMA_VERSION, writeRunConfigFile } from "../../src/run-files/run-config.js";
import { readRunConfig, resolveRunConfig, runConfigToJson } from "../../src/train/config.js";
import { rejectsNaming, tempDir } from "./helpers.js";

describe("a run's config.json", () => {
  const dir = tempDir("hybrid-ir-run-config-");
  const config = () =>
    resolveRunConfig({ model: { ref: "mini" }, data: { train: "train.jsonl" }, sampler: { name: "x-y" }, steps: 7, outputDir: "run" }, join(dir(), "c.json"), {}, dir());

  test("write → read round-trips the config and provenance, and the file is itself a valid --config", async () => {
    const path = join(dir(), "config.json");
    const provenance = await currentProvenance("wasm");
    await writeRunConfigFile(path, config(), provenance);
    const file = await readRunConfigFile(path);
    assert.equal(file.schemaVersion, RUN_CONFIG_SCHEMA_VERSION);
    assert.deepEqual(file.provenance, provenance);
    assert.deepEqual(await readResolvedRunConfig(path), config());
    assert.deepEqual(await readRunConfig(path), config());
  });

  test("the engine of wasm's matrix products: recorded, and XNNPACK for wasm runs from before it was", async () => {
    const now = await currentProvenance("wasm");
    assert.ok(now.matmul !== null && ["xnnpack", "blas"].includes(now.matmul.engine));
    assert.deepEqual(recordedMatMul(now), now.matmul);
    assert.deepEqual(recordedMatMul({ ...now, matmul: null }), { engine: "xnnpack", threads: null, library: null });
    assert.equal(recordedMatMul({ ...now, backend: "tensorflow", matmul: null }), null);
    assert.equal((await currentProvenance("cpu")).matmul, null);
    assert.equal(recordedMatMul(null), null);
  });

  test("an old file without schemaVersion (or written by hand, without provenance) reads as version 1", async () => {
    const path = join(dir(), "old.json");
    await writeFile(path, JSON.stringify(runConfigToJson(config())));
    const file = await readRunConfigFile(path);
    assert.equal(file.schemaVersion, 1);
    assert.equal(file.provenance, null);
    assert.deepEqual(await readResolvedRunConfig(path), config());
  });

  test("a bad file is a DataError naming the file and the field", async () => {
    const path = join(dir(), "bad.json");
    const json = JSON.parse(await readFile(join(dir(), "config.json"), "utf8")) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ ...json, provenance: { ...(json.provenance as object), backend: 3 } }, /^provenance\.backend must be a non-empty string/],
      [{ ...json, provenance: { ...(json.provenance as object), gitDirty: "yes" } }, /^provenance\.gitDirty must be true, false or null/],
      [{ ...json, provenance: { ...(json.provenance as object), matmul: { engine: "gpu" } } }, /^provenance\.matmul\.engine must be "xnnpack" or "blas"/],
      [{ ...json, provenance: { ...(json.provenance as object), matmul: "blas" } }, /^provenance\.matmul must be a JSON object/],
      [{ ...json, provenance: { ...(json.provenance as object), matmul: { engine: "blas", threads: 0, library: "x" } } }, /^provenance\.matmul\.threads must be a positive integer/],
      [{ ...json, schemaVersion: 0 }, /^schemaVersion must be a whole number >= 1/],
      [{ ...json, schemaVersion: 99 }, /^schemaVersion 99 is newer/],
      [{ ...json, steps: -1 }, /steps/],
    ];
    for (const [bad, problem] of cases) {
      await writeFile(path, JSON.stringify(bad));
      await rejectsNaming(readResolvedRunConfig(path), path, problem);
    }
  });
});
