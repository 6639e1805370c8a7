import { bm25Scorer } from "../baselines/bm25-dataset.js";
import { loadDataset } from "../data/lareqa.js";
import { taskFromDataset } from "../eval/task.js";
import { loadXlmrTokenizer } from "../tokenize/xlmr-tokenizer.js";
import { datasetArg, parse, UsageError } from "./args.js";
import { printResult, runEvaluation } from "./report-result.js";

export const usage = `usage: hybrid-ir bm25 --dataset <xquad-r|mlqa-r> [--k1 1.2] [--b 0.75] [--json] [--out FILE.json]

BM25 over XLM-R sentencepiece tokens (no training), scored with the paper's protocol.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      k1: { type: "string", default: "1.2" },
      b: { type: "string", default: "0.75" },
      json: { type: "boolean" },
      out: { type: "string" },
    },
    usage,
  );
  const name = datasetArg(values.dataset, usage);
  const k1 = Number(values.k1);
  const b = Number(values.b);
  if (!Number.isFinite(k1) || !Number.isFinite(b)) throw new UsageError(`--k1 and --b take numbers\n\n${usage}`);
  const ds = await loadDataset(name);
  const scorer = bm25Scorer(ds, await loadXlmrTokenizer(), { k1, b });
  const result = await runEvaluation(taskFromDataset(ds), scorer, `bm25 ${name}`);
  await printResult(result, { dataset: name, json: values.json ?? false, out: values.out });
}
