/**
 * What notebook 02-sampling shows about the batch samplers, as pure functions from batches to
 * table rows, statistics and plotly figures: one example batch, the language composition over
 * many batches, the hybrid's share of monolingual batches against α, an audit of the group-id
 * rule, and the uniformity of the x-x language draw.
 *
 * It also holds a *naive* sampler, a strawman drawn without the group-id rule, so the audit
 * can show what the rule prevents. It is for the report only; training never uses it. The one
 * function that reads files, `runTrainingRecords`, gives the records a run's sampler indexes.
 */
import type { PlotlyFigure } from "./display.js";
import { DEFAULT_ALPHA, bySizeAlpha } from "../sampling/hybrid.js";
import type { Alpha } from "../sampling/options.js";
import type { TrainingPools } from "../sampling/pools.js";
import type { Batch, BatchPair, BatchSampler, SamplerName } from "../sampling/sampler.js";
import { deriveSeed } from "../sampling/seed.js";
import type { RunConfig } from "../train/config.js";
import type { TrainingRecord } from "../train-data/format.js";
import { readRunRecords } from "../train/run-records.js";
import { normalizeText } from "../train-data/split.js";
import { mulberry32, randomInt, type Random } from "../util/random.js";

/**
 * The records a run with `config` trains on, as the trainer reads them: its training source
 * (a JSONL file or a converted benchmark), minus the validation split held out by article.
 * These are what its sampler's batches index.
 */
export async function runTrainingRecords(config: RunConfig): Promise<TrainingRecord[]> {
  return (await readRunRecords(config)).train;
}

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

/** One pair of an example batch, as a table row. */
export interface ExamplePairRow {
  readonly pair: number;
  readonly "query → passage": string;
  readonly group: string;
  readonly query: string;
  readonly passage: string;
}

export interface ExampleRowOptions {
  /** Characters kept of the group id (default 10). */
  readonly groupChars?: number;
  /** Characters kept of the query and passage texts (default 60). */
  readonly textChars?: number;
}

/** The pairs of `batch` with their languages, group ids and texts cut short. */
export function exampleBatchRows(batch: Batch, records: readonly TrainingRecord[], opts: ExampleRowOptions = {}): ExamplePairRow[] {
  const groupChars = opts.groupChars ?? 10;
  const textChars = opts.textChars ?? 60;
  return batch.pairs.map((p, i) => ({
    pair: i,
    "query → passage": `${p.queryLang} → ${p.passageLang}`,
    group: truncate(p.group, groupChars),
    query: truncate(records[p.query].query, textChars),
    passage: truncate(records[p.passage].positive, textChars),
  }));
}

function truncate(text: string, chars: number): string {
  const codePoints = [...text];
  return codePoints.length <= chars ? text : `${codePoints.slice(0, Math.max(chars - 1, 0)).join("")}…`;
}

/** How the pairs of many batches spread over (query language, passage language). */
export interface LanguageMix {
  readonly languages: readonly string[];
  /** shares[q][p]: the share of all pairs with query language languages[q] and passage language languages[p]; they sum to 1. */
  readonly shares: readonly (readonly number[])[];
  readonly pairs: number;
  readonly batches: number;
}

/** Pair shares by language; a pair in a language outside `languages` throws. */
export function languageMix(batches: readonly Batch[], languages: readonly string[]): LanguageMix {
  const index = new Map(languages.map((lang, i) => [lang, i]));
  const counts = languages.map(() => languages.map(() => 0));
  let pairs = 0;
  for (const batch of batches) {
    for (const p of batch.pairs) {
      const [q, d] = [index.get(p.queryLang), index.get(p.passageLang)];
      if (q === undefined || d === undefined) throw new Error(`languageMix: pair ${p.queryLang} → ${p.passageLang} has a language outside ${languages.join(", ")}`);
      counts[q][d] += 1;
      pairs += 1;
    }
  }
  return { languages, shares: counts.map((row) => row.map((c) => (pairs === 0 ? 0 : c / pairs))), pairs, batches: batches.length };
}

