/**
 * A *naive* sampler, a strawman drawn without the group-id rule, so the sampling report can
 * show what the rule prevents. For the report only; training never uses it.
 */
import { DEFAULT_ALPHA, bySizeAlpha } from "./hybrid.js";
import type { Alpha, SamplerName } from "./options.js";
import type { TrainingPools } from "./pools.js";
import { deriveSeed } from "./seed.js";
import type { Batch, BatchPair } from "./types.js";
import { mulberry32, randomInt, type Random } from "../util/random.js";

export interface NaiveOptions {
  readonly batchSize: number;
  readonly seed: number;
  /** Hybrid only: the probability of a monolingual batch, or "by-size" (default 0.5), as for the real hybrid. */
  readonly alpha?: Alpha;
}

/**
 * `count` batches of the named strategy drawn without the group-id rule, each independently:
 * x-x takes a uniform language, then `batchSize` distinct records of it uniformly; x-y takes
 * `batchSize` distinct ordered (group, query language, passage language) pairs uniformly from
 * the whole cross-lingual pool; hybrid flips an α coin between the two per batch. `options`
 * takes a config's `sampler` section as it is. Distinct
 * within a batch, so any repeat it shows comes from the data, not from drawing one pair twice.
 */
export function naiveBatches(pools: TrainingPools, name: SamplerName, count: number, options: NaiveOptions): Batch[] {
  const { batchSize, seed } = options;
  const alpha = options.alpha === "by-size" ? bySizeAlpha(pools) : (options.alpha ?? DEFAULT_ALPHA);
  const rand = mulberry32(deriveSeed(seed, "naive", name));
  const crossPool: BatchPair[] = [];
  for (const g of pools.groups) {
    for (const q of g.langs) {
      for (const d of g.langs) {
        if (q !== d) crossPool.push({ group: g.id, queryLang: q, passageLang: d, query: g.records.get(q)!, passage: g.records.get(d)! });
      }
    }
  }
  const mono = (): Batch => {
    const lang = pools.languages[randomInt(rand, pools.languages.length)];
    const groups = pickDistinct(pools.mono.get(lang)!, batchSize, rand);
    const pairs = groups.map((gi) => {
      const g = pools.groups[gi];
      const r = g.records.get(lang)!;
      return { group: g.id, queryLang: lang, passageLang: lang, query: r, passage: r };
    });
    return { kind: "mono", pairs };
  };
  const cross = (): Batch => ({ kind: "cross", pairs: pickDistinct(crossPool, batchSize, rand) });
  const one = name === "x-x" ? mono : name === "x-y" ? cross : () => (rand() < alpha ? mono() : cross());
  return Array.from({ length: count }, one);
}

/**
 * `k` distinct items of `items`, uniformly: the first k steps of a Fisher–Yates shuffle, with
 * the swaps kept in a map so that a draw costs O(k), not a copy of a 100,000-pair pool.
 */
function pickDistinct<T>(items: readonly T[], k: number, rand: Random): T[] {
  if (k > items.length) throw new RangeError(`cannot pick ${k} distinct items from ${items.length}`);
  const moved = new Map<number, number>(); // position → index of the item now there, where it differs
  const out: T[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rand, items.length - i);
    const at = (p: number) => moved.get(p) ?? p;
    const picked = at(j);
    moved.set(j, at(i));
    out.push(items[picked]);
  }
  return out;
}
