import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { drawBatches } from "../../src/sampling/draw.js";
import { createSampler } from "../../src/sampling/sampler.js";
import { mlqaPools } from "./helpers.js";

describe("drawBatches", () => {
  test("runs into the next epoch after the last batch of one, and matches iterating epoch by epoch", async () => {
    const pools = await mlqaPools();
    const options = { batchSize: 32, seed: 3 };
    const sampler = createSampler("x-x", pools, options);
    const batches = drawBatches(sampler, sampler.length + 5);
    assert.equal(batches.length, sampler.length + 5);
    const reference = createSampler("x-x", pools, options);
    reference.setEpoch(0);
    assert.deepEqual(batches.slice(0, sampler.length), [...reference]);
    reference.setEpoch(1);
    assert.deepEqual(batches.slice(sampler.length), [...reference].slice(0, 5));
  });

  test("0 batches is an empty list; a negative count throws", async () => {
    const sampler = createSampler("x-y", await mlqaPools(), { batchSize: 32, seed: 1 });
    assert.deepEqual(drawBatches(sampler, 0), []);
    assert.throws(() => drawBatches(sampler, -1), /count must be an integer ≥ 0, got -1/);
    const empty = { ...sampler, name: "x-y" as const, length: 0, setEpoch: () => {}, [Symbol.iterator]: function* () {} };
    assert.throws(() => drawBatches(empty, 1), /the x-y sampler has 0 batches per epoch/);
  });
});
