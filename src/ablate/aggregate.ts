/**
 * The aggregate table of an ablation: one row per run directory under a grid's outputRoot, read
 * from the directory alone (config.json, results.json, metrics.jsonl) and never from grid.json,
 * so runs trained locally, by a SLURM array or by hand with `hybrid-ir train --output
 * <outputRoot>/<name>` come out alike. Written by run-files/aggregate.ts.
 */
import { readdir } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { DataError } from "../util/errors.js";
import { metricsPath, resultsPath } from "../run-files/paths.js";
import { readMetricsFile } from "../run-files/metrics.js";
import { readResultsFile } from "../run-files/results.js";
import { CONFIG_NAME, readRunConfigFile } from "../run-files/run-config.js";
import { isTempFileName } from "../util/atomic-write.js";
import { pathExists } from "../util/fs.js";
import { resolveRunConfig, type RunConfig } from "../train/config.js";
import { runKey, runStatus } from "./run-state.js";
import { STRATEGY_NAMES, type AggregateRow, type GridRun, type RunLabels } from "./types.js";
import { textTable } from "../util/text-table.js";

// The aggregate's file format lives with the other run files; re-exported for the runner.
export { AGGREGATE_COLUMNS, AGGREGATE_CSV, AGGREGATE_JSON, aggregateCsv, writeAggregate } from "../run-files/aggregate.js";

/** Folders of an outputRoot that are not run directories. */
export const NOT_RUN_DIRS: readonly string[] = ["configs", "logs"];
/**
 * What a run varies along a grid's axes, from its resolved config.
 *
 * @example
 * labelsOf(config) // { model: "mini 2x128", strategy: "hybrid", alpha: 0.5, seed: 1, train: "mlqa-r", eval: "xquad-r" }
 */
export function labelsOf(config: RunConfig): RunLabels {
  const { ref, mini } = config.model;
  return {
    model: mini === null ? ref : `${ref} ${mini.layers}x${mini.hidden}`,
    strategy: config.adversarial !== null ? "adversarial" : config.sampler.name,
    alpha: config.sampler.name === "hybrid" ? config.sampler.alpha : null,
    seed: config.sampler.seed,
    train: typeof config.data.train === "string" ? basename(config.data.train) : config.data.train.dataset,
    eval: config.eval?.dataset ?? null,
  };
}

/** "mini 2x128 · mlqa-r→xquad-r · hybrid α=0.5 · seed 1", for log lines. */
export function labelText(labels: RunLabels): string {
  const strategy = labels.strategy === "hybrid" ? `hybrid α=${String(labels.alpha)}` : labels.strategy;
  return `${labels.model} · ${labels.train}→${labels.eval ?? "(no eval)"} · ${strategy} · seed ${labels.seed}`;
}

/**
 * One row per immediate subdirectory of `outputRoot` holding a config.json (configs/ and logs/
 * left out), sorted by model, train, eval, strategy (x-x, x-y, hybrid, adversarial), α and seed. With the
 * grid's `expected` runs, each of them not found there gets a row too, state "new" (never started).
 *
 * @example
 * const rows = await aggregateRuns("runs/grids/small");
 * await writeAggregate("runs/grids/small", rows);
 */
export async function aggregateRuns(outputRoot: string, expected: readonly GridRun[] = []): Promise<AggregateRow[]> {
  const entries = await readdir(outputRoot, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new DataError(outputRoot, "no such directory: nothing has been run into it yet");
    throw err;
  });
  const rows: AggregateRow[] = [];
  for (const entry of entries) {
    // A temporary directory is a run being installed (ablate/shipped.ts), not one yet.
    if (!entry.isDirectory() || NOT_RUN_DIRS.includes(entry.name) || isTempFileName(entry.name)) continue;
    const row = await readRow(outputRoot, entry.name);
    if (row !== null) rows.push(row);
  }
  const found = new Set(rows.map((r) => r.key));
  for (const run of expected) if (!found.has(run.key)) rows.push(notStartedRow(outputRoot, run));
  return rows.sort(compareRows);
}

