/**
 * What the notebooks read from an ablation grid's output: every run directory under the grid's
 * outputRoot (its aggregate row, results.json, per-query.json, metrics.jsonl), grouped into
 * configurations, one per (model, direction, strategy, α), whose runs differ only in seed.
 *
 * @example
 * const report = await loadGridReport(await readGrid("configs/grids/small.json"));
 * const groups = configGroups(report); // x-x / x-y / hybrid α=0.5 …, each with its seeds
 */
import { join } from "node:path";
import { aggregateRuns } from "../ablate/aggregate.js";
import type { Grid } from "../ablate/grid.js";
import { shippedMarker, type ShippedMarker } from "../ablate/shipped.js";
import type { AggregateRow, StrategyName } from "../ablate/types.js";
import type { DatasetName } from "../data/types.js";
import type { PerQueryResult } from "../eval/result.js";
import { meanOverRuns } from "../eval/significance.js";
import { readMetricsFile, type MetricsLine } from "../run-files/metrics.js";
import { metricsPath, perQueryPath, resultsPath } from "../run-files/paths.js";
import { readPerQueryFile } from "../run-files/per-query.js";
import { readResultsFileIfExists, type RunResults } from "../run-files/results.js";

/** One run directory, read whole. */
export interface RunRecord {
  readonly row: AggregateRow;
  /** null until the run finished. */
  readonly results: RunResults | null;
  /** null until the run finished (or for runs from before per-query.json existed). */
  readonly perQuery: PerQueryResult | null;
  readonly metrics: readonly MetricsLine[];
  /** Where a run installed from shipped results came from; null for a run trained here. */
  readonly shipped: ShippedMarker | null;
}

export interface GridReport {
  readonly root: string;
  readonly runs: readonly RunRecord[];
}

/**
 * Reads the run directories of a grid: given a `Grid`, only its own runs (a grid file edited
 * since leaves runs of its old settings under the same root, which belong to no table of the new
 * one); given a directory, every run under it. A missing root is an error naming it.
 */
export async function loadGridReport(grid: Grid | string): Promise<GridReport> {
  const root = typeof grid === "string" ? grid : grid.outputRoot;
  const keys = typeof grid === "string" ? null : new Set(grid.runs.map((r) => r.key));
  const rows = (await aggregateRuns(root)).filter((row) => keys === null || keys.has(row.key));
  const runs = await Promise.all(
    rows.map(async (row): Promise<RunRecord> => {
      const dir = join(root, row.dir);
      // A results.json that does not read made the run "partial" (aggregate.ts): it has no results.
      const results = row.state === "complete" ? await readResultsFileIfExists(resultsPath(dir)) : null;
      return {
        row,
        results,
        perQuery: await readPerQueryFile(perQueryPath(dir)),
        metrics: await readMetricsFile(metricsPath(dir)),
        shipped: await shippedMarker(dir),
      };
    }),
  );
  return { root, runs };
}

/** "x-x", "x-y", "hybrid α=0.5". */
export function strategyLabel(strategy: StrategyName, alpha: AggregateRow["alpha"]): string {
  return strategy === "hybrid" ? `hybrid α=${alpha}` : strategy;
}

/** "mlqa-r→xquad-r". */
export function directionLabel(row: Pick<AggregateRow, "train" | "eval">): string {
  return `${row.train}→${row.eval ?? "(none)"}`;
}

/** Runs that differ only in seed. */
export interface ConfigGroup {
  readonly model: string;
  readonly train: string;
  readonly eval: DatasetName | null;
  readonly strategy: StrategyName;
  readonly alpha: AggregateRow["alpha"];
  /** strategyLabel(strategy, alpha). */
  readonly label: string;
  /** All runs of the configuration, by seed. */
  readonly runs: readonly RunRecord[];
  /** The runs with results, by seed. */
  readonly finished: readonly RunRecord[];
}

/** The report's runs grouped by configuration, in the aggregate's order (model, train, eval, strategy, α). */
export function configGroups(report: GridReport): ConfigGroup[] {
  const groups = new Map<string, { row: AggregateRow; runs: RunRecord[] }>();
  for (const run of report.runs) {
    const r = run.row;
    const key = JSON.stringify([r.model, r.train, r.eval, r.strategy, r.alpha]);
    if (!groups.has(key)) groups.set(key, { row: r, runs: [] });
    groups.get(key)!.runs.push(run);
  }
  return [...groups.values()].map(({ row, runs }) => {
    const bySeed = [...runs].sort((a, b) => a.row.seed - b.row.seed);
    return {
      model: row.model,
      train: row.train,
      eval: row.eval,
      strategy: row.strategy,
      alpha: row.alpha,
      label: strategyLabel(row.strategy, row.alpha),
      runs: bySeed,
      finished: bySeed.filter((r) => r.results !== null),
    };
  });
}

/**
 * A configuration's per-query values averaged over its finished seeds, what the paired tests
 * compare; null when it has none or a run lacks per-query.json.
 */
export function groupPerQuery(group: ConfigGroup): PerQueryResult | null {
  const all = group.finished.map((r) => r.perQuery);
  if (all.length === 0 || all.some((p) => p === null)) return null;
  return meanOverRuns(all.map((p) => p!));
}

/** The grid's directions (train → eval) in order of first appearance. */
export function directions(report: GridReport): { train: string; eval: DatasetName }[] {
  const seen = new Map<string, { train: string; eval: DatasetName }>();
  for (const { row } of report.runs) {
    if (row.eval === null) continue;
    const key = directionLabel(row);
    if (!seen.has(key)) seen.set(key, { train: row.train, eval: row.eval });
  }
  return [...seen.values()];
}

/** "12 complete runs: 3 trained here, 9 from results/small (shipped 2026-12-04, commit 2c5bb46)", for notebooks and the index page. */
export function originLine(report: GridReport): string {
  const complete = report.runs.filter((r) => r.results !== null);
  const shipped = complete.filter((r) => r.shipped !== null);
  const sources = [...new Set(shipped.map((r) => `${r.shipped!.from} (shipped ${r.shipped!.shippedAt.slice(0, 10)}, commit ${(r.shipped!.commit ?? "?").slice(0, 7)})`))];
  const parts = [`${complete.length - shipped.length} trained here`];
  if (shipped.length > 0) parts.push(`${shipped.length} from ${sources.join(", ")}`);
  return `${complete.length} complete run${complete.length === 1 ? "" : "s"}: ${parts.join(", ")}`;
}

/** A count of the report's runs by state, for "11 of 11 runs complete" lines. */
export function stateCounts(report: GridReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { row } of report.runs) counts[row.state] = (counts[row.state] ?? 0) + 1;
  return counts;
}
