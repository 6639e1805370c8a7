import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  alphaProblem,
  assertNoProblem,
  batchSizeProblem,
  isSamplerName,
  samplerNameProblem,
  SAMPLER_NAMES,
  seedProblem,
} from "../../src/sampling/options.js";

describe("sampler option checks", () => {
  test("sampler names: exactly x-x, x-y and hybrid, as written", () => {
    for (const name of ["x-x", "x-y", "hybrid"]) {
      assert.equal(isSamplerName(name), true, name);
      assert.equal(samplerNameProblem(name), undefined, name);
    }
    for (const name of ["X-X", "xx", "x-y ", "Hybrid", "", "adversarial", null, undefined, 1, ["x-x"], { name: "x-x" }]) {
      assert.equal(isSamplerName(name), false, JSON.stringify(name));
    }
    assert.equal(samplerNameProblem("mono"), `unknown sampler "mono" (valid: ${SAMPLER_NAMES.join(", ")})`);
    assert.equal(samplerNameProblem(3), `unknown sampler 3 (valid: ${SAMPLER_NAMES.join(", ")})`);
  });

  test("batchSize: an integer of at least 2 (one pair has no in-batch negative)", () => {
    for (const ok of [2, 3, 100, 4096]) assert.equal(batchSizeProblem(ok), undefined, String(ok));
    assert.equal(batchSizeProblem(1), "batchSize must be an integer ≥ 2, got 1");
    assert.equal(batchSizeProblem(0), "batchSize must be an integer ≥ 2, got 0");
    assert.equal(batchSizeProblem(-8), "batchSize must be an integer ≥ 2, got -8");
    assert.equal(batchSizeProblem(2.5), "batchSize must be an integer ≥ 2, got 2.5");
    assert.equal(batchSizeProblem("8"), `batchSize must be an integer ≥ 2, got "8"`);
    for (const bad of [NaN, Infinity, null, undefined]) assert.notEqual(batchSizeProblem(bad), undefined, String(bad));
  });

  test("seed: any safe integer, negative ones included", () => {
    for (const ok of [0, 42, -4, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) assert.equal(seedProblem(ok), undefined, String(ok));
    assert.equal(seedProblem(0.5), "seed must be an integer, got 0.5");
    assert.equal(seedProblem(2 ** 53), `seed must be an integer, got ${2 ** 53}`);
    assert.equal(seedProblem("3"), `seed must be an integer, got "3"`);
  });

  test('alpha: a probability (both ends included) or "by-size"', () => {
    for (const ok of [0, 0.25, 0.5, 1, "by-size"]) assert.equal(alphaProblem(ok), undefined, String(ok));
    const message = (v: string) => `alpha must be a number in [0, 1] or "by-size", got ${v}`;
    assert.equal(alphaProblem(1.01), message("1.01"));
    assert.equal(alphaProblem(-0.5), message("-0.5"));
    assert.equal(alphaProblem("0.5"), message(`"0.5"`));
    assert.equal(alphaProblem("by size"), message(`"by size"`));
    for (const bad of [NaN, null, undefined, true]) assert.notEqual(alphaProblem(bad), undefined, String(bad));
  });

  test("assertNoProblem throws the first problem as a RangeError, and nothing when there is none", () => {
    assert.doesNotThrow(() => assertNoProblem());
    assert.doesNotThrow(() => assertNoProblem(batchSizeProblem(8), seedProblem(1), alphaProblem("by-size")));
    assert.throws(() => assertNoProblem(batchSizeProblem(8), seedProblem(0.5), alphaProblem(2)), {
      name: "RangeError",
      message: "seed must be an integer, got 0.5",
    });
  });
});
