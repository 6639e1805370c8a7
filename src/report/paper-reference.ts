/**
 * The paper's published numbers (vendored under data/reference with a checksum), typed, so
 * notebooks and reports can print our figures beside them.
 */
import { join } from "node:path";
import { readVerified } from "../data/manifest.js";
import type { DatasetName } from "../data/types.js";
import { dataDir } from "../paths.js";
import type { SamplerName } from "../sampling/options.js";

export type PaperModel = "xlm-r" | "labse";
/** The paper's strategies: its three batch samplers. */
export type Strategy = SamplerName;
export type Setting = "mono" | "cross" | "multi";

type ByStrategy = Record<Strategy, number>;

export interface PaperResults {
  readonly source: string;
  readonly notes: readonly string[];
  /** Table 1: model → dataset → setting → strategy → mAP. */
  readonly table1_map: Record<PaperModel, Record<DatasetName, Record<Setting, ByStrategy>>>;
  /** Table 2: model → dataset → strategy → mean rank distance. */
  readonly table2_rank_distance: Record<PaperModel, Record<DatasetName, ByStrategy>>;
  /** model → dataset → query language → setting → strategy → mAP. */
  readonly map_per_language: Record<PaperModel, Record<DatasetName, Record<string, Record<Setting, ByStrategy>>>>;
  /** dataset → query language (and "mean") → model → strategy → rank distance. */
  readonly rank_distance_per_language: Record<DatasetName, Record<string, Record<PaperModel, ByStrategy>>>;
  /** LAReQA's mBERT baselines (mAP in the multilingual pool). */
  readonly lareqa_baselines_map: { model: string } & Record<DatasetName, Record<string, number>>;
}

export const PAPER_FILE = "paper-2408.10536-results.json";

let cached: Promise<PaperResults> | undefined;

export function loadPaperResults(): Promise<PaperResults> {
  cached ??= (async () => {
    const dir = join(dataDir(), "reference");
    const bytes = (await readVerified(dir, [PAPER_FILE])).get(PAPER_FILE)!;
    return JSON.parse(bytes.toString("utf8")) as PaperResults;
  })();
  // A failure is not kept: a notebook kernel that fixes the file and calls again must read it anew.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}
