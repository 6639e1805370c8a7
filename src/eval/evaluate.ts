/**
 * The LAReQA protocol (mono / cross / multi mAP, recall, MRR, language bias) over any Scorer.
 *
 * Each query's score row covers every candidate, and all settings are read off that one row
 * without sorting it. Every metric is a function of the pessimistic ranks of the relevant
 * candidates (`metrics.ts`), and a relevant candidate's rank in any language subset is the
 * number of candidates of those languages scoring ≥ it. With the query's relevant scores sorted
 * as thresholds t_0 ≥ … ≥ t_{m−1}, one pass over the row drops each candidate into the bucket of
 * the highest threshold it reaches, per candidate language; prefix sums over the buckets then
 * give, for every relevant candidate and every language, the count scoring ≥ it. A language's
 * setting uses its column, the multilingual pool the row sum. Cost: O(candidates) per query, plus
 * O(relevant × languages); no per-candidate allocation.
 *
 * Aggregation (the paper: "mean per query language, then macro mean over languages"):
 * - mono, multi: mean over the query language's scorable queries, macro mean over languages.
 * - cross: grid cell (a, b) = mean over a's queries with a relevant candidate in b; language a =
 *   mean of its off-diagonal cells; headline = macro mean over a. Every target language weighs the
 *   same within a row, so on MLQA-R a target few questions reach is not drowned by the others.
 * - language bias: per-query rank distance in the pool, same two-level mean.
 * Skipped: a query in a setting where it has no relevant candidate (cross targets a question was
 * never translated into); for rank distance, a query with fewer than two relevant candidates.
 * Languages with nothing scorable are null and left out of the macro means.
 */
import type { EvalTask, Scorer } from "./types.js";
import type {
  CrossMatrix,
  EvaluationResult,
  LanguageBias,
  MetricSummary,
  PerQueryResult,
} from "./result.js";
import {
  averagePrecisionFromRanks,
  rankDistanceFromRanks,
  recallAtKFromRanks,
  reciprocalRankFromRanks,
} from "./metrics.js";

/**
 * @example
 * const result = await evaluate(task, scorer, {
 *   recallKs: [1, 10],
 *   blockSize: 512,
 *   keepPerQuery: true,
 *   onProgress: (done, total) => log.info(`${done}/${total} queries`),
 * });
 */
export interface EvaluateOptions {
  /** k values for recall@k, positive integers (default [1, 5, 10, 100]). */
  readonly recallKs?: readonly number[];
  /**
   * Queries scored per `scoreBlock` call. Default: as many as fit a 64 MiB float32 block, at most
   * 1024 (1024 on XQuAD-R's 13,014 candidates: 53 MB). An asynchronous scorer gets two such
   * buffers, one being filled while the other's metrics run.
   */
  readonly blockSize?: number;
  /** Keep per-query AP and rank distance (`EvaluationResult.perQuery`) for significance tests. */
  readonly keepPerQuery?: boolean;
  /** Called after each block with the number of queries done so far. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Called with every query's score row, `block[offset .. offset + numCandidates)`, before its
   * metrics: how TREC runs are taken from the same pass (`lareqa-runs.ts`). The block is reused
   * afterwards, so copy what must outlive the call.
   */
  readonly onScores?: (q: number, block: Float32Array, offset: number) => void;
}

export const DEFAULT_RECALL_KS: readonly number[] = [1, 5, 10, 100];

const BLOCK_BYTES = 64 * 2 ** 20;
const MAX_DEFAULT_BLOCK = 1024;