/** The row of a grid run with no run directory (or none with a config.json) yet. */
function notStartedRow(outputRoot: string, run: GridRun): AggregateRow {
  return {
    key: run.key,
    dir: relative(outputRoot, run.config.outputDir) || ".",
    ...labelsOf(run.config),
    state: "new",
    steps: 0,
    checkpointStep: null,
    bestValLoss: null,
    monoMap: null,
    crossMap: null,
    multiMap: null,
    rankDistance: null,
    pairsPerSec: null,
    gitCommit: null,
  };
}

async function readRow(outputRoot: string, name: string): Promise<AggregateRow | null> {
  const dir = join(outputRoot, name);
  const configPath = join(dir, CONFIG_NAME);
  if (!(await pathExists(configPath))) return null;
  const { json, provenance } = await readRunConfigFile(configPath);
  const config = resolveRunConfig(json, configPath, {}, dir);
  const status = await runStatus(dir, config);
  // A corrupt results.json is reported by the state ("partial") and contributes no numbers.
  const results = status.state === "complete" && (await pathExists(resultsPath(dir))) ? await readResultsFile(resultsPath(dir)) : null;
  const metrics = await readMetricsFile(metricsPath(dir));
  const trainLines = metrics.flatMap((l) => (l.type === "train" ? [l] : []));
  const valLosses = metrics.flatMap((l) => (l.type === "val" && Number.isFinite(l.valLoss) ? [l.valLoss] : []));
  const lastStep = metrics.reduce((max, l) => Math.max(max, l.step), 0);
  return {
    key: runKey(config),
    dir: name,
    ...labelsOf(config),
    state: status.state,
    steps: results?.run.steps ?? lastStep,
    checkpointStep: results?.run.checkpointStep ?? null,
    bestValLoss: results?.run.bestValLoss ?? (valLosses.length > 0 ? Math.min(...valLosses) : null),
    monoMap: results?.mono.mean.map ?? null,
    crossMap: results?.cross.mean.map ?? null,
    multiMap: results?.multi.mean.map ?? null,
    rankDistance: results?.languageBias.mean ?? null,
    pairsPerSec: trainLines.length > 0 ? trainLines.reduce((s, l) => s + l.pairsPerSec, 0) / trainLines.length : null,
    gitCommit: provenance?.gitCommit ?? null,
  };
}

function compareRows(a: AggregateRow, b: AggregateRow): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  // null (x-x, x-y) first, then α ascending, then "by-size"
  const alphaRank = (v: AggregateRow["alpha"]) => (v === null ? -1 : v === "by-size" ? 2 : v);
  return (
    text(a.model, b.model) ||
    text(a.train, b.train) ||
    text(a.eval ?? "", b.eval ?? "") ||
    STRATEGY_NAMES.indexOf(a.strategy) - STRATEGY_NAMES.indexOf(b.strategy) ||
    alphaRank(a.alpha) - alphaRank(b.alpha) ||
    a.seed - b.seed ||
    text(a.key, b.key) ||
    text(a.dir, b.dir)
  );
}

/**
 * The aggregate as a text table: model, train→eval, strategy, α, seed, state, mono / cross /
 * multi mAP (higher is better) and rank distance (lower is better).
 */
export function formatAggregate(rows: readonly AggregateRow[]): string {
  const f = (v: number | null, digits: number) => (v === null ? "-" : v.toFixed(digits));
  const header = ["model", "train→eval", "strategy", "α", "seed", "state", "mono mAP", "cross mAP", "multi mAP", "rank dist"];
  const cells = rows.map((r) => [
    r.model,
    `${r.train}→${r.eval ?? "-"}`,
    r.strategy,
    r.alpha === null ? "-" : String(r.alpha),
    String(r.seed),
    r.state,
    f(r.monoMap, 3),
    f(r.crossMap, 3),
    f(r.multiMap, 3),
    f(r.rankDistance, 1),
  ]);
  return textTable(header, cells, { leftColumns: 6, rule: true });
}
