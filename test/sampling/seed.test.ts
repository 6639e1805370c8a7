import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveSeed } from "../../src/sampling/seed.js";

test("deriveSeed is a pure function, 32-bit, and sensitive to every part and its order", () => {
  assert.equal(deriveSeed(42, 3, "x-x"), deriveSeed(42, 3, "x-x"));
  const seeds = [
    deriveSeed(1, 2),
    deriveSeed(2, 1),
    deriveSeed(1, 3),
    deriveSeed(1, "2"),
    deriveSeed(1, 2, "x-x"),
    deriveSeed(1, 2, "x-y"),
    deriveSeed(1 + 2 ** 32, 2),
    deriveSeed(-1, 2),
  ];
  assert.equal(new Set(seeds).size, seeds.length);
  assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 32));
});