export async function evaluate(
  task: EvalTask,
  scorer: Scorer,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  validateTask(task, scorer);
  const recallKs = resolveRecallKs(options.recallKs ?? DEFAULT_RECALL_KS);
  const numQueries = scorer.numQueries;
  const numCandidates = scorer.numCandidates;
  const blockSize = resolveBlockSize(options.blockSize, numCandidates);
  const ranker = new RowRanker(task, numCandidates);
  const sums = new ProtocolSums(task, recallKs, options.keepPerQuery ?? false);

  const blockLength = Math.min(blockSize, numQueries) * numCandidates;
  const buffers = [new Float32Array(blockLength)];
  const request = (start: number, buffer: Float32Array): PendingBlock => {
    const count = Math.min(blockSize, numQueries - start);
    const block = buffer.subarray(0, count * numCandidates); // [count × numCandidates]
    return { start, count, block, done: scorer.scoreBlock(start, count, block) };
  };
  let pending: PendingBlock | null = numQueries > 0 ? request(0, buffers[0]) : null;
  while (pending !== null) {
    const { start, count, block, done } = pending;
    await done;
    const next = start + count;
    pending = null;
    if (done !== undefined && next < numQueries) {
      // An asynchronous scorer (a worker pool) scores the next block into a second buffer while
      // this block's metrics run; a synchronous one keeps to one buffer.
      if (buffers.length === 1) buffers.push(new Float32Array(blockLength));
      pending = request(next, block.buffer === buffers[0].buffer ? buffers[1] : buffers[0]);
      // Marked handled so a failure here while this block throws is not an unhandled rejection;
      // awaiting it next round still throws.
      Promise.resolve(pending.done).catch(() => undefined);
    }
    for (let i = 0; i < count; i++) {
      const q = start + i;
      options.onScores?.(q, block, i * numCandidates);
      if (task.relevant[q].length === 0) continue;
      ranker.rank(q, block, i * numCandidates);
      sums.addQuery(q, ranker);
    }
    options.onProgress?.(next, numQueries);
    if (pending === null && next < numQueries) pending = request(next, buffers[0]);
  }
  return sums.result(numQueries, numCandidates);
}

interface PendingBlock {
  readonly start: number;
  readonly count: number;
  readonly block: Float32Array;
  readonly done: void | Promise<void>;
}

/**
 * Pessimistic ranks of one query's relevant candidates, in their own language and in the pool,
 * from one pass over its score row (see the file comment). Scratch buffers are sized once.
 */
class RowRanker {
  /** Per relevant candidate j (task order): rank among candidates of its own language. */
  readonly ownLanguageRank: Int32Array;
  /** Per relevant candidate j: rank among all candidates. */
  readonly poolRank: Int32Array;
  private readonly thresholds: Float64Array;
  private readonly order: Int32Array;
  private readonly bucketOf: Int32Array;
  private readonly counts: Int32Array;
  // Maximal runs of consecutive candidates sharing a language, so the hot loop reads no
  // per-candidate language; a benchmark's candidates come grouped by language (11 runs).
  private readonly runStart: Int32Array;
  private readonly runEnd: Int32Array;
  private readonly runLang: Int32Array;

  constructor(
    private readonly task: EvalTask,
    numCandidates: number,
  ) {
    let maxRelevant = 0;
    for (const r of task.relevant) maxRelevant = Math.max(maxRelevant, r.length);
    const numLangs = task.languages.length;
    this.ownLanguageRank = new Int32Array(maxRelevant);
    this.poolRank = new Int32Array(maxRelevant);
    this.thresholds = new Float64Array(maxRelevant);
    this.order = new Int32Array(maxRelevant);
    this.bucketOf = new Int32Array(maxRelevant);
    this.counts = new Int32Array(maxRelevant * numLangs);

    const starts: number[] = [];
    const langs: number[] = [];
    for (let c = 0; c < numCandidates; c++) {
      if (c === 0 || task.candidateLang[c] !== task.candidateLang[c - 1]) {
        starts.push(c);
        langs.push(task.candidateLang[c]);
      }
    }
    this.runStart = Int32Array.from(starts);
    this.runEnd = Int32Array.from(starts.slice(1).concat(numCandidates));
    this.runLang = Int32Array.from(langs);
  }

