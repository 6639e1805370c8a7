import assert from "node:assert/strict";
import { test } from "node:test";
import { isStrategyName } from "../../src/ablate/types.js";
import { SAMPLER_NAMES } from "../../src/sampling/options.js";

test("a strategy is one of the samplers or adversarial, written exactly so; nothing else is", () => {
  for (const name of [...SAMPLER_NAMES, "adversarial"]) assert.equal(isStrategyName(name), true, name);
  for (const name of ["Adversarial", "adversarial ", "x-z", "hybrid-0.5", "", "by-size", null, undefined, 0, ["x-x"], { strategy: "x-x" }]) {
    assert.equal(isStrategyName(name), false, JSON.stringify(name));
  }
});
