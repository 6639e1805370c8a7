import { readEmbeddingsDir } from "../data/embeddings-dir.js";
import { loadDataset } from "../data/lareqa.js";
import type { Matrix } from "../data/npy.js";
import { availableParallelism } from "node:os";
import { DenseScorer, ParallelDenseScorer } from "../eval/dense-scorer.js";
import { initBackend } from "../compute/backend.js";
import { taskFromDataset } from "../eval/task.js";
import { backendArg, datasetArg, parse, UsageError } from "./args.js";
import { printResult, runEvaluation } from "./report-result.js";

export const usage = `usage: hybrid-ir evaluate --dataset <xquad-r|mlqa-r> --embeddings DIR [--normalize] [--json] [--out FILE.json] [--backend auto|tensorflow|webgpu|wasm|cpu] [--workers N]

DIR holds question_encodings.npy, question_uids.txt, candidate_encodings.npy and candidate_uids.txt
(float32 or float64 .npy; .npz names holding .npy bytes are accepted). Scores are dot products;
--normalize L2-normalises every row first (cosine similarity). Scoring runs on N worker
threads (default: the number of cores, at most 4; 0 = the main thread).`;

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
    },
    usage,
  );
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
  try {
    const result = await runEvaluation(taskFromDataset(ds), scorer, `evaluate ${name}`);
    await printResult(result, { dataset: name, json: values.json ?? false, out: values.out });
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
