/**
 * Is run A better than run B on a benchmark, or is the difference noise? The paper reports
 * single numbers without tests; here any two runs evaluated on the same queries get a paired
 * test over queries, on the per-query values of per-query.json (AP per setting, or rank distance).
 *
 * The statistic is the difference of the table's number: a macro mean over query languages of
 * the per-language means, so the test is about exactly what the ablation table shows (on
 * XQuAD-R, where every language has the same questions, this equals the plain mean over queries).
 *
 * - p-value: a paired randomisation (sign-flip) test. Under the null hypothesis the two runs are
 *   exchangeable on every query, so each query's difference is equally likely with either sign;
 *   p is the share of random sign assignments whose |statistic| reaches the observed one, counted
 *   as (hits + 1) / (rounds + 1) so it is never 0.
 * - confidence interval: a percentile bootstrap of the statistic, resampling queries within each
 *   language (stratified, so every resample keeps the languages' weights).
 *
 * Both are seeded (mulberry32): the same inputs give the same p-value and interval every time.
 *
 * @example
 * const a = await new RunDir("runs/grids/small/3f2a…").readPerQuery();
 * const b = await new RunDir("runs/grids/small/9c1d…").readPerQuery();
 * const t = compareRuns(a!, b!, "multiAP");
 * console.log(`Δ ${t.difference.toFixed(3)} [${t.ci[0].toFixed(3)}, ${t.ci[1].toFixed(3)}], p = ${t.pValue.toFixed(3)}`);
 */
import type { PerQueryResult } from "./result.js";
import { quantileSorted } from "./stats.js";
import { mulberry32, randomInt } from "../util/random.js";

/** The per-query columns a test can compare. */
export type PerQueryMetric = "monoAP" | "crossAP" | "multiAP" | "rankDistance";

export interface PairedTestOptions {
  /** Random sign assignments and bootstrap resamples, each (default 10,000). */
  readonly rounds?: number;
  readonly seed?: number;
  /** Of the interval (default 0.95). */
  readonly confidence?: number;
  /** Significance level for `significant` (default 0.05). */
  readonly alpha?: number;
}

export interface PairedTest {
  /** Queries with a value in both runs. */
  readonly n: number;
  /** The statistic of each run: macro mean over languages of the per-language means. */
  readonly meanA: number;
  readonly meanB: number;
  /** meanA − meanB. */
  readonly difference: number;
  /** Two-sided randomisation p-value. */
  readonly pValue: number;
  /** Bootstrap percentile interval of `difference`. */
  readonly ci: readonly [number, number];
  readonly confidence: number;
  readonly rounds: number;
  /** pValue < alpha. */
  readonly significant: boolean;
}

/** Paired values: a[i] and b[i] belong to one query, whose language (stratum) is strata[i]. */
export interface PairedSample {
  readonly a: readonly number[];
  readonly b: readonly number[];
  readonly strata: readonly string[];
}

/**
 * The paired test of `sample` (see the module comment).
 *
 * @example
 * pairedTest({ a: [0.5, 1, 0.2], b: [0.4, 0.9, 0.1], strata: ["de", "de", "en"] });
 */
