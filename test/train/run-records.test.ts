import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { resolveRunConfig } from "../../src/train/config.js";
import { runTrainingRecords } from "../../src/train/run-records.js";

describe("runTrainingRecords", () => {
  test("MLQA-R minus the validation split: no group on both sides, and the split follows data.splitSeed", async () => {
    const config = (splitSeed: number, validationFraction = 0.1) =>
      resolveRunConfig({ data: { train: { dataset: "mlqa-r" }, validationFraction, splitSeed }, eval: null }, "test.json");
    const all = await runTrainingRecords(config(0, 0));
    assert.equal(all.length, 4199);
    const train = await runTrainingRecords(config(0));
    assert.ok(train.length < all.length && train.length > 0.85 * all.length, String(train.length));
    const trainGroups = new Set(train.map((r) => r.group));
    const heldOut = all.filter((r) => !trainGroups.has(r.group));
    assert.equal(train.length + heldOut.length, all.length, "a group has records on both sides");
    assert.notDeepEqual((await runTrainingRecords(config(1))).map((r) => r.group), train.map((r) => r.group));
  });
});
