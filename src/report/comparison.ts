/**
 * Rows that put our results beside the paper's, in the layout of its Table 1 (mono / cross /
 * multi mAP) plus Table 2's rank distance, for notebooks and reports.
 */
import type { DatasetName } from "../data/types.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import type { EvaluationResult } from "../eval/result.js";
import type { PaperModel, PaperResults, Strategy } from "./paper-reference.js";

export interface ComparisonRow {
  readonly system: string;
  /** Where the numbers come from: this suite's run, or a published table. */
  readonly source: string;
  readonly mono: number | null;
  readonly cross: number | null;
  readonly multi: number | null;
  readonly rankDistance: number | null;
}

export function resultRow(system: string, result: EvaluationResult, source = "this suite"): ComparisonRow {
  return {
    system,
    source,
    mono: result.mono.mean.map,
    cross: result.cross.mean.map,
    multi: result.multi.mean.map,
    rankDistance: result.languageBias.mean,
  };
}

const MODEL_NAMES: Record<PaperModel, string> = { "xlm-r": "XLM-R", labse: "LaBSE" };
const STRATEGIES: readonly Strategy[] = SAMPLER_NAMES;

/** The paper's fine-tuned models (Tables 1–2) and LAReQA's mBERT baselines (multi mAP only). */
export function paperRows(paper: PaperResults, dataset: DatasetName): ComparisonRow[] {
  const rows: ComparisonRow[] = [];
  for (const model of Object.keys(MODEL_NAMES) as PaperModel[]) {
    const t1 = paper.table1_map[model][dataset];
    for (const s of STRATEGIES) {
      rows.push({
        system: `${MODEL_NAMES[model]} ${s.toUpperCase()}`,
        source: "arXiv:2408.10536 Tables 1–2",
        mono: t1.mono[s],
        cross: t1.cross[s],
        multi: t1.multi[s],
        rankDistance: paper.table2_rank_distance[model][dataset][s],
      });
    }
  }
  for (const [name, value] of Object.entries(paper.lareqa_baselines_map[dataset])) {
    rows.push({ system: `mBERT ${name} (LAReQA)`, source: "arXiv:2004.05484", mono: null, cross: null, multi: value, rankDistance: null });
  }
  return rows;
}
