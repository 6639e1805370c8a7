/**
 * Language bias from a grid's runs: rank distance per strategy and query language (the paper's
 * Tables 7–8 layout), the distribution of per-query rank distances, and where in the pooled
 * ranking each language's relevant passage lands (from per-query.json's pool ranks).
 *
 * Rank distance (Huang et al. 2023): for a query, the distance in the multilingual pool between
 * the best- and worst-ranked of its parallel relevant passages. An unbiased model ranks a
 * question's answers in all languages together (distance near 0); a model that prefers the
 * query's own language pushes the others down (large distance).
 */
import type { DatasetName } from "../data/types.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import type { PaperModel, PaperResults, Strategy } from "./paper-reference.js";
import type { PlotlyFigure } from "./display.js";
import { quartiles } from "../eval/stats.js";
import { configGroups, type ConfigGroup, type GridReport } from "./grid-report.js";

const PAPER_MODELS: Record<PaperModel, string> = { "xlm-r": "XLM-R", labse: "LaBSE" };
const STRATEGIES: readonly Strategy[] = SAMPLER_NAMES;

/** The configurations of one model and direction that finished, in the aggregate's order. */
export function groupsOf(report: GridReport, which: { model: string; train: string; eval: DatasetName }): ConfigGroup[] {
  return configGroups(report).filter((g) => g.model === which.model && g.train === which.train && g.eval === which.eval && g.finished.length > 0);
}

/**
 * Tables 7–8: one row per query language plus "mean"; one column per configuration (mean over
 * seeds of the per-language mean rank distance), then the paper's per model and strategy.
 */
export function rankDistanceTable(groups: readonly ConfigGroup[], dataset: DatasetName, paper?: PaperResults): Record<string, string | number | null>[] {
  const languages = groups[0]?.finished[0].results!.languages ?? [];
  const mean = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
  };
  const rows: Record<string, string | number | null>[] = [...languages, "mean"].map((lang) => ({ lang }));
  for (const g of groups) {
    const results = g.finished.map((r) => r.results!);
    languages.forEach((_, i) => {
      rows[i][g.label] = mean(results.map((r) => r.languageBias.perLanguage[i].meanRankDistance));
    });
    rows[languages.length][g.label] = mean(results.map((r) => r.languageBias.mean));
  }
  if (paper !== undefined) {
    const table = paper.rank_distance_per_language[dataset] ?? {};
    for (const [key, name] of Object.entries(PAPER_MODELS) as [PaperModel, string][]) {
      for (const s of STRATEGIES) {
        [...languages, "mean"].forEach((lang, i) => {
          rows[i][`paper ${name} ${s}`] = table[lang]?.[key]?.[s] ?? null;
        });
      }
    }
  }
  return rows;
}

/** Box plots of the per-query rank distances of each configuration (all seeds pooled). */
export function rankDistanceDistributionFigure(groups: readonly ConfigGroup[], title: string): PlotlyFigure {
  return {
    data: groups.map((g) => ({
      type: "box",
      name: g.label,
      y: g.finished.flatMap((r) => (r.perQuery?.rankDistance ?? []).filter((d): d is number => d !== null)),
      boxpoints: false,
    })),
    layout: { title: { text: title }, yaxis: { title: { text: "rank distance (log scale)" }, type: "log" }, showlegend: false },
  };
}

/**
 * Where each language's relevant passage lands in the pool: the median (over queries of
 * `queryLang`, or all queries when null) of the pool rank of the relevant passage in each target
 * language, one row per configuration (the first seed's run; ranks are not averaged over seeds).
 */
export function medianPoolRanks(groups: readonly ConfigGroup[], queryLang: string | null): { languages: string[]; labels: string[]; median: number[][] } {
  // Any group's run will do for the language list: older runs (before per-query.json) have none.
  const first = groups.flatMap((g) => g.finished).find((r) => r.perQuery !== null);
  const languages = first ? [...first.results!.languages] : [];
  const median = groups.map((g) => {
    const pq = g.finished.find((r) => r.perQuery !== null)?.perQuery;
    return languages.map((_, l) => {
      if (!pq) return Number.NaN;
      const ranks: number[] = [];
      pq.poolRank.forEach((row, q) => {
        if (queryLang !== null && pq.lang[q] !== queryLang) return;
        const r = row[l];
        if (r !== null) ranks.push(r);
      });
      return quartiles(ranks)[1];
    });
  });
  return { languages, labels: groups.map((g) => g.label), median };
}

/**
 * For one configuration, box plots of the pool rank of the relevant passage in each target
 * language, separately for answers in the query's own language and in the others: a biased
 * model ranks its own language's answer near the top and the others far below.
 */
export function poolRankFigure(group: ConfigGroup, title: string): PlotlyFigure {
  const pq = group.finished.find((r) => r.perQuery !== null)?.perQuery;
  const languages = group.finished[0]?.results?.languages ?? [];
  const own: { x: string[]; y: number[] } = { x: [], y: [] };
  const other: { x: string[]; y: number[] } = { x: [], y: [] };
  if (pq) {
    pq.poolRank.forEach((row, q) => {
      row.forEach((rank, l) => {
        if (rank === null) return;
        const target = pq.lang[q] === languages[l] ? own : other;
        target.x.push(languages[l]);
        target.y.push(rank);
      });
    });
  }
  return {
    data: [
      { type: "box", name: "answer in the query's language", x: own.x, y: own.y, boxpoints: false },
      { type: "box", name: "answer in another language", x: other.x, y: other.y, boxpoints: false },
    ],
    layout: {
      title: { text: title },
      boxmode: "group",
      xaxis: { title: { text: "language of the relevant passage" } },
      yaxis: { title: { text: "rank in the multilingual pool (log scale)" }, type: "log" },
    },
  };
}
