/**
 * Ranked evaluation over a `Scorer`: each query's score row → its top `depth` documents in
 * trec_eval's order (`ranking.ts`) → trec_eval's metrics (`ranked.ts`), and optionally the same
 * lists as a TREC run (`trec.ts`), so the run on disk and the numbers printed come from one
 * ranking. A setting may turn one score row into several ranked queries (the LAReQA cross
 * setting ranks each target language separately) over a subset of the documents.
 */
import type { Collection, Judgements } from "../data/collection.js";
import { DEFAULT_RECALL_KS } from "./evaluate.js";
import { RankedEvaluation, type RankedResult } from "./ranked.js";
import { TrecRanker } from "./ranking.js";
import { TrecRunWriter } from "./trec.js";
import type { Scorer } from "./types.js";

/** One ranked query a score row yields: its run id, the documents competing (all when omitted), its judgements. */
export interface RankedQuery {
  readonly id: string;
  readonly subset?: Int32Array;
  readonly judged: Judgements;
}

/** A named way of reading rankings off score rows, e.g. one LAReQA setting. */
export interface RankedSetting {
  readonly name: string;
  /** The ranked queries of score row q; one with nothing relevant is skipped (not ranked, not written). */
  queriesOf(q: number): Iterable<RankedQuery>;
}

export interface RankedRunOptions {
  /** Documents ranked (and written) per query; default 1000, as BEIR and TREC runs. */
  readonly depth?: number;
  /** k of recall@k, each ≤ depth; default [1, 5, 10, 100] (those ≤ depth). */
  readonly recallKs?: readonly number[];
  readonly keepPerQuery?: boolean;
}

export const DEFAULT_DEPTH = 1000;

/** One setting's evaluation and, when given a path, its TREC run. */
export class RankedRun {
  private readonly evaluation: RankedEvaluation;
  private readonly writer: TrecRunWriter | undefined;

  constructor(
    readonly setting: RankedSetting,
    private readonly ranker: TrecRanker,
    private readonly docIds: readonly string[],
    options: RankedRunOptions & { readonly runPath?: string; readonly tag?: string } = {},
  ) {
    const depth = options.depth ?? DEFAULT_DEPTH;
    const recallKs = options.recallKs ?? DEFAULT_RECALL_KS.filter((k) => k <= depth);
    this.evaluation = new RankedEvaluation(depth, [...new Set(recallKs)].sort((a, b) => a - b), options.keepPerQuery ?? false);
    this.writer = options.runPath === undefined ? undefined : new TrecRunWriter(options.runPath, docIds, options.tag ?? "hybrid-ir");
  }

  /** Ranks score row q (`row[offset .. offset + numDocuments)`). */
  add(q: number, row: ArrayLike<number>, offset: number): void {
    for (const rq of this.setting.queriesOf(q)) {
      let relevant = false;
      for (const g of rq.judged.values()) if (g >= 1) relevant = true;
      if (!relevant) {
        this.evaluation.add(rq.id, [], rq.judged); // counted as skipped
        continue;
      }
      const ranking = this.ranker.topK(row, offset, this.docIds.length, this.evaluation.depth, rq.subset);
      this.writer?.write(rq.id, ranking, row, offset);
      this.evaluation.add(rq.id, ranking, rq.judged);
    }
  }

  /** Closes the run file (renamed into place) and returns the metrics. */
  finish(): RankedResult {
    this.writer?.close();
    return this.evaluation.result(this.docIds.length);
  }

  /** Drops a half-written run. */
  abort(): void {
    this.writer?.abort();
  }
}

/** The setting of a plain collection: each query ranks the whole corpus. */
export function collectionSetting(c: Collection): RankedSetting {
  return { name: c.name, queriesOf: (q) => [{ id: c.queries[q].id, judged: c.judged[q] }] };
}

/**
 * Scores every query of `collection` with `scorer` (rows in `collection.queries` order, columns
 * in `collection.docIds` order) and returns trec_eval's metrics; writes the run to `runPath`.
 */
export async function evaluateCollection(
  collection: Collection,
  scorer: Scorer,
  options: RankedRunOptions & { readonly runPath?: string; readonly tag?: string; readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<RankedResult> {
  if (scorer.numQueries !== collection.queries.length || scorer.numCandidates !== collection.docIds.length) {
    throw new Error(
      `scorer is ${scorer.numQueries} × ${scorer.numCandidates} but ${collection.name} has ${collection.queries.length} queries × ${collection.docIds.length} documents`,
    );
  }
  const run = new RankedRun(collectionSetting(collection), new TrecRanker(collection.docIds), collection.docIds, options);
  try {
    const n = scorer.numCandidates;
    const blockSize = Math.max(1, Math.min(1024, Math.floor((64 * 2 ** 20) / (4 * n))));
    const block = new Float32Array(Math.min(blockSize, scorer.numQueries) * n);
    for (let start = 0; start < scorer.numQueries; start += blockSize) {
      const count = Math.min(blockSize, scorer.numQueries - start);
      await scorer.scoreBlock(start, count, block.subarray(0, count * n));
      for (let i = 0; i < count; i++) run.add(start + i, block, i * n);
      options.onProgress?.(start + count, scorer.numQueries);
    }
    return run.finish();
  } catch (err) {
    run.abort();
    throw err;
  }
}
