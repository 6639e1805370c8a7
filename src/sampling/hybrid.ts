/**
 * hybrid: each batch is an x-x batch with probability α, else an x-y batch. The batches come
 * from an x-x and an x-y sampler built with the same pools, batch size and seed, so the hybrid's
 * monolingual batches are, in order, exactly the batches an x-x sampler would give (and likewise
 * for x-y); only the coin that picks between them is the hybrid's own.
 *
 * α = "by-size" sets α = M / (M + C), M and C the monolingual and cross-lingual pool sizes in
 * pairs (TrainingPools.monoPairs, crossPairs): a batch kind is drawn as often as its pool is
 * large, the paper's "sampled based on dataset size".
 *
 * Epoch: floor((M + C) / batchSize) batches, as many pairs as both pools hold; with "by-size"
 * each part then gets about its own epoch's worth.
 */
import { mulberry32 } from "../util/random.js";
import { EpochSampler } from "./epoch-sampler.js";
import { alphaProblem, assertNoProblem } from "./options.js";
import type { TrainingPools } from "./pools.js";
import type { Batch, SamplerOptions } from "./types.js";
import { deriveSeed } from "./seed.js";
import { MonolingualSampler } from "./x-x.js";
import { CrossLingualSampler } from "./x-y.js";

/** The paper's best value (stable for 0.4 to 0.6). */
export const DEFAULT_ALPHA = 0.5;

export class HybridSampler extends EpochSampler {
  readonly name = "hybrid" as const;
  readonly length: number;
  /** The probability of a monolingual batch, "by-size" resolved. */
  readonly alpha: number;
  /** Absent when its batch kind is never drawn (α = 0 or 1), so a pool too small for it is no error. */
  readonly monolingual: MonolingualSampler | undefined;
  readonly crossLingual: CrossLingualSampler | undefined;

  constructor(pools: TrainingPools, options: SamplerOptions) {
    super(pools, options);
    const alpha = options.alpha ?? DEFAULT_ALPHA;
    assertNoProblem(alphaProblem(alpha));
    this.alpha = alpha === "by-size" ? bySizeAlpha(pools) : alpha;
    const part = <T>(what: string, build: () => T): T => {
      try {
        return build();
      } catch (err) {
        throw new RangeError(`hybrid with alpha = ${this.alpha} draws ${what} batches, but ${(err as Error).message}`);
      }
    };
    this.monolingual = this.alpha > 0 ? part("x-x", () => new MonolingualSampler(pools, options)) : undefined;
    this.crossLingual = this.alpha < 1 ? part("x-y", () => new CrossLingualSampler(pools, options)) : undefined;
    this.length = Math.floor((pools.monoPairs + pools.crossPairs) / this.batchSize);
  }

  *stream(epoch: number): Generator<Batch, never, undefined> {
    const coin = mulberry32(deriveSeed(this.seed, epoch, "hybrid", "kind"));
    const mono = this.monolingual?.stream(epoch);
    const cross = this.crossLingual?.stream(epoch);
    for (;;) {
      // rand() < 1 always and < 0 never, so α = 1 or 0 never touches the missing part.
      const part = coin() < this.alpha ? mono : cross;
      yield part!.next().value;
    }
  }
}

/** α = M / (M + C): the monolingual pool's share of all pairs. */
export function bySizeAlpha(pools: TrainingPools): number {
  const total = pools.monoPairs + pools.crossPairs;
  if (total === 0) throw new RangeError("alpha 'by-size' needs training records (both pools are empty)");
  return pools.monoPairs / total;
}
