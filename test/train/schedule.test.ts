import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { learningRate, type ScheduleOptions } from "../../src/train/schedule.js";

const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) <= 1e-15, `${actual} vs ${expected}`);

describe("learningRate", () => {
  const linear: ScheduleOptions = { peak: 1e-3, warmupSteps: 10, totalSteps: 110, schedule: "linear" };

  test("linear: 0 at step 0, peak at the end of warm-up, 0 at totalSteps and beyond", () => {
    assert.equal(learningRate(0, linear), 0);
    close(learningRate(5, linear), 5e-4);
    assert.equal(learningRate(10, linear), 1e-3);
    close(learningRate(60, linear), 5e-4); // (110 − 60) / (110 − 10) = 1/2
    close(learningRate(109, linear), 1e-5); // one step before the end: 1/100 of the peak
    assert.equal(learningRate(110, linear), 0);
    assert.equal(learningRate(1000, linear), 0);
  });

  test("linear: rises through warm-up, then falls", () => {
    const rates = Array.from({ length: 121 }, (_, step) => learningRate(step, linear));
    for (let s = 1; s <= 10; s++) assert.ok(rates[s] > rates[s - 1], `step ${s}`);
    for (let s = 11; s <= 110; s++) assert.ok(rates[s] < rates[s - 1], `step ${s}`);
    for (let s = 111; s <= 120; s++) assert.equal(rates[s], 0);
  });

  test("linear: no warm-up starts at the peak; warm-up as long as the run never divides by zero", () => {
    assert.equal(learningRate(0, { ...linear, warmupSteps: 0 }), 1e-3);
    close(learningRate(55, { ...linear, warmupSteps: 0 }), 5e-4);
    const allWarmup = { ...linear, warmupSteps: 110 };
    close(learningRate(109, allWarmup), (1e-3 * 109) / 110);
    assert.equal(learningRate(110, allWarmup), 0);
    assert.equal(learningRate(111, allWarmup), 0);
  });

  test("constant: warms up, then holds the peak past totalSteps", () => {
    const constant: ScheduleOptions = { ...linear, schedule: "constant" };
    assert.equal(learningRate(0, constant), 0);
    close(learningRate(5, constant), 5e-4);
    assert.equal(learningRate(10, constant), 1e-3);
    assert.equal(learningRate(110, constant), 1e-3);
    assert.equal(learningRate(500, constant), 1e-3);
    assert.equal(learningRate(0, { ...constant, warmupSteps: 0 }), 1e-3);
  });

  test("rejects bad options and steps, naming the value and the allowed range", () => {
    assert.throws(() => learningRate(0, { ...linear, peak: 0 }), /peak must be a finite number > 0, got 0/);
    assert.throws(() => learningRate(0, { ...linear, peak: Number.NaN }), /peak .* got NaN/);
    assert.throws(() => learningRate(0, { ...linear, totalSteps: 0 }), /totalSteps must be an integer >= 1, got 0/);
    assert.throws(() => learningRate(0, { ...linear, warmupSteps: -1 }), /warmupSteps must be an integer >= 0, got -1/);
    assert.throws(() => learningRate(0, { ...linear, warmupSteps: 2.5 }), /warmupSteps .* got 2.5/);
    assert.throws(() => learningRate(0, { ...linear, warmupSteps: 111 }), /warmupSteps \(111\) must be <= totalSteps \(110\)/);
    const cosine = { ...linear, schedule: "cosine" } as unknown as ScheduleOptions;
    assert.throws(() => learningRate(0, cosine), /unknown schedule 'cosine' \(expected one of: linear, constant\)/);
    assert.throws(() => learningRate(-1, linear), /step must be an integer >= 0, got -1/);
    assert.throws(() => learningRate(1.5, linear), /step .* got 1.5/);
  });
});
