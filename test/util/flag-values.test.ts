import assert from "node:assert/strict";
import { test } from "node:test";
import { flagInteger } from "../../src/util/flag-values.js";

test("a whole number at or above the minimum is returned as a number", () => {
  assert.equal(flagInteger("batch-size", "32", 1), 32);
  assert.equal(flagInteger("batch-size", "1", 1), 1);
  assert.equal(flagInteger("skip", "0", 0), 0);
  assert.equal(flagInteger("offset", "-3", -5), -3);
});

test("anything else is a RangeError naming the flag, the minimum and the text as given", () => {
  const cases: [string, number][] = [
    ["", 1],
    ["   ", 1],
    ["abc", 1],
    ["2.5", 1],
    ["1e400", 1],
    ["9007199254740993", 1], // above Number.MAX_SAFE_INTEGER
    ["0", 1],
    ["-1", 0],
    ["NaN", 0],
    // Number() takes these; a flag does not.
    ["0x10", 1],
    ["1e3", 1],
    [" 7 ", 1],
  ];
  for (const [text, min] of cases) {
    assert.throws(
      () => flagInteger("steps", text, min),
      (err: unknown) => err instanceof RangeError && err.message === `--steps takes an integer ≥ ${min}, got '${text}'`,
      JSON.stringify(text),
    );
  }
});
