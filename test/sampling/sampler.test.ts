import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createSampler, SAMPLER_NAMES, SAMPLERS } from "../../src/sampling/sampler.js";
import { mlqaPools } from "./helpers.js";

const OPTIONS = { batchSize: 64, seed: 17, alpha: 0.5 } as const;

describe("createSampler", () => {
  test("maps each name to its class", async () => {
    const pools = await mlqaPools();
    for (const name of SAMPLER_NAMES) {
      const sampler = createSampler(name, pools, OPTIONS);
      assert.ok(sampler instanceof SAMPLERS[name]);
      assert.equal(sampler.name, name);
    }
  });

  test("checks every option, naming the bad value and the valid ones", async () => {
    const pools = await mlqaPools();
    const bad = (name: string, options: Record<string, unknown>, message: RegExp) =>
      assert.throws(() => createSampler(name as "x-x", pools, { ...OPTIONS, ...options } as typeof OPTIONS), (err: Error) => err instanceof RangeError && message.test(err.message));
    bad("x-z", {}, /^unknown sampler "x-z" \(valid: x-x, x-y, hybrid\)$/);
    bad("x-x", { batchSize: 1 }, /batchSize must be an integer ≥ 2, got 1/);
    bad("x-y", { batchSize: 10.5 }, /batchSize must be an integer ≥ 2, got 10.5/);
    bad("x-y", { seed: 0.5 }, /seed must be an integer, got 0.5/);
    bad("hybrid", { alpha: 1.5 }, /alpha must be a number in \[0, 1\] or "by-size", got 1.5/);
    bad("hybrid", { alpha: -0.1 }, /alpha must be a number in \[0, 1\] or "by-size", got -0.1/);
    bad("hybrid", { alpha: "size" }, /alpha must be a number in \[0, 1\] or "by-size", got "size"/);
  });
});
