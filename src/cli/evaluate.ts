import { readEmbeddingsDir } from "../data/embeddings-dir.js";
import { loadDataset } from "../data/lareqa.js";
import type { Matrix } from "../data/npy.js";
import { availableParallelism } from "node:os";
import { DenseScorer, ParallelDenseScorer } from "../eval/dense-scorer.js";
import { initBackend } from "../compute/backend.js";
import { taskFromDataset } from "../eval/task.js";
import { backendArg, datasetArg, parse, UsageError } from "./args.js";
import { printResult, runEvaluation } from "./report-result.js";
import { evaluateCollectionWithModel } from "./evaluate-collection.js";
import { depthArg, LAREQA_DEFAULT_DEPTH, LareqaRuns, RUN_FLAGS, settingsArg } from "./ranked-output.js";

export const usage = `usage: hybrid-ir evaluate --dataset <xquad-r|mlqa-r> --embeddings DIR [--normalize] [--json] [--out FILE.json] [--backend auto|tensorflow|webgpu|wasm|cpu] [--workers N]
                        [--run-out FILE [--run-settings mono,cross,multi] [--depth 100] [--tag NAME]]
       hybrid-ir evaluate --collection DIR --model DIR|HUB_ID|mini|xlm-r-base|labse [--split S] [--run-out FILE] [--depth 1000]
                        [--tag NAME] [--embeddings-cache DIR] [--batch-size 32] [--seed N] [--backend B] [--workers N] [--threads N] [--json] [--out FILE.json]

DIR holds question_encodings.npy, question_uids.txt, candidate_encodings.npy and candidate_uids.txt
(float32 or float64 .npy; .npz names holding .npy bytes are accepted). Scores are dot products;
--normalize L2-normalises every row first (cosine similarity). Scoring runs on N worker
threads (default: the number of cores, at most 4; 0 = the main thread). --run-out writes one TREC
run per LAReQA setting: FILE.mono.EXT, FILE.cross.EXT, FILE.multi.EXT (docs/collections.md).

With --collection (BEIR or MIRACL layout), the model encodes the corpus once into the embeddings
cache (keyed by model and corpus checksum; default ~/.cache/hybrid-ir/corpus-embeddings) and the
queries each time; scores are the model's dot products; metrics are trec_eval's. --threads: worker
threads to encode on (default \$HYBRID_IR_THREADS, else the number of cores; 1 = the main thread).`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      dataset: { type: "string" },
      embeddings: { type: "string" },
      normalize: { type: "boolean" },
      json: { type: "boolean" },
      out: { type: "string" },
      backend: { type: "string", default: "auto" },
      workers: { type: "string" },
      collection: { type: "string" },
      model: { type: "string" },
      split: { type: "string" },
      "embeddings-cache": { type: "string" },
      "batch-size": { type: "string", default: "32" },
      seed: { type: "string", default: "0" },
      threads: { type: "string" },
      ...RUN_FLAGS,
    },
    usage,
  );
  if (values.collection !== undefined) {
    if (values.dataset !== undefined || values.embeddings !== undefined) throw new UsageError(`--collection takes --model, not --dataset or --embeddings\n\n${usage}`);
    if (values.model === undefined) throw new UsageError(`--collection needs --model\n\n${usage}`);
    await evaluateCollectionWithModel({ ...values, collection: values.collection, model: values.model });
    return;
  }
  const name = datasetArg(values.dataset, usage);
  if (values.embeddings === undefined) throw new UsageError(`--embeddings DIR is required\n\n${usage}`);
  const backend = backendArg(values.backend);
  const workers = values.workers === undefined ? Math.min(4, availableParallelism()) : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new UsageError(`--workers takes a whole number >= 0, got '${values.workers}'`);
  const ds = await loadDataset(name);
  const emb = await readEmbeddingsDir(values.embeddings, ds);
  if (values.normalize) {
    normalizeRows(emb.questions);
    normalizeRows(emb.candidates);
  }
  const { data: q, cols: dim } = emb.questions;
  const scorer =
    workers === 0
      ? (await initBackend(backend), new DenseScorer(q, emb.candidates.data, dim))
      : await ParallelDenseScorer.create(q, emb.candidates.data, dim, { workers, backend });
  const task = taskFromDataset(ds);
  const runOut = values["run-out"];
  const runs =
    runOut === undefined
      ? undefined
      : new LareqaRuns(task, ds.candidates.map((c) => c.uid), runOut, settingsArg(values["run-settings"]), depthArg(values.depth, LAREQA_DEFAULT_DEPTH), values.tag);
  try {
    const result = await runEvaluation(task, scorer, `evaluate ${name}`, runs?.onScores);
    const trec = runs?.finish();
    if (runs) console.error(`wrote ${runs.paths(runOut!).join(", ")}`);
    await printResult(result, { dataset: name, json: values.json ?? false, out: values.out, trec });
  } catch (err) {
    runs?.abort();
    throw err;
  } finally {
    await scorer.dispose();
  }
}

/** In place; an all-zero row stays zero rather than becoming NaN. */
export function normalizeRows(m: Matrix): void {
  for (let r = 0; r < m.rows; r++) {
    const row = m.data.subarray(r * m.cols, (r + 1) * m.cols);
    let norm = 0;
    for (let i = 0; i < row.length; i++) norm += row[i] * row[i];
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < row.length; i++) row[i] /= norm;
  }
}