export interface MixPanel {
  readonly title: string;
  readonly mix: LanguageMix;
}

/**
 * The language mixes side by side, one heatmap each: rows the query language, columns the
 * passage language, cells the share of pairs in percent. Cells no pair falls in are left blank,
 * so the structure (diagonal only, off-diagonal only) shows at a glance. Each panel has its own
 * colour scale (a monolingual cell holds ~1/L of the pairs, a cross-lingual one ~1/L²), so
 * compare panels by the printed numbers, not the colours.
 */
export function languageMixFigure(panels: readonly MixPanel[], title: string): PlotlyFigure {
  const n = panels.length;
  const gap = 0.06;
  const width = (1 - gap * (n - 1)) / n;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = { title: { text: title }, margin: { t: 90 } };
  const annotations: Record<string, unknown>[] = [];
  panels.forEach(({ title: panelTitle, mix }, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    const domain = [i * (width + gap), i * (width + gap) + width];
    const max = Math.max(...mix.shares.flat().map((s) => s * 100));
    data.push({
      type: "heatmap",
      z: mix.shares.map((row) => row.map((s) => (s === 0 ? null : s * 100))),
      x: [...mix.languages],
      y: [...mix.languages],
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      zmin: 0,
      zmax: max > 0 ? max : 1,
      colorscale: "Viridis",
      showscale: false,
      hoverongaps: false,
      texttemplate: "%{z:.1f}",
      textfont: { size: 10 },
      hovertemplate: "query %{y} → passage %{x}: %{z:.2f}% of pairs<extra></extra>",
    });
    layout[`xaxis${suffix}`] = { domain, anchor: `y${suffix}`, type: "category", title: { text: "passage language" } };
    layout[`yaxis${suffix}`] = {
      anchor: `x${suffix}`,
      type: "category",
      autorange: "reversed",
      title: { text: i === 0 ? "query language" : "" },
    };
    annotations.push({
      text: `<b>${panelTitle}</b>`,
      x: (domain[0] + domain[1]) / 2,
      y: 1.02,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
    });
  });
  layout.annotations = annotations;
  return { data, layout };
}

/**
 * Wilson's score interval for a binomial proportion: unlike the normal approximation it stays
 * inside [0, 1] and is not empty at 0 or n successes, the cases α = 0 and α = 1 produce.
 *
 * @example
 * wilsonInterval(200, 400); // [0.451…, 0.548…]
 */
export function wilsonInterval(successes: number, n: number, z = 1.959963984540054): [number, number] {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`successes must be an integer in [0, ${n}], got ${successes}`);
  }
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At 0 or n successes one end is exactly 0 or 1 in exact arithmetic; rounding must not move it inside.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** The observed share of monolingual batches among `batches`, drawn with probability `alpha`. */
export interface MonoShareRow {
  readonly alpha: number;
  readonly batches: number;
  readonly mono: number;
  readonly share: number;
  /** Wilson 95% interval of the share. */
  readonly low: number;
  readonly high: number;
  /** Whether α lies inside [low, high]. */
  readonly covers: boolean;
}

export function monoShare(alpha: number, batches: readonly Batch[]): MonoShareRow {
  const mono = batches.filter((b) => b.kind === "mono").length;
  const [low, high] = wilsonInterval(mono, batches.length);
  return { alpha, batches: batches.length, mono, share: mono / batches.length, low, high, covers: low <= alpha && alpha <= high };
}

