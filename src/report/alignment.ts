/**
 * The alignment comparison of notebook 06: every finished run's alignment.json (written at
 * evaluation time, eval/alignment.ts), one row per configuration (mean over seeds), and figures:
 * the headline measures side by side, the bitext P@1 matrix and the language-centroid distances.
 *
 * @example
 * const report = await loadGridReport(grid);
 * const alignments = await loadAlignments(report);
 * show(tableHtml(alignmentTable(groupsOf(report, which), alignments)));
 */
import { join } from "node:path";
import type { AlignmentResult } from "../eval/alignment.js";
import { readAlignmentFile } from "../run-files/alignment.js";
import { alignmentPath } from "../run-files/paths.js";
import { heatmapFigure, type PlotlyFigure } from "./display.js";
import type { ConfigGroup, GridReport, RunRecord } from "./grid-report.js";

/** alignment.json of each run that has one, keyed by the run's directory name. */
export async function loadAlignments(report: GridReport): Promise<Map<string, AlignmentResult>> {
  const out = new Map<string, AlignmentResult>();
  for (const run of report.runs) {
    const a = await readAlignmentFile(alignmentPath(join(report.root, run.row.dir)));
    if (a !== null) out.set(run.row.dir, a);
  }
  return out;
}

/** The headline numbers of one alignment result. */
export interface AlignmentHeadline {
  readonly bitext: number | null;
  readonly translationCosine: number | null;
  readonly otherCosine: number | null;
  readonly cosineGap: number | null;
  readonly probe: number | null;
  readonly probeMajority: number | null;
  readonly centroidDistance: number | null;
  readonly multiBefore: number | null;
  readonly multiAfter: number | null;
  readonly rankDistanceBefore: number | null;
  readonly rankDistanceAfter: number | null;
}

export function alignmentHeadline(a: AlignmentResult): AlignmentHeadline {
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
  return {
    bitext: a.bitext.mean,
    translationCosine: a.translationCosine.translation,
    otherCosine: a.translationCosine.nonTranslation,
    cosineGap: a.translationCosine.gap,
    probe: finite(a.languageProbe.accuracy),
    probeMajority: finite(a.languageProbe.majority),
    centroidDistance: a.centroids.mean,
    multiBefore: a.centroidRemoval.before.multi,
    multiAfter: a.centroidRemoval.after.multi,
    rankDistanceBefore: a.centroidRemoval.before.rankDistance,
    rankDistanceAfter: a.centroidRemoval.after.rankDistance,
  };
}

/** A configuration's runs that have alignment.json, by seed. */
function alignedRuns(group: ConfigGroup, alignments: ReadonlyMap<string, AlignmentResult>): { run: RunRecord; alignment: AlignmentResult }[] {
  return group.finished.flatMap((run) => {
    const alignment = alignments.get(run.row.dir);
    return alignment === undefined ? [] : [{ run, alignment }];
  });
}

/** The mean over seeds of each headline number, per configuration; null where no run has alignment.json. */
export function meanHeadline(group: ConfigGroup, alignments: ReadonlyMap<string, AlignmentResult>): AlignmentHeadline | null {
  const heads = alignedRuns(group, alignments).map((x) => alignmentHeadline(x.alignment));
  if (heads.length === 0) return null;
  const keys = Object.keys(heads[0]) as (keyof AlignmentHeadline)[];
  const out: Record<string, number | null> = {};
  for (const key of keys) {
    const values = heads.map((h) => h[key]).filter((v): v is number => v !== null);
    out[key] = values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
  }
  return out as unknown as AlignmentHeadline;
}

/**
 * One row per configuration: bitext P@1, cosine of translations and of other cross-language
 * pairs, the language-ID probe's accuracy (and its majority floor), the mean centroid distance,
 * and multi mAP / rank distance before and after removing the language centroids.
 */
export function alignmentTable(groups: readonly ConfigGroup[], alignments: ReadonlyMap<string, AlignmentResult>): Record<string, string | number | null>[] {
  return groups.flatMap((g) => {
    const h = meanHeadline(g, alignments);
    if (h === null) return [];
    return [
      {
        strategy: g.label,
        seeds: alignedRuns(g, alignments).length,
        "bitext P@1": h.bitext,
        "cos translations": h.translationCosine,
        "cos other pairs": h.otherCosine,
        "language probe": h.probe,
        "probe floor": h.probeMajority,
        "centroid distance": h.centroidDistance,
        "multi mAP": h.multiBefore,
        "multi mAP, centroids removed": h.multiAfter,
        "rank distance": h.rankDistanceBefore,
        "rank distance, centroids removed": h.rankDistanceAfter,
      },
    ];
  });
}

/** Bars per configuration of the measures on a [0, 1] scale: bitext P@1, cosine gap, probe accuracy, multi mAP before / after. */
export function alignmentBarsFigure(groups: readonly ConfigGroup[], alignments: ReadonlyMap<string, AlignmentResult>, title: string): PlotlyFigure {
  const rows = groups.flatMap((g) => {
    const h = meanHeadline(g, alignments);
    return h === null ? [] : [{ label: g.label, h }];
  });
  const measures: [keyof AlignmentHeadline, string][] = [
    ["bitext", "bitext P@1"],
    ["cosineGap", "cosine gap (translations − others)"],
    ["probe", "language-ID probe accuracy"],
    ["multiBefore", "multi mAP"],
    ["multiAfter", "multi mAP, centroids removed"],
  ];
  return {
    data: measures.map(([key, name]) => ({ type: "bar", name, x: rows.map((r) => r.label), y: rows.map((r) => r.h[key]) })),
    layout: { title: { text: title }, barmode: "group", yaxis: { title: { text: "value (higher = more of it)" } } },
  };
}

/** A configuration's bitext P@1 matrix (source rows, target columns), mean over seeds; NaN on the diagonal. */
export function bitextFigure(group: ConfigGroup, alignments: ReadonlyMap<string, AlignmentResult>, title: string): PlotlyFigure | null {
  const results = alignedRuns(group, alignments).map((x) => x.alignment);
  if (results.length === 0) return null;
  const languages = [...results[0].languages];
  const matrix = languages.map((_, a) =>
    languages.map((_, b) => {
      const values = results.map((r) => r.bitext.accuracy[a][b]).filter((v): v is number => v !== null);
      return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
    }),
  );
  return heatmapFigure(matrix, languages, languages, title, { zmin: 0, zmax: 1, valueFormat: ".2f" });
}

/** Distances between the language centroids of one configuration (first seed with alignment.json). */
export function centroidDistanceFigure(group: ConfigGroup, alignments: ReadonlyMap<string, AlignmentResult>, title: string): PlotlyFigure | null {
  const first = alignedRuns(group, alignments)[0]?.alignment;
  if (first === undefined) return null;
  return heatmapFigure(first.centroids.distance, first.languages, first.languages, title, { valueFormat: ".2f" });
}
