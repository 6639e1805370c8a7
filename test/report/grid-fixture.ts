/**
 * Grids for the report tests, all from real evaluations:
 * - `bm25AndRandom`: BM25 and three random rankings of an XQuAD-R slice (de, en, zh; 40 question
 *   ids), evaluated with the real protocol, dressed as a grid's run records by `runRecord`;
 * - `randomEmbeddingRuns`: random unit embeddings of the same slice, scored densely, whose
 *   embeddings the alignment measures can also take;
 * - `SMALL_RESULTS`: the shipped results of the default preset (results/small), twelve finished
 *   runs with results.json, metrics.jsonl and alignment.json, read as a grid's output root;
 *   `PRETRAINED_RESULTS` likewise for the pretrained preset's fourteen e5-small runs.
 */
import { fileURLToPath } from "node:url";
import type { AggregateRow, StrategyName } from "../../src/ablate/types.js";
import { bm25Scorer } from "../../src/baselines/bm25-dataset.js";
import { initBackend } from "../../src/compute/backend.js";
import type { Matrix } from "../../src/data/npy.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { RetrievalDataset } from "../../src/data/types.js";
import { normalizedRows } from "../../src/eval/alignment.js";
import { DenseScorer } from "../../src/eval/dense-scorer.js";
import { evaluate } from "../../src/eval/evaluate.js";
import type { EvaluationResult } from "../../src/eval/result.js";
import { taskFromDataset } from "../../src/eval/task.js";
import type { Scorer } from "../../src/eval/types.js";
import type { GridReport, RunRecord } from "../../src/report/grid-report.js";
import type { MetricsLine } from "../../src/run-files/metrics.js";
import type { RunResults } from "../../src/run-files/results.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

/** The shipped runs of the default preset: an output root as a finished grid leaves it. */
export const SMALL_RESULTS = fileURLToPath(new URL("../../../results/small", import.meta.url));

/** The shipped runs of the pretrained preset (e5-small, 14 runs). */
export const PRETRAINED_RESULTS = fileURLToPath(new URL("../../../results/pretrained", import.meta.url));

/** Two training log intervals (10 steps at 4 s, 10 at 2 s), then an early stop. */
export const TRAIN_METRICS: readonly MetricsLine[] = [
  { type: "train", step: 10, loss: 3, lr: 1e-3, gradNorm: 1, pairsPerSec: 8, secPerStep: 4, epoch: 0 },
  { type: "train", step: 20, loss: 2, lr: 1e-3, gradNorm: 1, pairsPerSec: 12, secPerStep: 2, epoch: 0 },
  { type: "event", step: 20, event: "early-stopped" },
];

/** A finished mini run, mlqa-r → xquad-r, whose results are `result`; its directory is `dir` (default `<strategy>-<alpha>-<seed>`). */
export function runRecord(
  strategy: StrategyName,
  alpha: number | null,
  seed: number,
  result: EvaluationResult,
  options: { readonly dir?: string; readonly metrics?: readonly MetricsLine[] } = {},
): RunRecord {
  const { perQuery, ...rest } = result;
  const results = { ...rest, dataset: "xquad-r" } as unknown as RunResults;
  const dir = options.dir ?? `${strategy}-${alpha}-${seed}`;
  const row: AggregateRow = {
    key: dir,
    dir,
    state: "complete",
    model: "mini",
    strategy,
    alpha,
    seed,
    train: "mlqa-r",
    eval: "xquad-r",
    steps: 100,
    checkpointStep: 80,
    bestValLoss: 1.5,
    monoMap: rest.mono.mean.map,
    crossMap: rest.cross.mean.map,
    multiMap: rest.multi.mean.map,
    rankDistance: rest.languageBias.mean,
    pairsPerSec: 10,
    gitCommit: null,
  };
  return { row, results, perQuery: perQuery ?? null, shipped: null, metrics: options.metrics ?? TRAIN_METRICS };
}

const slice = (): Promise<RetrievalDataset> => loadDataset("xquad-r", { languages: ["de", "en", "zh"], maxQuestionIds: 40 });

/** BM25 on the slice, and three rankings by uniform random scores (seeds 1, 2, 3), per query kept. */
export async function bm25AndRandom(): Promise<{ bm25: EvaluationResult; random: EvaluationResult[] }> {
  const ds = await slice();
  const task = taskFromDataset(ds);
  const bm25 = await evaluate(task, bm25Scorer(ds, await loadXlmrTokenizer()), { keepPerQuery: true });
  const random: EvaluationResult[] = [];
  for (const seed of [1, 2, 3]) {
    const rand = mulberry32(seed);
    const scorer: Scorer = {
      numQueries: ds.questions.length,
      numCandidates: ds.candidates.length,
      scoreBlock: (_s, count, out) => {
        for (let i = 0; i < count * ds.candidates.length; i++) out[i] = rand();
      },
    };
    random.push(await evaluate(task, scorer, { keepPerQuery: true }));
  }
  return { bm25, random };
}

/** x-x = BM25 (one seed); x-y = random (two seeds); hybrid α 0.5 = random; hybrid α 0.25 = BM25. */
export function bm25Report(bm25: EvaluationResult, random: readonly EvaluationResult[]): GridReport {
  return {
    root: "/nowhere",
    runs: [
      runRecord("x-x", null, 1, bm25),
      runRecord("x-y", null, 1, random[0]),
      runRecord("x-y", null, 2, random[1]),
      runRecord("hybrid", 0.5, 1, random[2]),
      runRecord("hybrid", 0.25, 1, bm25),
    ],
  };
}

export interface EmbeddingRun {
  readonly strategy: StrategyName;
  readonly seed: number;
  /** Whether the alignment tests measure (and write alignment.json for) this run. */
  readonly withAlignment: boolean;
  readonly embeddings: { readonly questions: Matrix; readonly candidates: Matrix };
  readonly evaluation: EvaluationResult;
}

/**
 * Four runs of random unit embeddings (dim 8, seeds 100..103) of the slice, scored on wasm:
 * x-y seed 1, adversarial seeds 1 and 2 (with alignment), x-x seed 1 (without). Their run
 * directories are named `<strategy>-<seed>`.
 */
export async function randomEmbeddingRuns(): Promise<{ ds: RetrievalDataset; runs: EmbeddingRun[] }> {
  await initBackend("wasm");
  const ds = await slice();
  const task = taskFromDataset(ds);
  const dim = 8;
  const runs: EmbeddingRun[] = [];
  const plan = [["x-y", 1, true], ["adversarial", 1, true], ["adversarial", 2, true], ["x-x", 1, false]] as const;
  for (const [i, [strategy, seed, withAlignment]] of plan.entries()) {
    const rand = mulberry32(100 + i);
    const m = (rows: number): Matrix => normalizedRows({ data: Float32Array.from({ length: rows * dim }, () => randomNormal(rand)), rows, cols: dim });
    const embeddings = { questions: m(ds.questions.length), candidates: m(ds.candidates.length) };
    const scorer = new DenseScorer(embeddings.questions.data, embeddings.candidates.data, dim);
    const evaluation = await evaluate(task, scorer, { keepPerQuery: true });
    scorer.dispose();
    runs.push({ strategy, seed, withAlignment, embeddings, evaluation });
  }
  return { ds, runs };
}

/** The embedding runs as a grid under `root`, each in `<strategy>-<seed>`, without metrics lines. */
export function embeddingReport(root: string, runs: readonly EmbeddingRun[]): GridReport {
  return { root, runs: runs.map((r) => runRecord(r.strategy, null, r.seed, r.evaluation, { dir: `${r.strategy}-${r.seed}`, metrics: [] })) };
}
