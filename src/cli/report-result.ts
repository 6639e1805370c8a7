/** What `evaluate` and `bm25` share: running the evaluator with a progress bar, and printing. */
import { evaluate } from "../eval/evaluate.js";
import { formatCrossMatrix, formatSummaryTable } from "../eval/format.js";
import type { EvaluationResult } from "../eval/result.js";
import type { EvalTask, Scorer } from "../eval/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { progressBar } from "../util/progress.js";

export async function runEvaluation(task: EvalTask, scorer: Scorer, label: string): Promise<EvaluationResult> {
  const bar = progressBar(label, scorer.numQueries);
  const result = await evaluate(task, scorer, { onProgress: (done) => bar.update(done) });
  bar.finish();
  return result;
}

export async function printResult(
  result: EvaluationResult,
  opts: { dataset: string; json: boolean; out: string | undefined },
): Promise<void> {
  const json = JSON.stringify({ dataset: opts.dataset, ...result }, null, 2);
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
}
