import { bm25CollectionScorer } from "../baselines/bm25-collection.js";
import { bm25Scorer } from "../baselines/bm25-dataset.js";
import { loadDataset } from "../data/lareqa.js";
import { loadCollection } from "../data/load-collection.js";
import { taskFromDataset } from "../eval/task.js";
import { loadXlmrTokenizer } from "../tokenize/xlmr-tokenizer.js";
import { datasetArg, parse, UsageError } from "./args.js";
import { scoreCollection } from "./collection-eval.js";
import { depthArg, LAREQA_DEFAULT_DEPTH, LareqaRuns, RUN_FLAGS, settingsArg } from "./ranked-output.js";
import { printResult, runEvaluation } from "./report-result.js";

export const usage = `usage: hybrid-ir bm25 --dataset <xquad-r|mlqa-r> [--k1 1.2] [--b 0.75] [--json] [--out FILE.json]
                    [--run-out FILE [--run-settings mono,cross,multi] [--depth 100] [--tag NAME]]
       hybrid-ir bm25 --collection DIR [--split S] [--run-out FILE] [--depth 1000] [--tag NAME] [--k1] [--b] [--json] [--out FILE.json]

BM25 over XLM-R sentencepiece tokens (no training), scored with the paper's protocol, or on a
collection in BEIR or MIRACL layout (docs/collections.md) with trec_eval's nDCG@10, MRR@10, MRR,
MAP and recall@k. --run-out writes a TREC run (for a dataset one per setting: FILE.mono.EXT, ...).`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      collection: { type: "string" },
      split: { type: "string" },
      k1: { type: "string", default: "1.2" },
      b: { type: "string", default: "0.75" },
      json: { type: "boolean" },
      out: { type: "string" },
      ...RUN_FLAGS,
    },
    usage,
  );
  const k1 = Number(values.k1);
  const b = Number(values.b);
  if (!Number.isFinite(k1) || !Number.isFinite(b)) throw new UsageError(`--k1 and --b take numbers\n\n${usage}`);
  if (values.collection !== undefined) {
    if (values.dataset !== undefined) throw new UsageError(`give --dataset or --collection, not both\n\n${usage}`);
    const c = await loadCollection(values.collection, { split: values.split });
    const scorer = await bm25CollectionScorer(c, await loadXlmrTokenizer(), { k1, b });
    await scoreCollection(c, scorer, { label: "bm25", ...values });
    return;
  }
  const name = datasetArg(values.dataset, usage);
  const ds = await loadDataset(name);
  const scorer = bm25Scorer(ds, await loadXlmrTokenizer(), { k1, b });
  const task = taskFromDataset(ds);
  const runs =
    values["run-out"] === undefined
      ? undefined
      : new LareqaRuns(task, ds.candidates.map((c) => c.uid), values["run-out"], settingsArg(values["run-settings"]), depthArg(values.depth, LAREQA_DEFAULT_DEPTH), values.tag);
  try {
    const result = await runEvaluation(task, scorer, `bm25 ${name}`, runs?.onScores);
    const trec = runs?.finish();
    if (runs) console.error(`wrote ${runs.paths(values["run-out"]!).join(", ")}`);
    await printResult(result, { dataset: name, json: values.json ?? false, out: values.out, trec });
  } catch (err) {
    runs?.abort();
    throw err;
  }
}
