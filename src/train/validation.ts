/**
 * Measuring a model during and after training: the validation loss on a fixed set of held-out
 * batches, and the end-of-run evaluation on a benchmark with the paper's protocol.
 */
import * as tf from "@tensorflow/tfjs";
import type { RetrievalDataset } from "../data/types.js";
import { measureAlignment, protocolSummary, type AlignmentResult } from "../eval/alignment.js";
import { DenseScorer } from "../eval/dense-scorer.js";
import { evaluate } from "../eval/evaluate.js";
import type { EvaluationResult } from "../eval/result.js";
import { taskFromDataset } from "../eval/task.js";
import { datasetInputs, encodeDataset } from "../model/encode-dataset.js";
import type { FillPart } from "../model/frozen-states.js";
import type { EncodedBatch } from "../model/inputs.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import { buildPools } from "../sampling/pools.js";
import { createSampler, type Batch } from "../sampling/sampler.js";
import type { TrainingRecord } from "../train-data/format.js";
import type { RunResults } from "../run-files/results.js";
import { progressBar, type Progress } from "../util/progress.js";
import type { RunConfig } from "./config.js";
import type { InfoNceLoss } from "./loss.js";

/** A batch tokenised: row i of `passages` is the positive of row i of `queries`. */
export interface EncodedPairs {
  readonly queries: EncodedBatch;
  readonly passages: EncodedBatch;
}

/**
 * The validation batches of a run: drawn once from the validation records by the run's sampler
 * kind, seeded with `data.splitSeed` (not the run's seed, so runs that differ only in seed are
 * validated on the same batches), at most `validationBatches` of them from one epoch.
 */
export function validationBatches(records: readonly TrainingRecord[], config: RunConfig): Batch[] {
  const batchSize = config.validationBatchSize ?? config.sampler.batchSize;
  const pools = buildPools(records);
  let sampler;
  try {
    sampler = createSampler(config.sampler.name, pools, { batchSize, seed: config.data.splitSeed, alpha: config.sampler.alpha });
  } catch (err) {
    throw new Error(
      `the validation split (${records.length} records, ${pools.groups.length} groups) cannot give ${config.sampler.name} batches of ` +
        `${batchSize} pairs (${(err as Error).message}): set validationBatchSize lower or data.validationFraction higher`,
    );
  }
  const batches: Batch[] = [];
  for (const batch of sampler) {
    if (batches.length === config.validationBatches) break;
    batches.push(batch);
  }
  if (batches.length === 0) {
    throw new Error(
      `the validation split (${records.length} records) yields no ${config.sampler.name} batch of ${batchSize} pairs: ` +
        `set validationBatchSize lower or data.validationFraction higher`,
    );
  }
  return batches;
}

/**
 * Mean InfoNCE loss over `batches`, without gradients and without dropout. Every batch weighs
 * the same (they are all one size).
 */
export async function validationLoss(model: SentenceEncoder, loss: InfoNceLoss, batches: readonly EncodedPairs[]): Promise<number> {
  let sum = 0;
  for (const { queries, passages } of batches) {
    const value = tf.tidy(() => loss.compute(model.forward(queries), model.forward(passages)));
    sum += (await value.data())[0];
    value.dispose();
  }
  return sum / batches.length;
}

export interface BenchmarkOptions {
  readonly maxQueryLength: number;
  readonly maxPassageLength: number;
  readonly queryPrefix: string;
  readonly passagePrefix: string;
  /** Encode each candidate with its paragraph as a second segment. */
  readonly withContext: boolean;
  readonly batchSize: number;
  /** Worker threads to encode on (default $HYBRID_IR_THREADS, else the cores); the embeddings are the same whatever the count. */
  readonly threads?: number;
  /** Keep per-query AP, rank distance and pool ranks (`EvaluationResult.perQuery`), for significance tests and bias plots. */
  readonly keepPerQuery?: boolean;
  /** Called as texts are encoded, then as queries are scored. */
  readonly onProgress?: (phase: "questions" | "candidates" | "scoring", done: number, total: number) => void;
}

