import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ShuffledPasses } from "../../src/sampling/passes.js";
import { mulberry32 } from "../../src/util/random.js";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("ShuffledPasses", () => {
  test("with distinct keys every item comes once per pass, also when batches straddle passes", () => {
    const walk = new ShuffledPasses(range(10), (i) => i, mulberry32(1));
    const seen = Array.from({ length: 30 }, () => walk.take(3)).flat(); // 90 items = 9 passes
    const counts = range(10).map((i) => seen.filter((x) => x === i).length);
    assert.deepEqual(counts, Array(10).fill(9));
    // Each consecutive run of 10 is a permutation.
    for (let p = 0; p < 9; p++) assert.deepEqual([...seen.slice(10 * p, 10 * p + 10)].sort((a, b) => a - b), range(10));
  });

  test("no batch holds an item twice or two items of one key, even when most items share keys", () => {
    const key = (i: number) => (i < 12 ? 0 : i); // items 0..11 share key 0; 12..19 have their own
    const walk = new ShuffledPasses(range(20), key, mulberry32(7));
    const counts = new Array(20).fill(0);
    for (let b = 0; b < 500; b++) {
      const batch = walk.take(9); // the most distinct keys there are
      assert.equal(new Set(batch.map(key)).size, 9);
      for (const i of batch) counts[i] += 1;
    }
    // Each batch takes all eight single-key items and one of the shared-key twelve, in turn.
    assert.deepEqual(counts.slice(12), Array(8).fill(500));
    assert.ok(counts.slice(0, 12).every((c) => c >= 40 && c <= 44), counts.join(","));
  });

  test("asking for more distinct keys than exist throws instead of looping", () => {
    const walk = new ShuffledPasses(range(6), (i) => i % 3, mulberry32(1));
    assert.throws(() => walk.take(4), /fewer keys/);
  });

  test("the same generator seed gives the same walk", () => {
    const a = new ShuffledPasses(range(50), (i) => i, mulberry32(5));
    const b = new ShuffledPasses(range(50), (i) => i, mulberry32(5));
    for (let k = 0; k < 20; k++) assert.deepEqual(a.take(7), b.take(7));
  });
});
