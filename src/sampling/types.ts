/**
 * What a sampler hands out and how it is driven: the interfaces every sampler implements and
 * every consumer (training loop, validation, reports) reads. Kept apart from the factory in
 * sampler.ts, which imports the samplers, so that the samplers need not import it back.
 */
import type { Alpha, SamplerName } from "./options.js";

/**
 * One training pair: encode `records[query].query` and `records[passage].positive`. A
 * monolingual pair uses one record for both; a cross-lingual one two records of its group.
 */
export interface BatchPair {
  readonly group: string;
  readonly queryLang: string;
  readonly passageLang: string;
  readonly query: number;
  readonly passage: number;
}

/** No two pairs of a batch share a group: a translation of a positive must not be an in-batch negative. */
export interface Batch {
  readonly kind: "mono" | "cross";
  readonly pairs: readonly BatchPair[];
}

/** Where a sampler stands: the next batch it hands out is batch `batch` of epoch `epoch`. */
export interface SamplerState {
  readonly sampler: SamplerName;
  readonly seed: number;
  readonly epoch: number;
  readonly batch: number;
}

/**
 * Iterating hands out the rest of the current epoch, from `state().batch` on; after its last
 * batch the sampler stands at the start of the next epoch, so the next loop over it runs that
 * epoch. One loop at a time: loops share the position.
 */
export interface BatchSampler extends Iterable<Batch> {
  readonly name: SamplerName;
  /** Batches per epoch. */
  readonly length: number;
  /** Moves to the start of `epoch`; its batches depend on (seed, epoch) only. */
  setEpoch(epoch: number): void;
  state(): SamplerState;
  /** Moves to where `state()` stood: iterating then yields exactly what an uninterrupted run would have. */
  restore(state: SamplerState): void;
}

/**
 * @example
 * const sampler = createSampler("hybrid", buildPools(records), { batchSize: 100, seed: 1, alpha: 0.5 });
 * for (const batch of sampler) train(batch);
 */
export interface SamplerOptions {
  /** Pairs per batch, ≥ 2. */
  readonly batchSize: number;
  /** Any safe integer. */
  readonly seed: number;
  /** Hybrid only: the probability of a monolingual batch, or "by-size"; 0.5 by default (the paper's best). */
  readonly alpha?: Alpha;
}
