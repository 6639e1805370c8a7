/**
 * Retrieval metrics as small pure functions, in two layers.
 *
 * Score level (`averagePrecision`, `reciprocalRank`, `recallAtK`, `rankDistance`): one query's
 * score row, its relevant candidates and optionally which candidates belong to the setting.
 * They are the obvious definitions, O(candidates × relevant), and the reference the fast
 * evaluator is tested against.
 *
 * Rank level (`...FromRanks`): the same metrics from the pessimistic ranks of the relevant
 * candidates alone. Every metric here is a function of those ranks (see `relevantRanks`), which
 * is what lets the evaluator derive all settings from one unsorted pass over a score row.
 *
 * Ties follow scikit-learn's `average_precision_score`: candidates with equal scores form one
 * threshold, so a tied block is taken whole. The matching rank is the pessimistic one:
 * rank(i) = #candidates in the setting with score ≥ score(i) (a relevant item tied with
 * irrelevant ones is ranked below all of them). Scores are compared exactly, as sklearn does.
 *
 * Undefined values (no relevant candidate in the setting; fewer than two for rank distance)
 * come back as NaN; the evaluator skips those queries.
 */

/** Which candidates belong to the setting (e.g. one target language); all when omitted. */
export type CandidateMask = (candidate: number) => boolean;

function settingRelevant(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  inSetting: CandidateMask | undefined,
): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const c of relevant) {
    if (!Number.isInteger(c) || c < 0 || c >= scores.length) {
      throw new RangeError(`relevant candidate ${c} is outside the score row [0, ${scores.length})`);
    }
    if (seen.has(c)) continue;
    seen.add(c);
    if (inSetting === undefined || inSetting(c)) out.push(c);
  }
  return out;
}

function assertNoNaN(scores: ArrayLike<number>, inSetting: CandidateMask | undefined): void {
  for (let c = 0; c < scores.length; c++) {
    // sklearn rejects NaN input; a NaN would otherwise sit silently below every threshold.
    if (Number.isNaN(scores[c]) && (inSetting === undefined || inSetting(c))) {
      throw new RangeError(`score of candidate ${c} is NaN`);
    }
  }
}

/**
 * Pessimistic 1-based ranks of the relevant candidates that are in the setting, in the order
 * `relevant` lists them (duplicates dropped): rank = #candidates in the setting scoring ≥ it.
 *
 * @example
 * relevantRanks([0.9, 0.8, 0.8, 0.1], [2]); // [3]: candidates 0, 1 and 2 score ≥ 0.8
 */
export function relevantRanks(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  inSetting?: CandidateMask,
): number[] {
  assertNoNaN(scores, inSetting);
  return settingRelevant(scores, relevant, inSetting).map((r) => {
    const s = scores[r];
    let rank = 0;
    for (let c = 0; c < scores.length; c++) {
      if (scores[c] >= s && (inSetting === undefined || inSetting(c))) rank++;
    }
    return rank;
  });
}

/**
 * Average precision exactly as `sklearn.metrics.average_precision_score`: walk the distinct
 * scores from high to low as thresholds and sum (R_n − R_{n−1}) · P_n. NaN when no relevant
 * candidate is in the setting.
 *
 * @example
 * // Threshold 0.9: P = 0/1; threshold 0.8: two candidates enter, one relevant, R 0 → 1, P = 1/3.
 * averagePrecision([0.9, 0.8, 0.8, 0.1], [2]); // 1/3
 */
export function averagePrecision(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  inSetting?: CandidateMask,
): number {
  assertNoNaN(scores, inSetting);
  const rel = new Set(settingRelevant(scores, relevant, inSetting));
  if (rel.size === 0) return NaN;
  const order: number[] = [];
  for (let c = 0; c < scores.length; c++) {
    if (inSetting === undefined || inSetting(c)) order.push(c);
  }
  order.sort((a, b) => scores[b] - scores[a]);
  let ap = 0;
  let seen = 0;
  let hits = 0;
  for (let i = 0; i < order.length; ) {
    const threshold = scores[order[i]];
    const hitsBefore = hits;
    for (; i < order.length && scores[order[i]] === threshold; i++) {
      seen++;
      if (rel.has(order[i])) hits++;
    }
    ap += ((hits - hitsBefore) / rel.size) * (hits / seen);
  }
  return ap;
}

