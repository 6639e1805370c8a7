/**
 * The paper's ablation tables from a grid's runs: Table 1 (model × strategy × mono / cross /
 * multi mAP per benchmark) with our numbers beside the paper's and paired significance marks,
 * the α sweep, per-language tables and the cross-lingual matrices.
 *
 * Seeds: a configuration's number is the mean over its seeds (± the sample standard deviation
 * when it has several). Significance: in each column the configuration with the best mean is
 * compared with every other one by a paired randomisation test over queries on their per-query
 * AP (averaged over seeds first); a difference with p ≥ α is marked "not significant".
 *
 * @example
 * const t = table1(await loadGridReport("runs/grids/small"), { paper: await loadPaperResults() });
 * console.log(table1Markdown(t));
 */
import { STRATEGY_NAMES, type StrategyName } from "../ablate/types.js";
import type { DatasetName } from "../data/types.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import {
  pairedTest,
  pairPerQuery,
  seedSpread,
  type PairedTest,
  type PairedTestOptions,
  type PerQueryMetric,
  type SeedSpread,
} from "../eval/significance.js";
import type { RunResults } from "../run-files/results.js";
import type { PlotlyFigure } from "./display.js";
import type { UntrainedReference } from "./untrained.js";
import { configGroups, directions, groupPerQuery, type ConfigGroup, type GridReport } from "./grid-report.js";
import type { PaperModel, PaperResults, Setting, Strategy } from "./paper-reference.js";

export const SETTINGS: readonly Setting[] = ["mono", "cross", "multi"];
const METRIC_OF: Record<Setting, PerQueryMetric> = { mono: "monoAP", cross: "crossAP", multi: "multiAP" };
const PAPER_MODELS: Record<PaperModel, string> = { "xlm-r": "XLM-R base", labse: "LaBSE" };
const MAIN_STRATEGIES: readonly StrategyName[] = STRATEGY_NAMES;
/** The paper's strategies (it has no adversarial baseline). */
const PAPER_STRATEGIES: readonly Strategy[] = SAMPLER_NAMES;

export interface Table1Options {
  /** The paper's tables, printed beside ours; omitted: ours only. */
  readonly paper?: PaperResults;
  /** The hybrid's α in Table 1 (default 0.5, the paper's); the other α go to the sweep. */
  readonly hybridAlpha?: number;
  /** Significance level (default 0.05). */
  readonly alpha?: number;
  /** Randomisation rounds per test (default 5,000). */
  readonly rounds?: number;
  /**
   * The untrained model's evaluation: a zero-shot row above our strategies, without marks (best
   * and tests compare the strategies only). Shown for a grid of one model, the one it describes.
   */
  readonly untrained?: UntrainedReference;
}

/** One column: a benchmark setting of one direction. */
export interface Table1Column {
  /** "mlqa-r→xquad-r" for ours; the paper trained on its own data. */
  readonly train: string;
  readonly eval: DatasetName;
  readonly setting: Setting;
}

export interface Table1Cell {
  /** Mean over seeds, or the paper's number. */
  readonly value: number | null;
  /** Over seeds; null for one seed and for the paper. */
  readonly spread: SeedSpread | null;
  /** Best of our configurations in this column. */
  readonly best: boolean;
  /** Paired test against the column's best (ours only; null for the best itself, the paper, or without per-query values). */
  readonly pValue: number | null;
  /** The difference to the column's best is not significant. */
  readonly notSignificant: boolean;
}

export interface Table1Row {
  readonly source: "ours" | "paper";
  readonly model: string;
  /** "untrained": the model before fine-tuning (Table1Options.untrained). */
  readonly strategy: StrategyName | "untrained";
  readonly cells: readonly Table1Cell[];
}

export interface Table1 {
  readonly columns: readonly Table1Column[];
  readonly rows: readonly Table1Row[];
  readonly alpha: number;
}

/** The mean over seeds of a run-level number; null when no run has it. */
function overSeeds(group: ConfigGroup, pick: (r: RunResults) => number | null): SeedSpread | null {
  const values = group.finished.map((r) => pick(r.results!)).filter((v): v is number => v !== null);
  return values.length === 0 ? null : seedSpread(values);
}

