/**
 * Plain-text views of an `EvaluationResult` for the CLI: the per-language summary, one setting
 * in full, and the cross-lingual grid. Reports and notebooks read the result object instead.
 */
import type { EvaluationResult, SettingResult } from "./result.js";
import { textTable } from "../util/text-table.js";

export interface FormatOptions {
  /** Decimals of the fractions (default 3); rank distances always get one. */
  readonly digits?: number;
}

/**
 * One row per query language plus the macro mean: the paper's headline columns (mono / cross
 * mAP and R@1, multi mAP and R@10, rank distance). A recall column appears only when its k was
 * evaluated.
 *
 * @example
 * console.log(formatSummaryTable(result));
 * // lang   mono mAP  mono R@1  cross mAP  ...
 * // ar        0.758     0.652      0.606  ...
 */
export function formatSummaryTable(result: EvaluationResult, options: FormatOptions = {}): string {
  const f = fraction(options);
  const has = (k: number): boolean => result.recallKs.includes(k);
  const columns: { title: string; value: (a: number | "mean") => string }[] = [
    { title: "mono mAP", value: (a) => f(pick(result.mono, a).map) },
    ...(has(1) ? [{ title: "mono R@1", value: (a: number | "mean") => f(pick(result.mono, a).recall["1"]) }] : []),
    { title: "cross mAP", value: (a) => f(pick(result.cross, a).map) },
    ...(has(1) ? [{ title: "cross R@1", value: (a: number | "mean") => f(pick(result.cross, a).recall["1"]) }] : []),
    { title: "multi mAP", value: (a) => f(pick(result.multi, a).map) },
    ...(has(10) ? [{ title: "multi R@10", value: (a: number | "mean") => f(pick(result.multi, a).recall["10"]) }] : []),
    {
      title: "rank dist",
      value: (a) =>
        fixed(a === "mean" ? result.languageBias.mean : result.languageBias.perLanguage[a].meanRankDistance, 1),
    },
  ];
  const rowKeys: (number | "mean")[] = [...result.languages.map((_, a) => a), "mean"];
  return textTable(
    ["lang", ...columns.map((c) => c.title)],
    rowKeys.map((a) => [a === "mean" ? "mean" : result.languages[a], ...columns.map((c) => c.value(a))]),
  );
}

/**
 * Every metric of one setting per query language: queries, mAP, MRR and each recall@k.
 *
 * @example
 * console.log(formatSettingTable(result.multi, result.recallKs));
 */
export function formatSettingTable(
  setting: SettingResult,
  recallKs: readonly number[],
  options: FormatOptions = {},
): string {
  const f = fraction(options);
  const rows = [...setting.perLanguage, { lang: "mean", ...setting.mean }];
  return textTable(
    ["lang", "queries", "mAP", "MRR", ...recallKs.map((k) => `R@${k}`)],
    rows.map((r) => [r.lang, String(r.queries), f(r.map), f(r.mrr), ...recallKs.map((k) => f(r.recall[String(k)]))]),
  );
}

/**
 * The cross-lingual grid, query language down, target language across. Diagonal cells are the
 * monolingual values, in parentheses; the last column is the query language's cross mean (its
 * off-diagonal cells), the last row each target language's mean over the other query languages.
 *
 * @example
 * console.log(formatCrossMatrix(result, "recallAt1"));
 */
export function formatCrossMatrix(
  result: EvaluationResult,
  metric: "map" | "recallAt1" = "map",
  options: FormatOptions = {},
): string {
  const f = fraction(options);
  const grid = result.cross.matrix[metric];
  const langs = result.languages;
  const offDiagonalMean = (values: (number | null)[]): number | null => {
    const present = values.filter((v): v is number => v !== null);
    return present.length > 0 ? present.reduce((s, v) => s + v, 0) / present.length : null;
  };
  const rows = langs.map((lang, a) => [
    lang,
    ...langs.map((_, b) => (a === b ? `(${f(grid[a][b])})` : f(grid[a][b]))),
    f(offDiagonalMean(grid[a].filter((_, b) => b !== a))),
  ]);
  const columnMeans = langs.map((_, b) => f(offDiagonalMean(grid.map((row, a) => (a === b ? null : row[b])))));
  const corner = metric === "map" ? "mAP q\\t" : "R@1 q\\t";
  return textTable([corner, ...langs, "mean"], [...rows, ["mean", ...columnMeans, ""]]);
}

function pick(setting: SettingResult, a: number | "mean") {
  return a === "mean" ? setting.mean : setting.perLanguage[a];
}

function fraction(options: FormatOptions): (v: number | null | undefined) => string {
  const digits = options.digits ?? 3;
  return (v) => fixed(v, digits);
}

function fixed(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? "-" : v.toFixed(digits);
}

