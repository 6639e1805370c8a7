/**
 * The ad-hoc retrieval metrics of trec_eval, computed from one ranked list per query (the
 * depth-k list a TREC run holds) and graded judgements: nDCG@10, MRR@10, MRR, MAP and
 * recall@k. They are the rank-level functions of `metrics.ts` applied to the ranks of the
 * query's relevant documents in that list, a relevant document the list misses having rank
 * Infinity (so it counts in MAP's and recall's denominators and adds nothing else), exactly as
 * trec_eval treats documents missing from a run. Relevant means grade ≥ 1 (trec_eval's default
 * relevance level); nDCG's gain is the grade.
 *
 * Queries without any relevant document are skipped (and counted), as trec_eval skips a query
 * missing from the qrels; the mean is over the scored queries.
 */
import type { Judgements } from "../data/collection.js";
import {
  averagePrecisionFromRanks,
  ndcgAtKFromRanks,
  recallAtKFromRanks,
  reciprocalRankFromRanks,
} from "./metrics.js";

export interface RankedMetrics {
  readonly ndcg10: number;
  /** Reciprocal rank of the first relevant document within the top 10, else 0. */
  readonly mrr10: number;
  /** Reciprocal rank over the whole list (trec_eval's recip_rank). */
  readonly mrr: number;
  /** Average precision over the list, relevant documents outside it counting as misses (trec_eval's map). */
  readonly map: number;
  /** k → recall@k (trec_eval's recall_k). */
  readonly recall: Readonly<Record<string, number>>;
}

export interface RankedQueryResult extends RankedMetrics {
  readonly queryId: string;
  readonly numRelevant: number;
}

export interface RankedResult {
  /** Documents ranked per query. */
  readonly depth: number;
  readonly recallKs: readonly number[];
  readonly numDocuments: number;
  /** Queries scored (with at least one relevant document). */
  readonly numQueries: number;
  /** Queries skipped because no document is relevant to them. */
  readonly skippedQueries: number;
  /** Mean over the scored queries; null when there is none. */
  readonly mean: RankedMetrics | null;
  readonly perQuery?: readonly RankedQueryResult[];
}


/**
 * One query's metrics from its ranked list (document indices, best first) and judgements;
 * null when no document is relevant to it.
 */
export function rankedQueryMetrics(
  ranking: ArrayLike<number>,
  judged: Judgements,
  recallKs: readonly number[],
): RankedMetrics | null {
  const ranks: number[] = [];
  const gains: number[] = [];
  let relevant = 0;
  for (const grade of judged.values()) if (grade >= 1) relevant++;
  if (relevant === 0) return null;
  for (let i = 0; i < ranking.length; i++) {
    const grade = judged.get(ranking[i]);
    if (grade !== undefined && grade >= 1) {
      ranks.push(i + 1);
      gains.push(grade);
    }
  }
  if (ranks.length < relevant) {
    // The relevant documents the list misses.
    const retrieved = new Set<number>();
    for (let i = 0; i < ranking.length; i++) retrieved.add(ranking[i]);
    for (const [doc, grade] of judged) {
      if (grade >= 1 && !retrieved.has(doc)) {
        ranks.push(Infinity);
        gains.push(grade);
      }
    }
  }
  const recall: Record<string, number> = {};
  for (const k of recallKs) recall[String(k)] = recallAtKFromRanks(ranks, k);
  return {
    ndcg10: ndcgAtKFromRanks(ranks, gains, 10),
    mrr10: reciprocalRankFromRanks(ranks.map((r) => (r <= 10 ? r : Infinity))),
    mrr: reciprocalRankFromRanks(ranks),
    map: averagePrecisionFromRanks(ranks),
    recall,
  };
}

/** Accumulates per-query metrics into a `RankedResult`. */
export class RankedEvaluation {
  private readonly sums: { ndcg10: number; mrr10: number; mrr: number; map: number; recall: number[] } = {
    ndcg10: 0,
    mrr10: 0,
    mrr: 0,
    map: 0,
    recall: [],
  };
  private scored = 0;
  private skipped = 0;
  private readonly perQuery: RankedQueryResult[] | undefined;

  constructor(
    readonly depth: number,
    readonly recallKs: readonly number[],
    keepPerQuery = false,
  ) {
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`depth ${depth} is not a positive integer`);
    for (const k of recallKs) {
      if (!Number.isInteger(k) || k < 1 || k > depth) {
        throw new RangeError(`recall@${k} needs a whole k in [1, depth ${depth}]`);
      }
    }
    this.sums.recall = recallKs.map(() => 0);
    this.perQuery = keepPerQuery ? [] : undefined;
  }

  /** Adds one query; returns its metrics, or null when it was skipped (nothing relevant). */
  add(queryId: string, ranking: ArrayLike<number>, judged: Judgements): RankedMetrics | null {
    const m = rankedQueryMetrics(ranking, judged, this.recallKs);
    if (m === null) {
      this.skipped++;
      return null;
    }
    this.scored++;
    this.sums.ndcg10 += m.ndcg10;
    this.sums.mrr10 += m.mrr10;
    this.sums.mrr += m.mrr;
    this.sums.map += m.map;
    this.recallKs.forEach((k, i) => (this.sums.recall[i] += m.recall[String(k)]));
    if (this.perQuery) {
      let numRelevant = 0;
      for (const g of judged.values()) if (g >= 1) numRelevant++;
      this.perQuery.push({ queryId, numRelevant, ...m });
    }
    return m;
  }

  result(numDocuments: number): RankedResult {
    const n = this.scored;
    const recall: Record<string, number> = {};
    this.recallKs.forEach((k, i) => (recall[String(k)] = this.sums.recall[i] / n));
    return {
      depth: this.depth,
      recallKs: [...this.recallKs],
      numDocuments,
      numQueries: n,
      skippedQueries: this.skipped,
      mean:
        n === 0
          ? null
          : { ndcg10: this.sums.ndcg10 / n, mrr10: this.sums.mrr10 / n, mrr: this.sums.mrr / n, map: this.sums.map / n, recall },
      ...(this.perQuery ? { perQuery: this.perQuery } : {}),
    };
  }
}