  /** Ranks query q, whose scores are row[offset .. offset + numCandidates). */
  rank(q: number, row: Float32Array, offset: number): void {
    const relevant = this.task.relevant[q];
    const m = relevant.length;
    const numLangs = this.task.languages.length;
    const { thresholds, order, bucketOf, counts } = this;

    // Insertion sort of the ≤ ~11 relevant scores, descending.
    for (let j = 0; j < m; j++) {
      const s = row[offset + relevant[j]];
      if (Number.isNaN(s)) throw new RangeError(`query ${q}: score of candidate ${relevant[j]} is NaN`);
      let p = j;
      for (; p > 0 && thresholds[p - 1] < s; p--) {
        thresholds[p] = thresholds[p - 1];
        order[p] = order[p - 1];
      }
      thresholds[p] = s;
      order[p] = j;
    }
    for (let p = 0; p < m; p++) bucketOf[order[p]] = p;

    // counts[p*L + l]: candidates of language l whose highest reached threshold is t_p.
    counts.fill(0, 0, m * numLangs);
    const lowest = thresholds[m - 1];
    for (let r = 0; r < this.runLang.length; r++) {
      const lang = this.runLang[r];
      const end = offset + this.runEnd[r];
      for (let c = offset + this.runStart[r]; c < end; c++) {
        const x = row[c];
        if (x < lowest) continue;
        if (x !== x) throw new RangeError(`query ${q}: score of candidate ${c - offset} is NaN`);
        let p = 0;
        while (x < thresholds[p]) p++;
        counts[p * numLangs + lang]++;
      }
    }
    // Prefix sums: counts[p*L + l] becomes #candidates of language l scoring ≥ t_p.
    for (let i = numLangs; i < m * numLangs; i++) counts[i] += counts[i - numLangs];

    for (let j = 0; j < m; j++) {
      const base = bucketOf[j] * numLangs;
      let total = 0;
      for (let l = 0; l < numLangs; l++) total += counts[base + l];
      this.poolRank[j] = total;
      this.ownLanguageRank[j] = counts[base + this.task.candidateLang[relevant[j]]];
    }
  }
}

/** Everything the protocol accumulates over queries, and the result built from it. */
class ProtocolSums {
  private readonly numLangs: number;
  /** Cells a*L + b: query language a against target language b (the diagonal is mono). */
  private readonly grid: MetricSums;
  /** Cell a: query language a against the pool of all languages. */
  private readonly pool: MetricSums;
  private readonly biasCount: Float64Array;
  private readonly biasSum: Float64Array;
  private readonly perQuery: MutablePerQuery | undefined;
  // Scratch for one query's ranks, per target language and in the pool.
  private readonly byLang: number[][];
  private readonly poolRanks: number[] = [];

  constructor(
    private readonly task: EvalTask,
    private readonly recallKs: readonly number[],
    keepPerQuery: boolean,
  ) {
    const numLangs = task.languages.length;
    this.numLangs = numLangs;
    this.grid = new MetricSums(numLangs * numLangs, recallKs);
    this.pool = new MetricSums(numLangs, recallKs);
    this.biasCount = new Float64Array(numLangs);
    this.biasSum = new Float64Array(numLangs);
    this.perQuery = keepPerQuery ? emptyPerQuery(task) : undefined;
    this.byLang = task.languages.map(() => []);
  }

  addQuery(q: number, ranker: RowRanker): void {
    const { task, byLang, poolRanks, perQuery } = this;
    const relevant = task.relevant[q];
    for (const ranks of byLang) ranks.length = 0;
    poolRanks.length = 0;
    for (let j = 0; j < relevant.length; j++) {
      byLang[task.candidateLang[relevant[j]]].push(ranker.ownLanguageRank[j]);
      poolRanks.push(ranker.poolRank[j]);
    }

    const a = task.queryLang[q];
    let crossSum = 0;
    let crossCount = 0;
    for (let b = 0; b < this.numLangs; b++) {
      if (byLang[b].length === 0) continue; // no answer in b: this setting skips q
      const ap = this.grid.add(a * this.numLangs + b, byLang[b]);
      if (b !== a) {
        crossSum += ap;
        crossCount++;
      } else if (perQuery) perQuery.monoAP[q] = ap;
    }
    const multiAP = this.pool.add(a, poolRanks);
    const distance = rankDistanceFromRanks(poolRanks);
    if (!Number.isNaN(distance)) {
      this.biasCount[a]++;
      this.biasSum[a] += distance;
    }
    if (perQuery) {
      perQuery.multiAP[q] = multiAP;
      perQuery.crossAP[q] = crossCount > 0 ? crossSum / crossCount : null;
      perQuery.rankDistance[q] = Number.isNaN(distance) ? null : distance;
      const best: (number | null)[] = new Array<number | null>(this.numLangs).fill(null);
      for (let j = 0; j < relevant.length; j++) {
        const l = task.candidateLang[relevant[j]];
        const rank = ranker.poolRank[j];
        if (best[l] === null || rank < best[l]!) best[l] = rank;
      }
      perQuery.poolRank[q] = best;
    }
  }

