/**
 * x-x: monolingual batches. Every batch holds pairs of one language, query and passage both in
 * it; the language is drawn uniformly, so a small language is trained on as often as a large one
 * (the paper's X-X-mono), and within a language its groups are walked in shuffled passes.
 *
 * Epoch: floor(P / batchSize) batches, where P counts the monolingual pairs of the languages
 * drawn from, i.e. as many pairs as those languages hold. Because the draw is uniform, a
 * language with more groups than P / L (L languages) is not fully seen within one epoch and a
 * smaller one is seen more than once; its pass continues into the next batch of that language
 * within the epoch, and each epoch starts fresh passes.
 *
 * A language whose groups fall in fewer than batchSize clusters (TrainingPools: groups that must
 * not share a batch; usually one per group) is skipped and listed in `skippedLanguages`: every
 * batch then has exactly batchSize pairs, so the number of in-batch negatives, and with it the
 * loss's scale, is the same for every batch.
 */
import { mulberry32, randomInt } from "../util/random.js";
import { EpochSampler } from "./epoch-sampler.js";
import { ShuffledPasses } from "./passes.js";
import { distinctClusters, type TrainingPools } from "./pools.js";
import type { Batch, SamplerOptions } from "./types.js";
import { deriveSeed } from "./seed.js";

export class MonolingualSampler extends EpochSampler {
  readonly name = "x-x" as const;
  readonly length: number;
  /** The languages batches are drawn from: those whose groups fill a batch. */
  readonly languages: readonly string[];
  readonly skippedLanguages: readonly string[];

  constructor(pools: TrainingPools, options: SamplerOptions) {
    super(pools, options);
    const size = (lang: string) => pools.mono.get(lang)!.length;
    const clusters = (lang: string) => distinctClusters(pools, pools.mono.get(lang)!);
    this.languages = pools.languages.filter((lang) => clusters(lang) >= this.batchSize);
    this.skippedLanguages = pools.languages.filter((lang) => clusters(lang) < this.batchSize);
    if (this.languages.length === 0) {
      const sizes = pools.languages.map((lang) => `${lang}: ${clusters(lang)}`).join(", ");
      throw new RangeError(
        `x-x needs a language with groups in at least batchSize = ${this.batchSize} clusters (have ${sizes || "no records"})`,
      );
    }
    this.length = Math.floor(this.languages.reduce((sum, lang) => sum + size(lang), 0) / this.batchSize);
  }

  *stream(epoch: number): Generator<Batch, never, undefined> {
    const { groups } = this.pools;
    const pick = mulberry32(deriveSeed(this.seed, epoch, "x-x", "language"));
    const passes = this.languages.map(
      (lang) =>
        new ShuffledPasses(
          this.pools.mono.get(lang)!,
          (g) => groups[g].cluster,
          mulberry32(deriveSeed(this.seed, epoch, "x-x", "groups", lang)),
        ),
    );
    for (;;) {
      const l = randomInt(pick, this.languages.length);
      const lang = this.languages[l];
      const pairs = passes[l].take(this.batchSize).map((g) => {
        const record = groups[g].records.get(lang)!;
        return { group: groups[g].id, queryLang: lang, passageLang: lang, query: record, passage: record };
      });
      yield { kind: "mono", pairs };
    }
  }
}