/** Observed share with its interval as error bars, against the line y = α. */
export function monoShareFigure(rows: readonly MonoShareRow[], title: string): PlotlyFigure {
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: "y = α",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dash", color: "gray" },
      },
      {
        type: "scatter",
        mode: "markers",
        name: "observed (Wilson 95%)",
        x: rows.map((r) => r.alpha),
        y: rows.map((r) => r.share),
        error_y: { type: "data", symmetric: false, array: rows.map((r) => r.high - r.share), arrayminus: rows.map((r) => r.share - r.low) },
        marker: { size: 8 },
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: "α (probability of a monolingual batch)" }, range: [-0.05, 1.05], dtick: 0.1 },
      yaxis: { title: { text: "share of monolingual batches" }, range: [-0.05, 1.05], dtick: 0.1 },
      legend: { x: 0.02, y: 0.98 },
    },
  };
}

/**
 * Where a query's in-batch negatives (the other pairs' passages) are written, as shares of all
 * (query, negative) combinations: in the query's language, in its positive's language when that
 * differs, or in a third language. In a monolingual batch every negative is in the query's
 * language; a cross-lingual batch mixes all three.
 */
export interface NegativeMix {
  readonly queryLanguage: number;
  readonly positiveLanguage: number;
  readonly otherLanguage: number;
  /** (query, negative) combinations counted: Σ over batches of n·(n − 1). */
  readonly negatives: number;
}

export function negativeMix(batches: readonly Batch[]): NegativeMix {
  let [query, positive, other, total] = [0, 0, 0, 0];
  for (const { pairs } of batches) {
    // Per language, how many passages of the batch are in it; a pair's own passage is taken off below.
    const passagesIn = new Map<string, number>();
    for (const p of pairs) passagesIn.set(p.passageLang, (passagesIn.get(p.passageLang) ?? 0) + 1);
    for (const p of pairs) {
      const own = (lang: string) => (p.passageLang === lang ? 1 : 0);
      const inQuery = (passagesIn.get(p.queryLang) ?? 0) - own(p.queryLang);
      const inPositive = p.passageLang === p.queryLang ? 0 : (passagesIn.get(p.passageLang) ?? 0) - 1;
      const negatives = pairs.length - 1;
      query += inQuery;
      positive += inPositive;
      other += negatives - inQuery - inPositive;
      total += negatives;
    }
  }
  const share = (n: number) => (total === 0 ? 0 : n / total);
  return { queryLanguage: share(query), positiveLanguage: share(positive), otherLanguage: share(other), negatives: total };
}

/** What the group-id rule is about, counted over batches. */
export interface BatchAudit {
  readonly batches: number;
  readonly pairs: number;
  /** Batches in which some group id occurs twice or more. */
  readonly batchesRepeatingGroup: number;
  /** Pairs whose group id occurs in another pair of their batch: a translation of their positive (or the positive itself) is an in-batch negative. */
  readonly pairsRepeatingGroup: number;
  /** Batches in which two pairs have the same positive sentence (equal after normalizeText). */
  readonly batchesSharingPositive: number;
  /** Pairs whose positive sentence is another pair's positive in their batch: for InfoNCE, their own answer counted as a negative. */
  readonly pairsSharingPositive: number;
}

/** Counts repeated groups and shared positives; `records` are the records the batches index. */
export function auditBatches(batches: readonly Batch[], records: readonly TrainingRecord[]): BatchAudit {
  let pairs = 0;
  let batchesRepeatingGroup = 0;
  let pairsRepeatingGroup = 0;
  let batchesSharingPositive = 0;
  let pairsSharingPositive = 0;
  const normalized = new Map<number, string>(); // record index → its normalised positive, computed once
  const positiveOf = (p: BatchPair) => {
    let text = normalized.get(p.passage);
    if (text === undefined) normalized.set(p.passage, (text = normalizeText(records[p.passage].positive)));
    return text;
  };
  for (const batch of batches) {
    pairs += batch.pairs.length;
    const repeated = (keys: string[]) => {
      const counts = new Map<string, number>();
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      return keys.filter((k) => counts.get(k)! > 1).length;
    };
    const groupRepeats = repeated(batch.pairs.map((p) => p.group));
    const positiveRepeats = repeated(batch.pairs.map(positiveOf));
    pairsRepeatingGroup += groupRepeats;
    pairsSharingPositive += positiveRepeats;
    if (groupRepeats > 0) batchesRepeatingGroup += 1;
    if (positiveRepeats > 0) batchesSharingPositive += 1;
  }
  return { batches: batches.length, pairs, batchesRepeatingGroup, pairsRepeatingGroup, batchesSharingPositive, pairsSharingPositive };
}

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

