/**
 * What the evaluator scores: queries and candidates reduced to indices, so dense embeddings,
 * lexical baselines and anything else that can produce a score matrix share one evaluator.
 */
export interface EvalTask {
  /** Languages in table order. */
  readonly languages: readonly string[];
  /** Per query: index into `languages`. [numQueries] */
  readonly queryLang: Int32Array;
  /** Per candidate: index into `languages`. [numCandidates] */
  readonly candidateLang: Int32Array;
  /** Per query: sorted candidate indices relevant to it, over all languages. */
  readonly relevant: readonly Int32Array[];
  /** Optional ids, carried into per-query output. */
  readonly queryIds?: readonly string[];
}

/**
 * Produces rows of the query × candidate score matrix; higher means more relevant.
 * The evaluator asks for blocks of consecutive queries so memory stays bounded.
 */
export interface Scorer {
  readonly numQueries: number;
  readonly numCandidates: number;
  /** Fills `out` ([count × numCandidates], row-major) with the scores of queries start..start+count-1. */
  scoreBlock(start: number, count: number, out: Float32Array): void | Promise<void>;
}