  result(numQueries: number, numCandidates: number): EvaluationResult {
    const { task, recallKs, grid, numLangs } = this;
    const langs = task.languages;
    const cell = (a: number, b: number): MetricSummary => grid.summary(a * numLangs + b);
    const monoRows = langs.map((lang, a) => ({ lang, ...cell(a, a) }));
    const crossRows = langs.map((lang, a) => ({
      lang,
      ...meanOf(
        langs.flatMap((_, b) => (b === a ? [] : [cell(a, b)])),
        recallKs,
      ),
    }));
    const multiRows = langs.map((lang, a) => ({ lang, ...this.pool.summary(a) }));
    const matrix: CrossMatrix = {
      languages: [...langs],
      map: langs.map((_, a) => langs.map((_, b) => cell(a, b).map)),
      recallAt1: langs.map((_, a) => langs.map((_, b) => grid.meanRecallAt1(a * numLangs + b))),
      queries: langs.map((_, a) => langs.map((_, b) => grid.count[a * numLangs + b])),
    };
    return {
      languages: [...langs],
      recallKs: [...recallKs],
      numQueries,
      numCandidates,
      mono: { mean: meanOf(monoRows, recallKs), perLanguage: monoRows },
      cross: { mean: meanOf(crossRows, recallKs), perLanguage: crossRows, matrix },
      multi: { mean: meanOf(multiRows, recallKs), perLanguage: multiRows },
      languageBias: this.languageBias(),
      ...(this.perQuery ? { perQuery: this.perQuery } : {}),
    };
  }

  private languageBias(): LanguageBias {
    const perLanguage = this.task.languages.map((lang, a) => ({
      lang,
      meanRankDistance: this.biasCount[a] > 0 ? this.biasSum[a] / this.biasCount[a] : null,
      queries: this.biasCount[a],
    }));
    const present = perLanguage.flatMap((r) => (r.meanRankDistance === null ? [] : [r.meanRankDistance]));
    return {
      mean: present.length > 0 ? present.reduce((s, d) => s + d, 0) / present.length : null,
      perLanguage,
      queries: perLanguage.reduce((s, r) => s + r.queries, 0),
    };
  }
}

/** Running sums of each metric per cell; a cell is one (query language[, target language]). */
class MetricSums {
  readonly count: Float64Array;
  private readonly ap: Float64Array;
  private readonly rr: Float64Array;
  private readonly r1: Float64Array;
  /** [recallKs.length × cells] */
  private readonly recall: Float64Array;

  constructor(
    private readonly cells: number,
    private readonly recallKs: readonly number[],
  ) {
    this.count = new Float64Array(cells);
    this.ap = new Float64Array(cells);
    this.rr = new Float64Array(cells);
    this.r1 = new Float64Array(cells);
    this.recall = new Float64Array(cells * recallKs.length);
  }

  /** Adds one query's setting, given its relevant candidates' ranks there; returns its AP. */
  add(cell: number, ranks: readonly number[]): number {
    const ap = averagePrecisionFromRanks(ranks);
    this.count[cell]++;
    this.ap[cell] += ap;
    this.rr[cell] += reciprocalRankFromRanks(ranks);
    this.r1[cell] += recallAtKFromRanks(ranks, 1);
    for (let k = 0; k < this.recallKs.length; k++) {
      this.recall[k * this.cells + cell] += recallAtKFromRanks(ranks, this.recallKs[k]);
    }
    return ap;
  }

  summary(cell: number): MetricSummary {
    const n = this.count[cell];
    const mean = (sum: number): number | null => (n > 0 ? sum / n : null);
    const recall: Record<string, number | null> = {};
    this.recallKs.forEach((k, i) => (recall[String(k)] = mean(this.recall[i * this.cells + cell])));
    return { map: mean(this.ap[cell]), mrr: mean(this.rr[cell]), recall, queries: n };
  }