const settingMap = (setting: Setting) => (r: RunResults) => r[setting].mean.map;

/** Table 1: see the module comment. Our rows first (x-x, x-y, hybrid, adversarial per model), then the paper's. */
export function table1(report: GridReport, options: Table1Options = {}): Table1 {
  const alpha = options.alpha ?? 0.05;
  const hybridAlpha = options.hybridAlpha ?? 0.5;
  const columns: Table1Column[] = directions(report).flatMap((d) => SETTINGS.map((setting) => ({ train: d.train, eval: d.eval, setting })));
  const main = configGroups(report).filter((g) => g.finished.length > 0 && (g.strategy !== "hybrid" || g.alpha === hybridAlpha));
  const models = [...new Set(main.map((g) => g.model))];

  const ourCells = new Map<ConfigGroup, Table1Cell[]>();
  for (const g of main) ourCells.set(g, []);
  for (const col of columns) {
    const inColumn = main.filter((g) => g.train === col.train && g.eval === col.eval);
    const values = new Map(inColumn.map((g) => [g, overSeeds(g, settingMap(col.setting))]));
    const best = inColumn.reduce<ConfigGroup | null>((b, g) => {
      const v = values.get(g)?.mean ?? null;
      return v !== null && (b === null || v > values.get(b)!.mean) ? g : b;
    }, null);
    const bestPerQuery = best === null ? null : groupPerQuery(best);
    for (const g of main) {
      if (!inColumn.includes(g)) {
        ourCells.get(g)!.push({ value: null, spread: null, best: false, pValue: null, notSignificant: false });
        continue;
      }
      const spread = values.get(g) ?? null;
      let pValue: number | null = null;
      const mine = groupPerQuery(g);
      if (g !== best && bestPerQuery !== null && mine !== null) {
        pValue = pairedTest(pairPerQuery(bestPerQuery, mine, METRIC_OF[col.setting]), { rounds: options.rounds ?? 5000 }).pValue;
      }
      ourCells.get(g)!.push({
        value: spread?.mean ?? null,
        spread: spread !== null && spread.n > 1 ? spread : null,
        best: g === best,
        pValue,
        notSignificant: pValue !== null && pValue >= alpha,
      });
    }
  }

  const rows: Table1Row[] = [];
  for (const model of models) {
    const untrained = options.untrained;
    if (untrained !== undefined && models.length === 1) {
      const cells = columns.map((col) => ({ ...emptyCell(), value: untrained.results[col.eval]?.[col.setting] ?? null }));
      rows.push({ source: "ours", model, strategy: "untrained", cells });
    }
    for (const strategy of MAIN_STRATEGIES) {
      const g = main.find((x) => x.model === model && x.strategy === strategy);
      // One configuration per (model, strategy) and direction: a row spans the directions.
      const cells = columns.map((col, i) => {
        const owner = main.find((x) => x.model === model && x.strategy === strategy && x.train === col.train && x.eval === col.eval);
        return owner === undefined ? emptyCell() : ourCells.get(owner)![i];
      });
      if (g !== undefined) rows.push({ source: "ours", model, strategy, cells });
    }
  }
  if (options.paper !== undefined) {
    const paper = options.paper;
    for (const [key, name] of Object.entries(PAPER_MODELS) as [PaperModel, string][]) {
      for (const strategy of PAPER_STRATEGIES) {
        const cells = columns.map((col) => ({ ...emptyCell(), value: paper.table1_map[key][col.eval]?.[col.setting]?.[strategy] ?? null }));
        rows.push({ source: "paper", model: name, strategy, cells });
      }
    }
  }
  return { columns, rows, alpha };
}

function emptyCell(): Table1Cell {
  return { value: null, spread: null, best: false, pValue: null, notSignificant: false };
}

/** A cell as text: "0.381 ±0.004 ▲" (best) or "0.375 (ns, p=0.21)". */
export function formatTable1Cell(cell: Table1Cell, digits = 3): string {
  if (cell.value === null) return "–";
  let text = cell.value.toFixed(digits);
  if (cell.spread !== null) text += ` ±${cell.spread.std.toFixed(digits)}`;
  if (cell.best) text += " ▲";
  if (cell.notSignificant) text += ` (ns, p=${cell.pValue!.toFixed(2)})`;
  return text;
}

