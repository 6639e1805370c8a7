/**
 * Seeded pseudo-random numbers for tests, benches and samplers: every run with the same seed
 * sees the same stream, and nothing calls `Math.random`.
 */

/** A generator of uniform floats in [0, 1). */
export type Random = () => number;

/**
 * mulberry32 (Tommy Ettinger): 32 bits of state, fast, good enough for shuffles and synthetic
 * data; not for anything cryptographic.
 *
 * @example
 * const rand = mulberry32(42);
 * const x = rand(); // same value on every run
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomInt(rand: Random, n: number): number {
  return Math.floor(rand() * n);
}

/** A standard normal deviate (Box–Muller; one of the pair is discarded to stay stateless). */
export function randomNormal(rand: Random): number {
  // 1 - u keeps the logarithm's argument in (0, 1].
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