  meanRecallAt1(cell: number): number | null {
    return this.count[cell] > 0 ? this.r1[cell] / this.count[cell] : null;
  }
}

/**
 * Unweighted mean of summaries over those with a value, metric by metric; `queries` is their
 * total. Serves both the cross row (cells → language) and every macro mean (languages → headline).
 */
function meanOf(items: readonly MetricSummary[], recallKs: readonly number[]): MetricSummary {
  const mean = (values: (number | null)[]): number | null => {
    const present = values.filter((v): v is number => v !== null);
    return present.length > 0 ? present.reduce((s, v) => s + v, 0) / present.length : null;
  };
  const recall: Record<string, number | null> = {};
  for (const k of recallKs) recall[String(k)] = mean(items.map((it) => it.recall[String(k)]));
  return {
    map: mean(items.map((it) => it.map)),
    mrr: mean(items.map((it) => it.mrr)),
    recall,
    queries: items.reduce((s, it) => s + it.queries, 0),
  };
}

type MutablePerQuery = { -readonly [K in keyof PerQueryResult]: PerQueryResult[K] };

function emptyPerQuery(task: EvalTask): MutablePerQuery {
  const numQueries = task.queryLang.length;
  const nulls = (): (number | null)[] => new Array<number | null>(numQueries).fill(null);
  return {
    queryIndex: Array.from({ length: numQueries }, (_, q) => q),
    ...(task.queryIds ? { queryId: [...task.queryIds] } : {}),
    lang: Array.from(task.queryLang, (a) => task.languages[a]),
    monoAP: nulls(),
    crossAP: nulls(),
    multiAP: nulls(),
    rankDistance: nulls(),
    poolRank: Array.from({ length: numQueries }, () => new Array<number | null>(task.languages.length).fill(null)),
  };
}

function validateTask(task: EvalTask, scorer: Scorer): void {
  const numLangs = task.languages.length;
  if (numLangs === 0) throw new Error("task.languages is empty");
  if (new Set(task.languages).size !== numLangs) {
    throw new Error(`task.languages has duplicates: ${task.languages.join(", ")}`);
  }
  const nq = scorer.numQueries;
  const nc = scorer.numCandidates;
  const sizes: [string, number, number][] = [
    ["task.queryLang", task.queryLang.length, nq],
    ["task.relevant", task.relevant.length, nq],
    ["task.candidateLang", task.candidateLang.length, nc],
  ];
  if (task.queryIds) sizes.push(["task.queryIds", task.queryIds.length, nq]);
  for (const [name, got, want] of sizes) {
    if (got !== want) throw new Error(`${name} has length ${got}, but the scorer has ${want}`);
  }
  const checkLang = (name: string, langs: Int32Array): void => {
    for (let i = 0; i < langs.length; i++) {
      if (!(langs[i] >= 0 && langs[i] < numLangs)) {
        throw new RangeError(`${name}[${i}] = ${langs[i]} is not a language index in [0, ${numLangs})`);
      }
    }
  };
  checkLang("task.queryLang", task.queryLang);
  checkLang("task.candidateLang", task.candidateLang);
  task.relevant.forEach((rel, q) => {
    for (let j = 0; j < rel.length; j++) {
      if (!(rel[j] >= 0 && rel[j] < nc) || (j > 0 && rel[j] <= rel[j - 1])) {
        throw new RangeError(
          `task.relevant[${q}] = [${Array.from(rel).join(", ")}] must be strictly increasing candidate indices in [0, ${nc})`,
        );
      }
    }
  });
}

function resolveRecallKs(ks: readonly number[]): number[] {
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`recallKs: ${k} is not a positive integer`);
  }
  return [...new Set(ks)].sort((x, y) => x - y);
}

function resolveBlockSize(blockSize: number | undefined, numCandidates: number): number {
  if (blockSize === undefined) {
    return Math.max(1, Math.min(MAX_DEFAULT_BLOCK, Math.floor(BLOCK_BYTES / (4 * Math.max(numCandidates, 1)))));
  }
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`blockSize: ${blockSize} is not a positive integer`);
  }
  return blockSize;
}