/** Table 1 as flat records (one per row) for `tableHtml` or a DataFrame. */
export function table1Records(t: Table1): Record<string, string>[] {
  return t.rows.map((row) => {
    const rec: Record<string, string> = { source: row.source === "ours" ? "this suite" : "paper", model: row.model, strategy: row.strategy };
    t.columns.forEach((col, i) => {
      rec[columnName(col, row.source)] = formatTable1Cell(row.cells[i]);
    });
    return rec;
  });
}

/** "xquad-r mono" (the paper's column and ours share it; our direction is in the caption). */
function columnName(col: Table1Column, _source: "ours" | "paper"): string {
  return `${col.eval} ${col.setting}`;
}

/** The legend printed under Table 1. */
export function table1Legend(t: Table1): string {
  const dirs = [...new Set(t.columns.map((c) => `${c.train}→${c.eval}`))].join(", ");
  return (
    `Our runs: ${dirs} (trained on one benchmark, evaluated zero-shot on the other); the paper trained on its own translated data. ` +
    `▲ best of our strategies in the column; ±: standard deviation over seeds; ` +
    `(ns, p=…): not significantly different from the ▲ (paired randomisation test over queries on AP, p ≥ ${t.alpha}).` +
    (t.rows.some((r) => r.strategy === "untrained") ? " untrained: the model before fine-tuning, on the same benchmarks (not among the marks)." : "")
  );
}

/** Table 1 as a Markdown table, for notes and the CLI. */
export function table1Markdown(t: Table1): string {
  const records = table1Records(t);
  if (records.length === 0) return "(no finished runs)";
  const header = Object.keys(records[0]);
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const r of records) lines.push(`| ${header.map((h) => r[h]).join(" | ")} |`);
  return `${lines.join("\n")}\n\n${table1Legend(t)}`;
}

/** One point of the α sweep: x-y is α = 0, x-x is α = 1. */
export interface AlphaPoint {
  readonly alpha: number;
  readonly label: string;
  readonly seeds: number;
  readonly mono: SeedSpread | null;
  readonly cross: SeedSpread | null;
  readonly multi: SeedSpread | null;
  readonly rankDistance: SeedSpread | null;
}

/**
 * The α sweep of one model and direction: every hybrid α in the grid plus x-y (α = 0) and x-x
 * (α = 1), sorted by α. "by-size" α is left out (its value depends on the data).
 */
export function alphaSweep(report: GridReport, which: { model: string; train: string; eval: DatasetName }): AlphaPoint[] {
  const points: AlphaPoint[] = [];
  for (const g of configGroups(report)) {
    if (g.model !== which.model || g.train !== which.train || g.eval !== which.eval || g.finished.length === 0) continue;
    const alpha = g.strategy === "x-y" ? 0 : g.strategy === "x-x" ? 1 : g.alpha;
    if (typeof alpha !== "number") continue;
    points.push({
      alpha,
      label: g.label,
      seeds: g.finished.length,
      mono: overSeeds(g, settingMap("mono")),
      cross: overSeeds(g, settingMap("cross")),
      multi: overSeeds(g, settingMap("multi")),
      rankDistance: overSeeds(g, (r) => r.languageBias.mean),
    });
  }
  return points.sort((a, b) => a.alpha - b.alpha);
}

/** mono / cross / multi mAP against α, with ±1 standard deviation over seeds as error bars. */
export function alphaSweepFigure(points: readonly AlphaPoint[], title: string): PlotlyFigure {
  return {
    data: SETTINGS.map((setting) => ({
      type: "scatter",
      mode: "lines+markers",
      name: `${setting} mAP`,
      x: points.map((p) => p.alpha),
      y: points.map((p) => p[setting]?.mean ?? null),
      text: points.map((p) => `${p.label}, ${p.seeds} seed(s)`),
      error_y: { type: "data", array: points.map((p) => p[setting]?.std ?? 0), visible: true },
    })),
    layout: {
      title: { text: title },
      xaxis: { title: { text: "α (share of monolingual batches; 0 = X-Y, 1 = X-X)" }, range: [-0.05, 1.05] },
      yaxis: { title: { text: "mAP" } },
    },
  };
}

