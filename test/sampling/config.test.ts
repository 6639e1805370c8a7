import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { applySamplerFlags, DEFAULT_SAMPLER_CONFIG, samplerConfigFromJson } from "../../src/sampling/config.js";

describe("sampler config: defaults → JSON → flags", () => {
  test("defaults are the paper's: hybrid, alpha 0.5, batch size 100", () => {
    assert.deepEqual(DEFAULT_SAMPLER_CONFIG, { name: "hybrid", batchSize: 100, seed: 42, alpha: 0.5 });
    assert.deepEqual(samplerConfigFromJson(undefined, "c.json"), DEFAULT_SAMPLER_CONFIG);
  });

  test("the file's values override the defaults, flags override the file", () => {
    const fromFile = samplerConfigFromJson({ alpha: "by-size", batchSize: 32 }, "c.json");
    assert.deepEqual(fromFile, { name: "hybrid", batchSize: 32, seed: 42, alpha: "by-size" });
    assert.deepEqual(applySamplerFlags(fromFile, { seed: "7", alpha: "0.25" }), { name: "hybrid", batchSize: 32, seed: 7, alpha: 0.25 });
    assert.deepEqual(applySamplerFlags(fromFile, { sampler: "x-y", batchSize: "16" }), { name: "x-y", batchSize: 16, seed: 42, alpha: "by-size" });
    assert.deepEqual(applySamplerFlags(fromFile, {}), fromFile);
  });

  test("unknown keys are refused by name", () => {
    assert.throws(
      () => samplerConfigFromJson({ batch_size: 32, alfa: 0.4, seed: 1 }, "c.json"),
      (err: Error) => err instanceof DataError && err.message === "c.json: unknown keys in 'sampler': batch_size, alfa (known: name, batchSize, seed, alpha); did you mean batch_size → batchSize, alfa → alpha?",
    );
    assert.throws(() => samplerConfigFromJson([1], "c.json"), /c\.json: 'sampler' must be a JSON object, got \[1\]/);
  });

  test("bad values are refused where they come from", () => {
    assert.throws(() => samplerConfigFromJson({ name: "mono" }, "c.json"), /^DataError: c\.json: sampler: unknown sampler "mono" \(valid: x-x, x-y, hybrid\)$/);
    assert.throws(() => samplerConfigFromJson({ batchSize: "100" }, "c.json"), /c\.json: sampler: batchSize must be an integer ≥ 2, got "100"/);
    assert.throws(() => samplerConfigFromJson({ alpha: 2 }, "c.json"), /c\.json: sampler: alpha must be a number in \[0, 1\]/);
    assert.throws(() => samplerConfigFromJson({ name: "x-x", alpha: 0.5 }, "c.json"), /alpha applies to the hybrid sampler only, not x-x/);
    assert.throws(() => applySamplerFlags(DEFAULT_SAMPLER_CONFIG, { alpha: "half" }), /--alpha takes a number, got 'half'/);
    assert.throws(() => applySamplerFlags(DEFAULT_SAMPLER_CONFIG, { batchSize: "" }), /--batch-size takes a number/);
    assert.throws(() => applySamplerFlags(DEFAULT_SAMPLER_CONFIG, { batchSize: "1" }), /batchSize must be an integer ≥ 2, got 1/);
    assert.throws(() => applySamplerFlags(DEFAULT_SAMPLER_CONFIG, { sampler: "x-x", alpha: "0.3" }), /alpha applies to the hybrid sampler only/);
  });
});
