/**
 * What notebook 02-sampling shows about the batch samplers, as pure functions from batches to
 * table rows, statistics and plotly figures: one example batch, the language composition over
 * many batches, the hybrid's share of monolingual batches against α, an audit of the group-id
 * rule, and the uniformity of the x-x language draw. The batches come from
 * sampling/draw.ts (and the strawman of sampling/naive.ts), the statistics from eval/stats.ts.
 */
import type { PlotlyFigure } from "./display.js";
import { wilsonInterval, type UniformityTest } from "../eval/stats.js";
import type { Batch, BatchPair } from "../sampling/types.js";
import type { TrainingRecord } from "../train-data/format.js";
import { normalizeText } from "../train-data/split.js";

/** One pair of an example batch, as a table row. */
export interface ExamplePairRow {
  readonly pair: number;
  readonly "query → passage": string;
  readonly group: string;
  readonly query: string;
  readonly passage: string;
}

export interface ExampleRowOptions {
  /** Characters kept of the group id (default 10). */
  readonly groupChars?: number;
  /** Characters kept of the query and passage texts (default 60). */
  readonly textChars?: number;
}

/** The pairs of `batch` with their languages, group ids and texts cut short. */
export function exampleBatchRows(batch: Batch, records: readonly TrainingRecord[], opts: ExampleRowOptions = {}): ExamplePairRow[] {
  const groupChars = opts.groupChars ?? 10;
  const textChars = opts.textChars ?? 60;
  return batch.pairs.map((p, i) => ({
    pair: i,
    "query → passage": `${p.queryLang} → ${p.passageLang}`,
    group: truncate(p.group, groupChars),
    query: truncate(records[p.query].query, textChars),
    passage: truncate(records[p.passage].positive, textChars),
  }));
}

function truncate(text: string, chars: number): string {
  const codePoints = [...text];
  return codePoints.length <= chars ? text : `${codePoints.slice(0, Math.max(chars - 1, 0)).join("")}…`;
}

/** How the pairs of many batches spread over (query language, passage language). */
export interface LanguageMix {
  readonly languages: readonly string[];
  /** shares[q][p]: the share of all pairs with query language languages[q] and passage language languages[p]; they sum to 1. */
  readonly shares: readonly (readonly number[])[];
  readonly pairs: number;
  readonly batches: number;
}

/** Pair shares by language; a pair in a language outside `languages` throws. */
export function languageMix(batches: readonly Batch[], languages: readonly string[]): LanguageMix {
  const index = new Map(languages.map((lang, i) => [lang, i]));
  const counts = languages.map(() => languages.map(() => 0));
  let pairs = 0;
  for (const batch of batches) {
    for (const p of batch.pairs) {
      const [q, d] = [index.get(p.queryLang), index.get(p.passageLang)];
      if (q === undefined || d === undefined) throw new Error(`languageMix: pair ${p.queryLang} → ${p.passageLang} has a language outside ${languages.join(", ")}`);
      counts[q][d] += 1;
      pairs += 1;
    }
  }
  return { languages, shares: counts.map((row) => row.map((c) => (pairs === 0 ? 0 : c / pairs))), pairs, batches: batches.length };
}

export interface MixPanel {
  readonly title: string;
  readonly mix: LanguageMix;
}

/**
 * The language mixes side by side, one heatmap each: rows the query language, columns the
 * passage language, cells the share of pairs in percent. Cells no pair falls in are left blank,
 * so the structure (diagonal only, off-diagonal only) shows at a glance. Each panel has its own
 * colour scale (a monolingual cell holds ~1/L of the pairs, a cross-lingual one ~1/L²), so
 * compare panels by the printed numbers, not the colours.
 */
export function languageMixFigure(panels: readonly MixPanel[], title: string): PlotlyFigure {
  const n = panels.length;
  const gap = 0.06;
  const width = (1 - gap * (n - 1)) / n;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = { title: { text: title }, margin: { t: 90 } };
  const annotations: Record<string, unknown>[] = [];
  panels.forEach(({ title: panelTitle, mix }, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    const domain = [i * (width + gap), i * (width + gap) + width];
    const max = Math.max(...mix.shares.flat().map((s) => s * 100));
    data.push({
      type: "heatmap",
      z: mix.shares.map((row) => row.map((s) => (s === 0 ? null : s * 100))),
      x: [...mix.languages],
      y: [...mix.languages],
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      zmin: 0,
      zmax: max > 0 ? max : 1,
      colorscale: "Viridis",
      showscale: false,
      hoverongaps: false,
      texttemplate: "%{z:.1f}",
      textfont: { size: 10 },
      hovertemplate: "query %{y} → passage %{x}: %{z:.2f}% of pairs<extra></extra>",
    });
    layout[`xaxis${suffix}`] = { domain, anchor: `y${suffix}`, type: "category", title: { text: "passage language" } };
    layout[`yaxis${suffix}`] = {
      anchor: `x${suffix}`,
      type: "category",
      autorange: "reversed",
      title: { text: i === 0 ? "query language" : "" },
    };
    annotations.push({
      text: `<b>${panelTitle}</b>`,
      x: (domain[0] + domain[1]) / 2,
      y: 1.02,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
    });
  });
  layout.annotations = annotations;
  return { data, layout };
}

/** The observed share of monolingual batches among `batches`, drawn with probability `alpha`. */
export interface MonoShareRow {
  readonly alpha: number;
  readonly batches: number;
  readonly mono: number;
  readonly share: number;
  /** Wilson 95% interval of the share. */
  readonly low: number;
  readonly high: number;
  /** Whether α lies inside [low, high]. */
  readonly covers: boolean;
}