/** Pearson's χ² test of observed category counts against the uniform distribution. */
export interface UniformityTest {
  /** Category → count, in the order given. */
  readonly counts: Readonly<Record<string, number>>;
  readonly total: number;
  readonly expected: number;
  readonly chi2: number;
  readonly df: number;
  /** P(χ²_df ≥ chi2). */
  readonly pValue: number;
}

/**
 * `observed` holds one category per draw (e.g. the language of each x-x batch); a draw outside
 * `categories` throws, and a category never drawn counts 0.
 *
 * @example
 * uniformityTest(["en", "de", "en", "de"], ["en", "de"]).chi2; // 0
 */
export function uniformityTest(observed: readonly string[], categories: readonly string[]): UniformityTest {
  if (categories.length < 2) throw new RangeError(`a uniformity test needs at least 2 categories, got ${categories.length}`);
  if (observed.length === 0) throw new RangeError("a uniformity test needs at least one draw");
  const counts = new Map(categories.map((c) => [c, 0]));
  for (const o of observed) {
    const c = counts.get(o);
    if (c === undefined) throw new Error(`uniformityTest: draw '${o}' is not one of ${categories.join(", ")}`);
    counts.set(o, c + 1);
  }
  const expected = observed.length / categories.length;
  const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
  const df = categories.length - 1;
  return { counts: Object.fromEntries(counts), total: observed.length, expected, chi2, df, pValue: chiSquareSurvival(chi2, df) };
}

/**
 * P(X ≥ x) for X ~ χ² with `df` degrees of freedom: the regularised upper incomplete gamma
 * function Q(df/2, x/2), by its series below a + 1 and its continued fraction above
 * (Numerical Recipes §6.2), accurate to ~1e-12.
 *
 * @example
 * chiSquareSurvival(3.841458820694124, 1); // 0.05
 */
export function chiSquareSurvival(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`df must be positive, got ${df}`);
  if (!(x >= 0)) throw new RangeError(`x must be ≥ 0, got ${x}`);
  if (x === 0) return 1;
  const a = df / 2;
  const y = x / 2;
  const front = Math.exp(-y + a * Math.log(y) - logGamma(a));
  if (y < a + 1) {
    // Lower series P(a, y) = front · Σ yⁿ / (a (a+1) … (a+n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= y / (a + n);
      sum += term;
    }
    return Math.min(1, Math.max(0, 1 - front * sum));
  }
  // Continued fraction for Q(a, y), modified Lentz.
  const tiny = 1e-300;
  let b = y + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.max(0, front * h));
}

/** ln Γ(z) for z > 0 (Lanczos, g = 7, 9 terms: ~15 digits). */
function logGamma(z: number): number {
  const g = 7;
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let sum = c[0];
  for (let i = 1; i < g + 2; i++) sum += c[i] / (x + i);
  const t = x + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** One category of a uniformity test. */
export interface UniformityRow {
  readonly category: string;
  readonly count: number;
  readonly expected: number;
  /** (count − expected) / sd, sd = √(n p (1 − p)) with p = 1 / categories: a multinomial count's spread. */
  readonly deviation: number;
}

export function uniformityRows(test: UniformityTest): UniformityRow[] {
  const sd = Math.sqrt(test.expected * (1 - 1 / Object.keys(test.counts).length));
  return Object.entries(test.counts).map(([category, count]) => ({ category, count, expected: test.expected, deviation: (count - test.expected) / sd }));
}