export function pairedTest(sample: PairedSample, options: PairedTestOptions = {}): PairedTest {
  const rounds = options.rounds ?? 10_000;
  const confidence = options.confidence ?? 0.95;
  const alpha = options.alpha ?? 0.05;
  const seed = options.seed ?? 0;
  const { a, b, strata } = sample;
  if (a.length !== b.length || a.length !== strata.length) {
    throw new RangeError(`paired test: ${a.length} values in A, ${b.length} in B and ${strata.length} strata; they must be equal`);
  }
  if (a.length === 0) throw new RangeError("paired test: no query has a value in both runs");
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`paired test: rounds must be a positive integer, got ${rounds}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`paired test: confidence must be in (0, 1), got ${confidence}`);

  // Each query's weight in the macro mean: 1 / (languages × queries of its language).
  const stratumIds = new Map<string, number>();
  const stratumOf = Int32Array.from(strata, (s) => {
    if (!stratumIds.has(s)) stratumIds.set(s, stratumIds.size);
    return stratumIds.get(s)!;
  });
  const numStrata = stratumIds.size;
  const counts = new Float64Array(numStrata);
  for (const s of stratumOf) counts[s]++;
  const n = a.length;
  const weight = Float64Array.from(stratumOf, (s) => 1 / (numStrata * counts[s]));
  const diff = Float64Array.from(a, (x, i) => x - b[i]);
  let meanA = 0;
  let meanB = 0;
  let observed = 0;
  for (let i = 0; i < n; i++) {
    meanA += weight[i] * a[i];
    meanB += weight[i] * b[i];
    observed += weight[i] * diff[i];
  }

  // Randomisation: flip each query's sign with probability 1/2. A small tolerance keeps ties
  // with the observed statistic (e.g. all differences 0) counted as "at least as extreme".
  const rand = mulberry32(seed);
  const threshold = Math.abs(observed) - 1e-12;
  let hits = 0;
  for (let r = 0; r < rounds; r++) {
    let t = 0;
    for (let i = 0; i < n; i++) t += rand() < 0.5 ? weight[i] * diff[i] : -weight[i] * diff[i];
    if (Math.abs(t) >= threshold) hits++;
  }
  const pValue = (hits + 1) / (rounds + 1);

  // Stratified bootstrap: resample each language's queries with replacement.
  const members: number[][] = Array.from({ length: numStrata }, () => []);
  for (let i = 0; i < n; i++) members[stratumOf[i]].push(i);
  const boot = new Float64Array(rounds);
  const randBoot = mulberry32(seed ^ 0x9e3779b9);
  for (let r = 0; r < rounds; r++) {
    let t = 0;
    for (const ids of members) {
      let sum = 0;
      for (let k = 0; k < ids.length; k++) sum += diff[ids[randomInt(randBoot, ids.length)]];
      t += sum / ids.length / numStrata;
    }
    boot[r] = t;
  }
  boot.sort();
  const tail = (1 - confidence) / 2;
  const ci = [quantileSorted(boot, tail), quantileSorted(boot, 1 - tail)] as const;
  return { n, meanA, meanB, difference: observed, pValue, ci, confidence, rounds, significant: pValue < alpha };
}

/**
 * Pairs two runs' per-query values of `metric` by query id (by position when the results carry
 * no ids), keeping the queries that have a value in both. Runs evaluated on different query
 * sets are an error: a paired test needs the same queries.
 */
export function pairPerQuery(a: PerQueryResult, b: PerQueryResult, metric: PerQueryMetric): PairedSample {
  const idsA = a.queryId ?? a.queryIndex.map(String);
  const idsB = b.queryId ?? b.queryIndex.map(String);
  if (idsA.length !== idsB.length || idsA.some((id, i) => id !== idsB[i])) {
    throw new RangeError(
      `the two runs were evaluated on different queries (${idsA.length} vs ${idsB.length}): ` +
        `a paired test needs the same benchmark, languages and question subset`,
    );
  }
  const out = { a: [] as number[], b: [] as number[], strata: [] as string[] };
  const va = a[metric];
  const vb = b[metric];
  for (let q = 0; q < idsA.length; q++) {
    const x = va[q];
    const y = vb[q];
    if (x === null || y === null) continue;
    out.a.push(x);
    out.b.push(y);
    out.strata.push(a.lang[q]);
  }
  return out;
}

/** `pairedTest` of two runs' per-query values (see {@link pairPerQuery}). */
export function compareRuns(a: PerQueryResult, b: PerQueryResult, metric: PerQueryMetric, options: PairedTestOptions = {}): PairedTest {
  return pairedTest(pairPerQuery(a, b, metric), options);
}

/**
 * The per-query mean over several runs of one configuration (seeds), for testing configurations
 * rather than single runs: a query keeps a value only when every run has one.
 */
export function meanOverRuns(runs: readonly PerQueryResult[]): PerQueryResult {
  if (runs.length === 0) throw new RangeError("meanOverRuns: no runs");
  const [first] = runs;
  for (const r of runs) pairPerQuery(first, r, "multiAP"); // same queries, or a clear error
  const mean = (metric: PerQueryMetric): (number | null)[] =>
    first[metric].map((_, q) => {
      let sum = 0;
      for (const r of runs) {
        const v = r[metric][q];
        if (v === null) return null;
        sum += v;
      }
      return sum / runs.length;
    });
  return {
    queryIndex: first.queryIndex,
    ...(first.queryId ? { queryId: first.queryId } : {}),
    lang: first.lang,
    monoAP: mean("monoAP"),
    crossAP: mean("crossAP"),
    multiAP: mean("multiAP"),
    rankDistance: mean("rankDistance"),
    // Ranks are per run: averaging them would invent positions, so the first run's are kept.
    poolRank: first.poolRank,
  };
}

/** Mean and spread of one number over seeds. */
export interface SeedSpread {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (n − 1); 0 for one seed. */
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

export function seedSpread(values: readonly number[]): SeedSpread {
  if (values.length === 0) throw new RangeError("seedSpread: no values");
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, std, min: Math.min(...values), max: Math.max(...values) };
}

/** An exact permutation test between two configurations' per-seed values. */
export interface SeedTest {
  /** Seeds of A and of B. */
  readonly nA: number;
  readonly nB: number;
  /** mean(A) − mean(B). */
  readonly difference: number;
  /** Two-sided p: twice the smaller one-sided p, capped at 1 (scipy.stats.permutation_test's rule). */
  readonly pValue: number;
  /**
   * The smallest p any data could give with these seed counts: 2 / C(nA + nB, nA), 0.1 for three
   * seeds a side. A test whose floor is above the level cannot reject at that level.
   */
  readonly minPValue: number;
  /** Every seed of one configuration is above every seed of the other. */
  readonly separated: boolean;
}

/**
 * Is a difference between two configurations larger than the spread between their seeds? An
 * exact two-sample permutation test on one number per seed (e.g. each seed's mAP): every way of
 * relabelling the nA + nB values into groups of nA and nB is enumerated, so no rounds and no
 * seed. The statistic is the difference of the two means.
 *
 * Where the paired test over queries asks whether the per-query differences are larger than
 * query sampling explains, this one asks whether they are larger than retraining with another
 * seed explains. With three seeds a side its p cannot go below 0.1 (`minPValue`), reached only
 * when the seeds separate completely.
 *
 * @example
 * seedPermutationTest([0.493, 0.509, 0.510], [0.530, 0.528, 0.536]); // p = 0.1, separated
 */
export function seedPermutationTest(a: readonly number[], b: readonly number[]): SeedTest {
  if (a.length === 0 || b.length === 0) throw new RangeError(`seed test: ${a.length} values in A and ${b.length} in B; each needs at least one`);
  if (a.length + b.length > 24) throw new RangeError(`seed test: ${a.length + b.length} values; exact enumeration is limited to 24`);
  for (const v of [...a, ...b]) if (!Number.isFinite(v)) throw new RangeError(`seed test: value ${v} is not a finite number`);
  const all = [...a, ...b];
  const total = all.reduce((s, v) => s + v, 0);
  const nA = a.length;
  const nB = b.length;
  const statistic = (sumA: number) => sumA / nA - (total - sumA) / nB;
  const observed = statistic(a.reduce((s, v) => s + v, 0));
  // Relabellings whose statistic equals the observed one up to rounding count as ties (scipy also
  // compares with a small relative tolerance), so equal seeds give p = 1, not a rounding accident.
  const tolerance = 1e-12 * Math.max(1, Math.abs(observed));
  let atMost = 0;
  let atLeast = 0;
  let count = 0;
  const visit = (start: number, left: number, sumA: number): void => {
    if (left === 0) {
      const t = statistic(sumA);
      if (t <= observed + tolerance) atMost++;
      if (t >= observed - tolerance) atLeast++;
      count++;
      return;
    }
    for (let i = start; i <= all.length - left; i++) visit(i + 1, left - 1, sumA + all[i]);
  };
  visit(0, nA, 0);
  const pValue = Math.min(1, (2 * Math.min(atMost, atLeast)) / count);
  const separated = Math.min(...a) > Math.max(...b) || Math.max(...a) < Math.min(...b);
  return { nA, nB, difference: observed, pValue, minPValue: Math.min(1, 2 / count), separated };
}