export function monoShare(alpha: number, batches: readonly Batch[]): MonoShareRow {
  const mono = batches.filter((b) => b.kind === "mono").length;
  const [low, high] = wilsonInterval(mono, batches.length);
  return { alpha, batches: batches.length, mono, share: mono / batches.length, low, high, covers: low <= alpha && alpha <= high };
}

/** Observed share with its interval as error bars, against the line y = α. */
export function monoShareFigure(rows: readonly MonoShareRow[], title: string): PlotlyFigure {
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        name: "y = α",
        x: [0, 1],
        y: [0, 1],
        line: { dash: "dash", color: "gray" },
      },
      {
        type: "scatter",
        mode: "markers",
        name: "observed (Wilson 95%)",
        x: rows.map((r) => r.alpha),
        y: rows.map((r) => r.share),
        error_y: { type: "data", symmetric: false, array: rows.map((r) => r.high - r.share), arrayminus: rows.map((r) => r.share - r.low) },
        marker: { size: 8 },
      },
    ],
    layout: {
      title: { text: title },
      xaxis: { title: { text: "α (probability of a monolingual batch)" }, range: [-0.05, 1.05], dtick: 0.1 },
      yaxis: { title: { text: "share of monolingual batches" }, range: [-0.05, 1.05], dtick: 0.1 },
      legend: { x: 0.02, y: 0.98 },
    },
  };
}

/**
 * Where a query's in-batch negatives (the other pairs' passages) are written, as shares of all
 * (query, negative) combinations: in the query's language, in its positive's language when that
 * differs, or in a third language. In a monolingual batch every negative is in the query's
 * language; a cross-lingual batch mixes all three.
 */
export interface NegativeMix {
  readonly queryLanguage: number;
  readonly positiveLanguage: number;
  readonly otherLanguage: number;
  /** (query, negative) combinations counted: Σ over batches of n·(n − 1). */
  readonly negatives: number;
}

export function negativeMix(batches: readonly Batch[]): NegativeMix {
  let [query, positive, other, total] = [0, 0, 0, 0];
  for (const { pairs } of batches) {
    // Per language, how many passages of the batch are in it; a pair's own passage is taken off below.
    const passagesIn = new Map<string, number>();
    for (const p of pairs) passagesIn.set(p.passageLang, (passagesIn.get(p.passageLang) ?? 0) + 1);
    for (const p of pairs) {
      const own = (lang: string) => (p.passageLang === lang ? 1 : 0);
      const inQuery = (passagesIn.get(p.queryLang) ?? 0) - own(p.queryLang);
      const inPositive = p.passageLang === p.queryLang ? 0 : (passagesIn.get(p.passageLang) ?? 0) - 1;
      const negatives = pairs.length - 1;
      query += inQuery;
      positive += inPositive;
      other += negatives - inQuery - inPositive;
      total += negatives;
    }
  }
  const share = (n: number) => (total === 0 ? 0 : n / total);
  return { queryLanguage: share(query), positiveLanguage: share(positive), otherLanguage: share(other), negatives: total };
}

/** What the group-id rule is about, counted over batches. */
export interface BatchAudit {
  readonly batches: number;
  readonly pairs: number;
  /** Batches in which some group id occurs twice or more. */
  readonly batchesRepeatingGroup: number;
  /** Pairs whose group id occurs in another pair of their batch: a translation of their positive (or the positive itself) is an in-batch negative. */
  readonly pairsRepeatingGroup: number;
  /** Batches in which two pairs have the same positive sentence (equal after normalizeText). */
  readonly batchesSharingPositive: number;
  /** Pairs whose positive sentence is another pair's positive in their batch: for InfoNCE, their own answer counted as a negative. */
  readonly pairsSharingPositive: number;
}

/** Counts repeated groups and shared positives; `records` are the records the batches index. */
export function auditBatches(batches: readonly Batch[], records: readonly TrainingRecord[]): BatchAudit {
  let pairs = 0;
  let batchesRepeatingGroup = 0;
  let pairsRepeatingGroup = 0;
  let batchesSharingPositive = 0;
  let pairsSharingPositive = 0;
  const normalized = new Map<number, string>(); // record index → its normalised positive, computed once
  const positiveOf = (p: BatchPair) => {
    let text = normalized.get(p.passage);
    if (text === undefined) normalized.set(p.passage, (text = normalizeText(records[p.passage].positive)));
    return text;
  };
  for (const batch of batches) {
    pairs += batch.pairs.length;
    const repeated = (keys: string[]) => {
      const counts = new Map<string, number>();
      for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
      return keys.filter((k) => counts.get(k)! > 1).length;
    };
    const groupRepeats = repeated(batch.pairs.map((p) => p.group));
    const positiveRepeats = repeated(batch.pairs.map(positiveOf));
    pairsRepeatingGroup += groupRepeats;
    pairsSharingPositive += positiveRepeats;
    if (groupRepeats > 0) batchesRepeatingGroup += 1;
    if (positiveRepeats > 0) batchesSharingPositive += 1;
  }
  return { batches: batches.length, pairs, batchesRepeatingGroup, pairsRepeatingGroup, batchesSharingPositive, pairsSharingPositive };
}

/** One category of a uniformity test. */
export interface UniformityRow {
  readonly category: string;
  readonly count: number;
  readonly expected: number;
  /** (count − expected) / sd, sd = √(n p (1 − p)) with p = 1 / categories: a multinomial count's spread. */
  readonly deviation: number;
}

export function uniformityRows(test: UniformityTest): UniformityRow[] {
  const sd = Math.sqrt(test.expected * (1 - 1 / Object.keys(test.counts).length));
  return Object.entries(test.counts).map(([category, count]) => ({ category, count, expected: test.expected, deviation: (count - test.expected) / sd }));
}
