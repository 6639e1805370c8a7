/** What `evaluate` and `bm25` share: running the evaluator with a progress bar, and printing. */
import { evaluate, type EvaluateOptions } from "../eval/evaluate.js";
import type { RankedResult } from "../eval/ranked.js";
import { formatCrossMatrix, formatSummaryTable } from "../eval/format.js";
import type { EvaluationResult } from "../eval/result.js";
import type { EvalTask, Scorer } from "../eval/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { progressBar } from "../util/progress.js";
import { formatRanked } from "./ranked-output.js";

export async function runEvaluation(
  task: EvalTask,
  scorer: Scorer,
  label: string,
  onScores?: EvaluateOptions["onScores"],
): Promise<EvaluationResult> {
  const bar = progressBar(label, scorer.numQueries);
  const result = await evaluate(task, scorer, { onProgress: (done) => bar.update(done), onScores });
  bar.finish();
  return result;
}

export async function printResult(
  result: EvaluationResult,
  opts: { dataset: string; json: boolean; out: string | undefined; trec?: Readonly<Record<string, RankedResult>> },
): Promise<void> {
  const json = JSON.stringify({ dataset: opts.dataset, ...result, ...(opts.trec ? { trec: opts.trec } : {}) }, null, 2);
  if (opts.out !== undefined) await writeFileAtomic(opts.out, json + "\n");
  if (opts.json) {
    console.log(json);
    return;
  }
  const m = (v: number | null) => (v === null ? "-" : v.toFixed(3));
  console.log(
    `${opts.dataset}: mono mAP ${m(result.mono.mean.map)}, cross mAP ${m(result.cross.mean.map)}, ` +
      `multi mAP ${m(result.multi.mean.map)}, rank distance ${result.languageBias.mean?.toFixed(1) ?? "-"}\n`,
  );
  console.log(formatSummaryTable(result));
  console.log(`\ncross-lingual mAP, query language (rows) × target language (columns):\n`);
  console.log(formatCrossMatrix(result));
  if (opts.trec) {
    console.log(`\ntrec_eval metrics of the --run-out runs (top ${Object.values(opts.trec)[0]?.depth} per ranked query):\n`);
    console.log(formatRanked(opts.trec));
  }
}
