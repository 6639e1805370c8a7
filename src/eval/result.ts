/**
 * What `evaluate` returns. Every field is plain JSON: arrays and records instead of Maps and
 * typed arrays, and `null` wherever a value is undefined (a language with no scorable query, a
 * cross cell with no query that has an answer in the target language). The evaluator writes
 * `null` itself rather than NaN, so `JSON.stringify(result)` round-trips without a replacer and
 * a reader never has to tell a NaN from a missing number.
 *
 * Conventions shared by all fields: metrics are fractions in [0, 1] (the paper's tables use the
 * same scale); ranks are 1-based and pessimistic (ties ranked below; see `metrics.ts`);
 * "macro mean" is the unweighted mean over the languages whose value is not null.
 */

/** Mean metrics of one group of (query, setting) pairs. */
export interface MetricSummary {
  /** Mean average precision (sklearn's AP per query). */
  readonly map: number | null;
  /** Mean reciprocal rank of the best relevant candidate. */
  readonly mrr: number | null;
  /** Mean recall@k, keyed by k in decimal ("1", "10"), one entry per `EvaluationResult.recallKs`. */
  readonly recall: Readonly<Record<string, number | null>>;
  /**
   * Number of (query, setting) pairs behind the means: queries for mono and multi; (query,
   * target language) pairs for cross. For a macro mean, the total over its languages.
   */
  readonly queries: number;
}

/** A summary for one query language. */
export interface LanguageMetrics extends MetricSummary {
  readonly lang: string;
}

/** One protocol setting: its headline macro mean and one row per query language. */
export interface SettingResult {
  /** Macro mean over query languages of `perLanguage`. */
  readonly mean: MetricSummary;
  /** In `EvaluationResult.languages` order; all languages present, metrics null where unscorable. */
  readonly perLanguage: readonly LanguageMetrics[];
}

/**
 * The cross-lingual grid, rows = query language, columns = target (candidate) language, both in
 * `languages` order. The diagonal holds the monolingual values, so one grid shows both; the
 * cross-lingual means in `CrossSettingResult` use only the off-diagonal cells.
 */
export interface CrossMatrix {
  readonly languages: readonly string[];
  /** map[a][b]: mean AP over the queries of language a that have a relevant candidate in b. */
  readonly map: readonly (readonly (number | null)[])[];
  /** recallAt1[a][b]: mean recall@1 of the same queries (always computed, whatever `recallKs`). */
  readonly recallAt1: readonly (readonly (number | null)[])[];
  /** queries[a][b]: how many queries of language a have a relevant candidate in b. */
  readonly queries: readonly (readonly number[])[];
}

/**
 * Cross-lingual results. Per query language a, each metric is the mean over the non-null
 * off-diagonal cells of row a of the grid (every target language weighs the same, however many
 * of a's queries it answers); `mean` is then the macro mean over query languages.
 */
export interface CrossSettingResult extends SettingResult {
  readonly matrix: CrossMatrix;
}

/** Rank distance in the multilingual pool (Huang et al. 2023); lower is less language-biased. */
export interface LanguageBias {
  /** Macro mean over query languages of the per-language mean rank distance. */
  readonly mean: number | null;
  readonly perLanguage: readonly {
    readonly lang: string;
    readonly meanRankDistance: number | null;
    /** Queries with at least two relevant candidates in the pool; the others have no distance. */
    readonly queries: number;
  }[];
  /** Total over languages of `perLanguage[].queries`. */
  readonly queries: number;
}

/**
 * Per-query values for paired significance tests, one column per field, all of length
 * `numQueries` and indexed like the task's queries. `null` where the query is skipped.
 */
export interface PerQueryResult {
  readonly queryIndex: number[];
  /** The task's `queryIds` when it has them. */
  readonly queryId?: string[];
  /** Query language code. */
  readonly lang: string[];
  readonly monoAP: (number | null)[];
  /** Mean AP over the query's target languages ≠ its own that hold a relevant candidate. */
  readonly crossAP: (number | null)[];
  readonly multiAP: (number | null)[];
  readonly rankDistance: (number | null)[];
  /**
   * Where the query's answers land in the multilingual pool: per query, per language (the
   * result's `languages` order), the rank among all candidates of its best-ranked relevant
   * candidate in that language (ties ranked pessimistically, as for AP); null where the query has
   * no relevant candidate in that language.
   */
  readonly poolRank: (number | null)[][];
}

export interface EvaluationResult {
  /** Languages in table order (the task's). */
  readonly languages: readonly string[];
  /** The k of every `recall` record, ascending. */
  readonly recallKs: readonly number[];
  readonly numQueries: number;
  readonly numCandidates: number;
  /** Query language = candidate language. */
  readonly mono: SettingResult;
  /** One target language ≠ query language at a time. */
  readonly cross: CrossSettingResult;
  /** The pooled candidates of all languages. */
  readonly multi: SettingResult;
  readonly languageBias: LanguageBias;
  /** Present only with `keepPerQuery`. */
  readonly perQuery?: PerQueryResult;
}
