import type { Batch, BatchSampler } from "./types.js";

/**
 * The first `count` batches of `sampler` from the start of epoch 0, running into later epochs
 * as needed. Moves the sampler (setEpoch, then iteration).
 *
 * @example
 * const batches = drawBatches(createSampler("x-y", pools, { batchSize: 32, seed: 1 }), 500);
 */
export function drawBatches(sampler: BatchSampler, count: number): Batch[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be an integer ≥ 0, got ${count}`);
  // An epoch of 0 batches would make the loop below endless.
  if (count > 0 && sampler.length === 0) throw new RangeError(`the ${sampler.name} sampler has 0 batches per epoch`);
  const out: Batch[] = [];
  for (let epoch = 0; out.length < count; epoch++) {
    sampler.setEpoch(epoch);
    for (const batch of sampler) {
      if (out.length === count) break;
      out.push(batch);
    }
  }
  return out;
}