/**
 * Encodes a benchmark's questions (query prefix and length) and candidates (passage prefix and
 * length) with `model` and evaluates them with the paper's protocol (mono / cross / multi mAP,
 * recall, language bias). Scores are dot products of the model's embeddings (cosines for an
 * L2-normalising model such as `mini`).
 */
export async function evaluateOnBenchmark(model: SentenceEncoder, ds: RetrievalDataset, options: BenchmarkOptions): Promise<EvaluationResult> {
  return (await evaluateAndAlign(model, ds, { ...options, alignment: false })).evaluation;
}

/**
 * {@link evaluateOnBenchmark}, then, with `alignment` (default true), the alignment measures of
 * eval/alignment.ts on the same embeddings: what a run directory's alignment.json holds.
 */
export async function evaluateAndAlign(
  model: SentenceEncoder,
  ds: RetrievalDataset,
  options: BenchmarkOptions & { readonly alignment?: boolean },
): Promise<{ evaluation: EvaluationResult; alignment: AlignmentResult | null }> {
  const progress = options.onProgress;
  const embeddings = await encodeDataset(model, ds, { ...options, onProgress: (part, done, total) => progress?.(part, done, total) });
  const scorer = new DenseScorer(embeddings.questions.data, embeddings.candidates.data, model.dim);
  let evaluation: EvaluationResult;
  try {
    evaluation = await evaluate(taskFromDataset(ds), scorer, {
      keepPerQuery: options.keepPerQuery ?? false,
      onProgress: (d, t) => progress?.("scoring", d, t),
    });
  } finally {
    scorer.dispose();
  }
  if (options.alignment === false) return { evaluation, alignment: null };
  // A normalising model's dot products are the cosines the alignment measures score with.
  const before = model.spec.normalize ? protocolSummary(evaluation) : undefined;
  return { evaluation, alignment: await measureAlignment(ds, embeddings, { before }) };
}

/** How the benchmark is encoded: the run's lengths, prefixes and context; a progress bar per phase if `bars`. */
export function benchmarkOptions(config: RunConfig, batchSize: number, bars: boolean): BenchmarkOptions {
  const shown = new Map<string, Progress>();
  return {
    maxQueryLength: config.maxQueryLength,
    maxPassageLength: config.maxPassageLength,
    queryPrefix: config.prefixes.query,
    passagePrefix: config.prefixes.passage,
    withContext: config.data.withContext,
    batchSize,
    onProgress: (phase, done, total) => {
      if (!bars) return;
      if (!shown.has(phase)) shown.set(phase, progressBar(phase.padEnd(10), total));
      shown.get(phase)!.update(done);
      if (done === total) shown.get(phase)!.finish();
    },
  };
}

/** The benchmark's questions and candidates as the run encodes them (its prefixes, lengths and context). */
export function benchmarkInputs(config: RunConfig, benchmark: RetrievalDataset): FillPart[] {
  const { questions, candidates } = datasetInputs(benchmark, config.data.withContext);
  return [
    { inputs: questions, maxLength: config.maxQueryLength, prefix: config.prefixes.query },
    { inputs: candidates, maxLength: config.maxPassageLength, prefix: config.prefixes.passage },
  ];
}

/** "xquad-r: mono mAP 0.412 | cross mAP 0.201 | multi mAP 0.153 | rank distance 812.3". */
export function summaryLine(results: RunResults): string {
  const m = (v: number | null) => (v === null ? "-" : v.toFixed(3));
  return (
    `${results.dataset}: mono mAP ${m(results.mono.mean.map)} | cross mAP ${m(results.cross.mean.map)} | ` +
    `multi mAP ${m(results.multi.mean.map)} | rank distance ${results.languageBias.mean?.toFixed(1) ?? "-"}`
  );
}
