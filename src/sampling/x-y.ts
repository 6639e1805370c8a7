/**
 * x-y: cross-lingual batches. Every pair takes its query from one language and its passage
 * from another language of the same group; the groups in at least two languages are walked in
 * shuffled passes, and each time a group comes up its (query language, passage language) is
 * drawn uniformly among the k·(k−1) ordered pairs it offers.
 *
 * Epoch: floor(C / batchSize) batches, C = the cross-lingual pool's size in ordered pairs
 * (TrainingPools.crossPairs): as many pairs as the pool holds, so an epoch passes over the groups
 * about C / (groups in ≥ 2 languages) times, each time with a freshly drawn language pair.
 */
import { mulberry32, randomInt } from "../util/random.js";
import { EpochSampler } from "./epoch-sampler.js";
import { ShuffledPasses } from "./passes.js";
import { distinctClusters, type TrainingPools } from "./pools.js";
import type { Batch, SamplerOptions } from "./types.js";
import { deriveSeed } from "./seed.js";

export class CrossLingualSampler extends EpochSampler {
  readonly name = "x-y" as const;
  readonly length: number;

  constructor(pools: TrainingPools, options: SamplerOptions) {
    super(pools, options);
    const clusters = distinctClusters(pools, pools.crossGroups);
    if (clusters < this.batchSize) {
      throw new RangeError(
        `x-y needs groups in two or more languages from at least batchSize = ${this.batchSize} clusters (have ${clusters})`,
      );
    }
    this.length = Math.floor(pools.crossPairs / this.batchSize);
  }

  *stream(epoch: number): Generator<Batch, never, undefined> {
    const { groups } = this.pools;
    const passes = new ShuffledPasses(
      this.pools.crossGroups,
      (g) => groups[g].cluster,
      mulberry32(deriveSeed(this.seed, epoch, "x-y", "groups")),
    );
    const pick = mulberry32(deriveSeed(this.seed, epoch, "x-y", "languages"));
    for (;;) {
      const pairs = passes.take(this.batchSize).map((g) => {
        const { id, langs, records } = groups[g];
        // The passage language is drawn among the k − 1 others: uniform over ordered pairs with q ≠ p.
        const q = randomInt(pick, langs.length);
        let p = randomInt(pick, langs.length - 1);
        if (p >= q) p += 1;
        return {
          group: id,
          queryLang: langs[q],
          passageLang: langs[p],
          query: records.get(langs[q])!,
          passage: records.get(langs[p])!,
        };
      });
      yield { kind: "cross", pairs };
    }
  }
}
