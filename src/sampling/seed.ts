/**
 * Seeds for the samplers' generators. Each stream (an epoch's language draws, one language's
 * shuffles, ...) gets its own generator seeded from the run's seed and labels, so one stream
 * never shifts another and the batches of epoch e depend on (seed, e) alone, not on what ran
 * before: the `set_epoch` pattern of sentence-transformers, and what makes resuming cheap.
 */

/**
 * A 32-bit seed mixed from `seed` (any safe integer) and `parts`; nearby inputs (seeds 1 and 2,
 * epochs 3 and 4) give unrelated outputs, which plain `seed + epoch` does not (seed 1 epoch 2
 * would replay seed 2 epoch 1).
 *
 * @example
 * const rand = mulberry32(deriveSeed(42, epoch, "x-x", "de"));
 */
export function deriveSeed(seed: number, ...parts: (number | string)[]): number {
  let h = 0x9e3779b9;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x >>> 0), 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  };
  const mixNumber = (n: number) => {
    mix(n);
    mix(Math.floor(n / 4294967296));
  };
  mixNumber(seed);
  for (const part of parts) {
    if (typeof part === "number") {
      mix(1); // tags keep the number 97 and the string "a" apart
      mixNumber(part);
    } else {
      mix(2);
      mix(part.length);
      for (let i = 0; i < part.length; i++) mix(part.charCodeAt(i));
    }
  }
  // murmur3's finaliser: every input bit reaches every output bit
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
