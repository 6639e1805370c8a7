import { loadDataset } from "../data/lareqa.js";
import { loadCollection } from "../data/load-collection.js";
import { settingPath, lareqaSetting, writeSettingQrels } from "../eval/lareqa-runs.js";
import { collectionSetting } from "../eval/ranked-runs.js";
import { taskFromDataset } from "../eval/task.js";
import { datasetArg, parse, UsageError } from "./args.js";
import { settingsArg } from "./ranked-output.js";

export const usage = `usage: hybrid-ir export-qrels --collection DIR [--split S] --out FILE
       hybrid-ir export-qrels --dataset <xquad-r|mlqa-r> [--run-settings mono,cross,multi] --out FILE

Writes TREC qrels (qid 0 docid grade) matching the runs of --run-out: for a collection its
split's judgements; for a dataset one file per setting, FILE.mono.EXT, FILE.cross.EXT and
FILE.multi.EXT, with the query ids those runs use. Score a run with e.g.
trec_eval -m map -m recip_rank -m ndcg_cut.10 -m recall.100 FILE.multi.qrels RUN.multi.trec`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      collection: { type: "string" },
      split: { type: "string" },
      "run-settings": { type: "string" },
      out: { type: "string" },
    },
    usage,
  );
  if (values.out === undefined) throw new UsageError(`--out FILE is required\n\n${usage}`);
  if (values.collection !== undefined) {
    if (values.dataset !== undefined) throw new UsageError(`give --dataset or --collection, not both\n\n${usage}`);
    const c = await loadCollection(values.collection, { split: values.split });
    writeSettingQrels(values.out, collectionSetting(c), c.queries.length, c.docIds);
    console.error(`wrote ${values.out} (${c.queries.length} queries)`);
    return;
  }
  const name = datasetArg(values.dataset, usage);
  const ds = await loadDataset(name);
  const task = taskFromDataset(ds);
  const docIds = ds.candidates.map((c) => c.uid);
  for (const s of settingsArg(values["run-settings"])) {
    const path = settingPath(values.out, s);
    writeSettingQrels(path, lareqaSetting(task, s), task.queryLang.length, docIds);
    console.error(`wrote ${path}`);
  }
}