/** 1 / (pessimistic rank of the best relevant candidate); NaN when none is in the setting. */
export function reciprocalRank(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  inSetting?: CandidateMask,
): number {
  return reciprocalRankFromRanks(relevantRanks(scores, relevant, inSetting));
}

/** Fraction of the setting's relevant candidates ranked within the top k (pessimistic ranks). */
export function recallAtK(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  k: number,
  inSetting?: CandidateMask,
): number {
  return recallAtKFromRanks(relevantRanks(scores, relevant, inSetting), k);
}

/**
 * Language bias of one query (Huang et al. 2023): max rank − min rank among its relevant
 * candidates, in practice its parallel answers in all languages of the pooled ranking. NaN with
 * fewer than two relevant candidates, where a spread is undefined.
 */
export function rankDistance(
  scores: ArrayLike<number>,
  relevant: Iterable<number>,
  inSetting?: CandidateMask,
): number {
  return rankDistanceFromRanks(relevantRanks(scores, relevant, inSetting));
}

/**
 * Average precision from the pessimistic ranks of all relevant candidates of a setting.
 * Equal to sklearn's: relevant item i contributes P at its own threshold,
 * #relevant with score ≥ s_i / #candidates with score ≥ s_i, and with pessimistic ranks
 * "score ≥ s_i" is exactly "rank ≤ rank_i", so the numerator is a count over the ranks.
 */
export function averagePrecisionFromRanks(ranks: ArrayLike<number>): number {
  const n = ranks.length;
  if (n === 0) return NaN;
  if (n === 1) return 1 / ranks[0];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let above = 0;
    for (let j = 0; j < n; j++) if (ranks[j] <= ranks[i]) above++;
    sum += above / ranks[i];
  }
  return sum / n;
}

export function reciprocalRankFromRanks(ranks: ArrayLike<number>): number {
  if (ranks.length === 0) return NaN;
  let best = Infinity;
  for (let i = 0; i < ranks.length; i++) if (ranks[i] < best) best = ranks[i];
  return 1 / best;
}

export function recallAtKFromRanks(ranks: ArrayLike<number>, k: number): number {
  if (ranks.length === 0) return NaN;
  let hits = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i] <= k) hits++;
  return hits / ranks.length;
}

export function rankDistanceFromRanks(ranks: ArrayLike<number>): number {
  if (ranks.length < 2) return NaN;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ranks.length; i++) {
    if (ranks[i] < lo) lo = ranks[i];
    if (ranks[i] > hi) hi = ranks[i];
  }
  return hi - lo;
}

/**
 * nDCG@k as trec_eval's `ndcg_cut.k`: gain = the relevance grade, discount log2(rank + 1), the
 * ideal ranking being every positively graded document sorted by grade. `ranks[i]` and
 * `gains[i]` describe the same relevant document (rank Infinity when it was not retrieved), so
 * `gains` must list every positive grade the query has. NaN when there is none.
 *
 * @example
 * // Grade 2 at rank 1, grade 1 not retrieved: DCG 2, ideal 2 + 1/log2(3).
 * ndcgAtKFromRanks([1, Infinity], [2, 1], 10); // 0.7602
 */
export function ndcgAtKFromRanks(ranks: ArrayLike<number>, gains: ArrayLike<number>, k: number): number {
  if (ranks.length !== gains.length) throw new RangeError(`${ranks.length} ranks but ${gains.length} gains`);
  const ideal = Array.from(gains).filter((g) => g > 0).sort((a, b) => b - a);
  if (ideal.length === 0) return NaN;
  let dcg = 0;
  for (let i = 0; i < ranks.length; i++) if (ranks[i] <= k && gains[i] > 0) dcg += gains[i] / Math.log2(ranks[i] + 1);
  let idcg = 0;
  for (let j = 0; j < Math.min(k, ideal.length); j++) idcg += ideal[j] / Math.log2(j + 2);
  return dcg / idcg;
}
