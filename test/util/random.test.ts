import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32, randomInt, randomNormal, type Random } from "../../src/util/random.js";

/** mulberry32 written out in BigInt arithmetic mod 2^32: the slow, obvious version of the 32-bit tricks. */
function mulberry32Slow(seed: number): Random {
  const M = 1n << 32n;
  const mod = (x: bigint) => ((x % M) + M) % M;
  let state = mod(BigInt(Math.trunc(seed)));
  return () => {
    state = mod(state + 0x6d2b79f5n);
    let t = state;
    t = mod((t ^ (t >> 15n)) * (t | 1n));
    t = t ^ mod(t + mod((t ^ (t >> 7n)) * (t | 61n)));
    return Number(t ^ (t >> 14n)) / 2 ** 32;
  };
}

/** Draws from a generator that replays `values`. */
function replay(...values: number[]): Random {
  let i = 0;
  return () => values[i++];
}

test("mulberry32 equals the BigInt reference, value for value, for several seeds", () => {
  for (const seed of [0, 1, 42, 0x7fffffff, 0xdeadbeef, 2 ** 32 - 1]) {
    const fast = mulberry32(seed);
    const slow = mulberry32Slow(seed);
    for (let i = 0; i < 1000; i++) assert.equal(fast(), slow(), `seed ${seed}, draw ${i}`);
  }
});

test("the same seed gives the same stream; seeds are taken modulo 2^32", () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const first = Array.from({ length: 5 }, a);
  assert.deepEqual(Array.from({ length: 5 }, b), first);
  assert.notDeepEqual(Array.from({ length: 5 }, mulberry32(43)), first);
  assert.deepEqual(Array.from({ length: 5 }, mulberry32(2 ** 32 + 42)), first);
  assert.deepEqual(Array.from({ length: 5 }, mulberry32(-1)), Array.from({ length: 5 }, mulberry32(2 ** 32 - 1)));
});

test("draws lie in [0, 1) and fill ten equal bins evenly", () => {
  const rand = mulberry32(1);
  const bins = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const x = rand();
    assert.ok(x >= 0 && x < 1, String(x));
    bins[Math.floor(x * 10)]++;
  }
  for (const n of bins) assert.ok(Math.abs(n - 10_000) < 500, bins.join(" "));
});

test("randomInt maps [0, 1) onto 0..n-1", () => {
  assert.equal(randomInt(replay(0), 5), 0);
  assert.equal(randomInt(replay(0.5), 3), 1);
  assert.equal(randomInt(replay(0.2), 5), 1);
  assert.equal(randomInt(replay(1 - 2 ** -32), 7), 6);
  const rand = mulberry32(9);
  const seen = new Set<number>();
  for (let i = 0; i < 300; i++) seen.add(randomInt(rand, 3));
  assert.deepEqual([...seen].sort(), [0, 1, 2]);
});

test("randomNormal is Box–Muller on (1 - u, v): exact values on chosen draws", () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  // 1 - u = e^{-1/2} makes the radius sqrt(-2 ln(1 - u)) exactly 1; v sets the angle.
  const u = 1 - Math.exp(-0.5);
  close(randomNormal(replay(u, 0)), 1);
  close(randomNormal(replay(u, 0.5)), -1);
  close(randomNormal(replay(u, 0.25)), 0);
  // A first draw of 0 is a radius of 0, not log(0) = -Infinity.
  assert.ok(randomNormal(replay(0, 0.3)) === 0);
  // 1 - u = e^{-2}: radius 2.
  close(randomNormal(replay(1 - Math.exp(-2), 0)), 2);
});

test("randomNormal on a seeded stream has mean 0 and variance 1", () => {
  const rand = mulberry32(7);
  const n = 20_000;
  const xs = Array.from({ length: n }, () => randomNormal(rand));
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 0.05, `variance ${variance}`);
  assert.ok(xs.every(Number.isFinite));
});