/**
 * Per query language, one setting's mAP for each configuration of a direction (mean over
 * seeds), with the paper's XLM-R numbers beside when given.
 */
export function perLanguageTable(
  report: GridReport,
  which: { model: string; train: string; eval: DatasetName },
  setting: Setting,
  paper?: PaperResults,
): Record<string, string | number | null>[] {
  const groups = configGroups(report).filter(
    (g) => g.model === which.model && g.train === which.train && g.eval === which.eval && g.finished.length > 0,
  );
  const languages = groups[0]?.finished[0].results!.languages ?? [];
  return languages.map((lang, i) => {
    const row: Record<string, string | number | null> = { lang };
    for (const g of groups) {
      const values = g.finished.map((r) => r.results![setting].perLanguage[i].map).filter((v): v is number => v !== null);
      row[g.label] = values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
    }
    if (paper !== undefined) {
      for (const s of PAPER_STRATEGIES) row[`paper XLM-R ${s}`] = paper.map_per_language["xlm-r"][which.eval]?.[lang]?.[setting]?.[s] ?? null;
    }
    return row;
  });
}

/** The cross-lingual mAP matrix (query language × candidate language) of a configuration, mean over seeds; NaN where undefined. */
export function meanCrossMatrix(group: ConfigGroup): { languages: string[]; map: number[][] } {
  const results = group.finished.map((r) => r.results!);
  if (results.length === 0) throw new RangeError(`${group.label}: no finished run`);
  const languages = [...results[0].cross.matrix.languages];
  const map = languages.map((_, a) =>
    languages.map((_, b) => {
      const values = results.map((r) => r.cross.matrix.map[a][b]).filter((v): v is number => v !== null);
      return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
    }),
  );
  return { languages, map };
}

/** One paired test between two configurations of a direction. */
export interface StrategyTest {
  readonly direction: string;
  readonly a: string;
  readonly b: string;
  readonly metric: PerQueryMetric;
  readonly test: PairedTest;
}

/**
 * Every pair of configurations within each direction, tested on each of `metrics` (per-query
 * values averaged over seeds first). Configurations without per-query values are left out.
 */
export function strategyTests(report: GridReport, metrics: readonly PerQueryMetric[], options: PairedTestOptions = {}): StrategyTest[] {
  const out: StrategyTest[] = [];
  for (const d of directions(report)) {
    const groups = configGroups(report).filter(
      (g) => g.train === d.train && g.eval === d.eval && g.finished.length > 0 && g.finished.every((r) => r.perQuery !== null),
    );
    const perQuery = new Map(groups.map((g) => [g, groupPerQuery(g)!]));
    for (let i = 0; i < groups.length; i++) {
      for (let j = i + 1; j < groups.length; j++) {
        for (const metric of metrics) {
          const test = pairedTest(pairPerQuery(perQuery.get(groups[i])!, perQuery.get(groups[j])!, metric), { rounds: 5000, ...options });
          out.push({ direction: `${d.train}→${d.eval}`, a: groups[i].label, b: groups[j].label, metric, test });
        }
      }
    }
  }
  return out;
}

/**
 * The tests as table rows. `lowerIsBetter` for rank distance: the verdict names the better side.
 */
export function strategyTestRecords(tests: readonly StrategyTest[], digits = 3): Record<string, string | number>[] {
  return tests.map(({ direction, a, b, metric, test }) => {
    const lowerIsBetter = metric === "rankDistance";
    const better = test.difference > 0 !== lowerIsBetter ? "A" : "B";
    return {
      direction,
      A: a,
      B: b,
      metric: metric === "rankDistance" ? "rank distance" : `${metric.replace("AP", "")} AP`,
      queries: test.n,
      "A − B": Number(test.difference.toFixed(digits)),
      "95% CI": `[${test.ci[0].toFixed(digits)}, ${test.ci[1].toFixed(digits)}]`,
      // A string, so that tables show the 4 digits (a number would be rounded to the table's 3: "0.000").
      p: test.pValue.toFixed(4),
      verdict: test.significant ? `${better} better` : "not significant",
    };
  });
}
