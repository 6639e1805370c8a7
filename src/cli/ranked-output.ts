/**
 * What the collection commands and `--run-out` share: the flags of a ranked evaluation, the
 * LAReQA settings' runs taken from the protocol's own pass, and printing trec_eval's metrics.
 */
import type { EvalTask } from "../eval/types.js";
import { isLareqaSettingName, type LareqaSettingName, LAREQA_SETTINGS, lareqaSetting, settingPath } from "../eval/lareqa-runs.js";
import type { RankedResult } from "../eval/ranked.js";
import { DEFAULT_DEPTH, RankedRun } from "../eval/ranked-runs.js";
import { TrecRanker } from "../eval/ranking.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { textTable } from "../util/text-table.js";
import { intArg, UsageError } from "./args.js";

/** parseArgs options of `--run-out`, `--depth`, `--tag` and `--run-settings`. */
export const RUN_FLAGS = {
  "run-out": { type: "string" },
  depth: { type: "string" },
  tag: { type: "string", default: "hybrid-ir" },
  "run-settings": { type: "string" },
} as const;

/** LAReQA runs are cut at 100 by default: the cross run has one ranked query per question and target language. */
export const LAREQA_DEFAULT_DEPTH = 100;

export function depthArg(value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : intArg("--depth", value, 1);
}

export function settingsArg(value: string | undefined): LareqaSettingName[] {
  if (value === undefined) return [...LAREQA_SETTINGS];
  const names = value.split(",").map((s) => s.trim());
  for (const n of names) if (!isLareqaSettingName(n)) throw new UsageError(`unknown setting '${n}' (expected some of: ${LAREQA_SETTINGS.join(", ")})`);
  return [...new Set(names)] as LareqaSettingName[];
}

/** One TREC run per LAReQA setting (`settingPath`), fed from the evaluator's `onScores`. */
export class LareqaRuns {
  private readonly runs: RankedRun[];

  constructor(
    task: EvalTask,
    candidateIds: readonly string[],
    base: string,
    settings: readonly LareqaSettingName[],
    depth: number,
    tag: string,
    keepPerQuery = false,
  ) {
    const ranker = new TrecRanker(candidateIds);
    this.runs = settings.map(
      (s) => new RankedRun(lareqaSetting(task, s), ranker, candidateIds, { depth, tag, keepPerQuery, runPath: settingPath(base, s) }),
    );
  }

  readonly onScores = (q: number, block: Float32Array, offset: number): void => {
    for (const run of this.runs) run.add(q, block, offset);
  };

  finish(): Record<string, RankedResult> {
    return Object.fromEntries(this.runs.map((r) => [r.setting.name, r.finish()]));
  }

  abort(): void {
    for (const r of this.runs) r.abort();
  }

  paths(base: string): string[] {
    return this.runs.map((r) => settingPath(base, r.setting.name));
  }
}

export function formatRanked(results: Readonly<Record<string, RankedResult>>): string {
  const first = Object.values(results)[0];
  const ks = first?.recallKs ?? [];
  const m = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(4));
  return textTable(
    ["run", "queries", "nDCG@10", "MRR@10", "MRR", "MAP", ...ks.map((k) => `R@${k}`)],
    Object.entries(results).map(([name, r]) => [
      name,
      String(r.numQueries),
      m(r.mean?.ndcg10),
      m(r.mean?.mrr10),
      m(r.mean?.mrr),
      m(r.mean?.map),
      ...ks.map((k) => m(r.mean?.recall[String(k)])),
    ]),
    { rule: true },
  );
}

/** Prints a collection's result (text or JSON) and writes the JSON to `out` if given. */
export async function printRanked(
  header: Readonly<Record<string, unknown>>,
  results: Readonly<Record<string, RankedResult>>,
  opts: { json: boolean; out: string | undefined },
): Promise<void> {
  const json = JSON.stringify({ ...header, trec: results }, null, 2);
  if (opts.out !== undefined) await writeFileAtomic(opts.out, json + "\n");
  if (opts.json) {
    console.log(json);
    return;
  }
  const depth = Object.values(results)[0]?.depth ?? DEFAULT_DEPTH;
  console.log(`trec_eval metrics over the top ${depth} per query (ties: score, then document id, descending):\n`);
  console.log(formatRanked(results));
}
