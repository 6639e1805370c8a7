/**
 * The training run: one config → one run directory (run-dir.ts). `train` is the whole loop in
 * one function, in the order it happens; the pieces it calls are small and named for what they do.
 *
 * Per step: the sampler's next batch of (query record, passage record) index pairs → texts in
 * the pair's languages → token ids (prefixes, max lengths) → InfoNCE of the two embedding
 * batches, with gradients (in one pass, or chunk by chunk with `gradCache`: grad-cache.ts) →
 * clip to the global norm → AdamW with the schedule's rate for this step. Every `logEvery` steps one log line and one metrics.jsonl line; before the first step
 * and every `validateEvery` after, the loss on a fixed set of validation batches, keeping
 * `checkpoints/best` on improvement; every `checkpointEvery` steps `checkpoints/last`. At the
 * end, the benchmark is encoded with the best checkpoint and evaluated into results.json.
 *
 * Determinism: a step is a pure function of (weights, optimiser state, batch, step) (dropout
 * masks are seeded by model.seed and the step), the sampler's batches a pure function of (seed,
 * epoch, position), and the rate a pure function of the step, so a run resumed from a checkpoint
 * ends with the same weights as one never interrupted.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../compute/backend.js";
import { DataError } from "../data/errors.js";
import { loadDataset } from "../data/lareqa.js";
import type { RetrievalDataset } from "../data/types.js";
import type { EvaluationResult } from "../eval/result.js";
import { datasetTexts } from "../model/encode-dataset.js";
import type { EncoderOptions } from "../model/encoder.js";
import type { TextInput } from "../model/inputs.js";
import { HubError } from "../model/hub/index.js";
import { loadModel } from "../model/load.js";
import { SentenceEncoder } from "../model/sentence-encoder.js";
import { buildPools, summarizePools } from "../sampling/pools.js";
import { createSampler, type Batch, type BatchSampler } from "../sampling/sampler.js";
import type { TrainingRecord } from "../train-data/format.js";
import { checkContamination, describeContamination } from "../train-data/split.js";
import { pathExists } from "../util/fs.js";
import { progressBar, type Progress } from "../util/progress.js";
import {
  EMPTY_INTERVAL,
  loadCheckpointModel,
  readOptimizerState,
  readTrainerProgress,
  TRAINER_STATE_NAME,
  writeCheckpoint,
  type LogInterval,
  type TrainerProgress,
  type TrainerStop,
} from "./checkpoint-state.js";
import { LanguageAdversary } from "./adversarial.js";
import { configDifferences, resolveRunConfig, scheduleOf, validates, warmupStepsOf, type RunConfig } from "./config.js";
import { stepGradients, stepSeed, type EmbeddingLoss } from "./grad-cache.js";
import { InfoNceLoss } from "./loss.js";
import { AdamW, clipByGlobalNorm } from "./optimizer.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { ALIGNMENT_NAME, CONFIG_NAME, currentProvenance, openRunDir, RunDir, type CheckpointName } from "./run-dir.js";
import { learningRate } from "./schedule.js";
import { readRunRecords } from "./run-records.js";
import { evaluateAndAlign, validationBatches, validationLoss, type BenchmarkOptions, type EncodedPairs } from "./validation.js";

/** What a test (or a notebook) sees after each optimiser step. */
export interface StepInfo {
  /** Steps done, this one included. */
  readonly step: number;
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly lr: number;
  /** Live tfjs tensors now: constant from the first step on when nothing leaks. */
  readonly numTensors: number;
  readonly model: SentenceEncoder;
}

/**
 * @example
 * const controller = new AbortController();
 * process.once("SIGINT", () => controller.abort());
 * const result = await train(config, { signal: controller.signal });
 */
export interface TrainOptions {
  /** Continue the run in `config.outputDir` from its `checkpoints/last`. */
  readonly resume?: boolean;
  /** Start afresh in an output directory that holds a previous run. */
  readonly overwrite?: boolean;
  /** Aborting finishes the current step, saves `checkpoints/last` and returns status "interrupted". */
  readonly signal?: AbortSignal;
  /** Where log lines go (default console.log). */
  readonly log?: (line: string) => void;
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /** Called after every step, once its checkpoint (if any) is written. */
  readonly onStep?: (info: StepInfo) => void;
  /** The config file the run came from, named in errors about its values (default: the output directory's config.json). */
  readonly configFile?: string;
}

export type TrainStatus = "completed" | "early-stopped" | "interrupted" | "diverged";

export interface TrainResult {
  readonly status: TrainStatus;
  readonly outputDir: string;
  /** Steps done. */
  readonly step: number;
  readonly bestStep: number | null;
  readonly bestValLoss: number | null;
  /** Why the run stopped, for "diverged" and "early-stopped". */
  readonly message: string;
  /** The benchmark evaluation (results.json), for "completed" and "early-stopped" runs with an `eval` section. */
  readonly evaluation: EvaluationResult | null;
}

/** results.json: the evaluation, and which run and checkpoint it is of. */
export type RunResults = EvaluationResult & {
  readonly dataset: string;
  readonly run: {
    readonly outputDir: string;
    readonly status: TrainStatus;
    readonly model: string;
    readonly sampler: RunConfig["sampler"];
    readonly steps: number;
    /** Which checkpoint was evaluated, and its step. */
    readonly checkpoint: CheckpointName;
    readonly checkpointStep: number;
    readonly bestValLoss: number | null;
    readonly gitCommit: string | null;
  };
};

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  const print = options.log ?? ((line: string) => console.log(line));
  // While the training bar is drawn, a log line first clears it; the bar redraws at its next update.
  const display = { barDrawn: false };
  const log = (line: string) => {
    if (display.barDrawn && process.stderr.isTTY) process.stderr.write("\r\x1b[K");
    print(line);
  };
  const backend = await initBackend(config.backend, log);
  const configFile = options.configFile ?? new RunDir(config.outputDir).configPath;

  // ---- everything that can be checked before the run directory is touched: a start that fails
  // here leaves nothing behind, so the same command works once the input is fixed.
  if (options.resume && options.overwrite) throw new DataError(config.outputDir, "give --resume or --overwrite, not both");
  if (options.resume) await checkResumedConfig(new RunDir(config.outputDir), config);
  const data = await loadRunData(config, log);
  const { records, validation } = data;
  const trainPools = buildPools(records);
  const sampler = buildSampler(config, trainPools, records.length, configFile);
  const pools = summarizePools(trainPools);
  log(
    `data: ${records.length} training records (${pools.groups} groups, ${pools.languages.join(" ")}), ` +
      `${validation.length} validation records; ${config.sampler.name} sampler, batch ${config.sampler.batchSize}` +
      `${config.gradCache === null ? "" : ` (grad cache, chunks of ${config.gradCache.chunkSize})`}, ${sampler.length} batches per epoch`,
  );
  const encoderOptions: EncoderOptions = { dropout: config.model.dropout };
  const model = await buildModel(config, data.corpus, encoderOptions, configFile);
  const validating = validates(config);
  let validationSet: EncodedPairs[] = [];
  try {
    // Token ids depend on the tokenizer only, which a resumed model keeps (loadCheckpointModel).
    if (validating) validationSet = validationBatches(validation, config).map((b) => encodePairs(model, b, validation, config));
  } catch (err) {
    model.dispose();
    throw new DataError(configFile, (err as Error).message);
  }

  // ---- the run directory, locked for this process until the run returns
  let run: RunDir;
  try {
    run = await openRunDir(config.outputDir, { resume: options.resume, overwrite: options.overwrite, log });
  } catch (err) {
    model.dispose();
    throw err;
  }
  const prepared: PreparedRun = { config, options, log, display, showProgress, backend, data, languages: trainPools.languages, sampler, model, encoderOptions, validationSet, started: false };
  try {
    return await trainIn(run, prepared);
  } catch (err) {
    // A fresh start that failed before its first step leaves no half-made run directory.
    if (!prepared.started && !options.resume) await run.discard();
    throw err;
  } finally {
    await run.close();
  }
}

/** What `train` checked and built before taking the run directory. */
interface PreparedRun {
  readonly config: RunConfig;
  readonly options: TrainOptions;
  readonly log: (line: string) => void;
  readonly display: { barDrawn: boolean };
  readonly showProgress: boolean;
  readonly backend: string;
  readonly data: RunData;
  /** The training data's languages (the adversarial discriminator's classes). */
  readonly languages: readonly string[];
  readonly sampler: BatchSampler;
  /** The freshly built model (replaced by the checkpoint's when resuming). */
  readonly model: SentenceEncoder;
  readonly encoderOptions: EncoderOptions;
  readonly validationSet: EncodedPairs[];
  /** Set once training state is in place: from then on a failure leaves a resumable run. */
  started: boolean;
}

/** The run in its locked directory: resume state, the loop, the end. */
async function trainIn(run: RunDir, prepared: PreparedRun): Promise<TrainResult> {
  const { config, options, log, display, showProgress, backend, data, sampler, encoderOptions, validationSet } = prepared;
  const { records } = data;
  const validating = validates(config);
  let model = prepared.model;
  const provenance = await currentProvenance(backend);
  if (!options.resume) await run.writeConfig(config, provenance);

  // ---- model, loss, optimiser (from checkpoints/last when resuming)
  const resumeFrom = options.resume && (await run.hasCheckpoint("last")) ? run.checkpointPath("last") : null;
  const progress: TrainerProgress =
    resumeFrom === null
      ? { step: 0, sampler: sampler.state(), bestValLoss: null, bestStep: null, badValidations: 0, lastValidationStep: null, stop: null, interval: EMPTY_INTERVAL }
      : await readTrainerProgress(resumeFrom);
  if (resumeFrom !== null) {
    const fresh = model;
    model = await loadCheckpointModel(resumeFrom, fresh, encoderOptions);
    fresh.dispose();
    try {
      sampler.restore(progress.sampler);
    } catch (err) {
      throw new DataError(join(resumeFrom, TRAINER_STATE_NAME), `sampler: ${(err as Error).message}`);
    }
  }
  const lossFn = new InfoNceLoss({ scale: config.loss.scale, symmetric: config.loss.symmetric });
  const { beta1, beta2, epsilon, weightDecay, clipNorm } = config.optim;
  const optimizer = new AdamW(model.variables(), { beta1, beta2, epsilon, weightDecay });
  if (resumeFrom !== null) optimizer.restore(await readOptimizerState(resumeFrom, model));
  const adversary = config.adversarial === null ? null : new LanguageAdversary(config.adversarial, prepared.languages, model.dim, config.model.seed);
  if (adversary !== null && resumeFrom !== null) await adversary.restore(resumeFrom);
  prepared.started = true;
  if (options.resume) {
    await run.truncateMetrics(progress.step);
    await run.appendMetrics({ type: "event", step: progress.step, event: "resumed", detail: provenance.gitCommit ?? undefined });
    log(resumeFrom === null ? `resume: no checkpoint yet, starting from step 0` : `resume: from ${resumeFrom} at step ${progress.step}`);
  }
  const parameters = model.variables().reduce((n, v) => n + v.size, 0);
  log(`model: ${config.model.ref} (${(parameters / 1e6).toFixed(2)}M parameters, vocabulary ${model.config.vocabSize}, dim ${model.dim}) on ${backend}`);
  const schedule = scheduleOf(config);
  log(`optim: AdamW lr ${config.optim.lr} (${schedule.schedule}, ${warmupStepsOf(config)} warm-up steps), weight decay ${weightDecay}, clip ${clipNorm}; ${config.steps} steps`);

  // ---- the loop
  let { step, bestValLoss, bestStep, badValidations, lastValidationStep, stop } = progress;
  let lastSaved = resumeFrom !== null ? step : -1;
  // A run saved after deciding to stop early resumes straight into its end.
  let status: TrainStatus = stop?.status ?? "completed";
  let message = stop?.message ?? "";
  let interval: LogInterval = progress.interval;
  const snapshot = (): TrainerProgress => ({ step, sampler: sampler.state(), bestValLoss, bestStep, badValidations, lastValidationStep, stop, interval });
  const save = async (name: CheckpointName) => {
    await run.saveCheckpoint(name, async (dir) => {
      await adversary?.save(dir);
      await writeCheckpoint(dir, model, optimizer, snapshot());
    });
    if (name === "last") lastSaved = step;
  };
  const validate = async (): Promise<number> => {
    const valLoss = await validationLoss(model, lossFn, validationSet);
    lastValidationStep = step;
    const improved = Number.isFinite(valLoss) && (bestValLoss === null || valLoss < bestValLoss);
    if (improved) [bestValLoss, bestStep, badValidations] = [valLoss, step, 0];
    else badValidations += 1;
    await run.appendMetrics({ type: "val", step, valLoss, best: improved });
    if (improved) await save("best");
    log(`step ${step}: val loss ${valLoss.toFixed(4)}${improved ? " (best, saved checkpoints/best)" : ` (best ${bestValLoss?.toFixed(4)} at step ${bestStep})`}`);
    return valLoss;
  };

  const batches = endless(sampler);
  let recent = { loss: NaN, pairsPerSec: NaN }; // smoothed over ~10 steps, for the progress bar
  const loopStarted = performance.now();
  const startStep = step;
  const bar: Progress | null = showProgress
    ? progressBar("train", config.steps, process.stderr, {
        initial: step,
        status: () => `loss ${recent.loss.toFixed(4)} ${recent.pairsPerSec.toFixed(1)} pairs/s`,
      })
    : null;

  // The untrained model's validation loss: the baseline every later one is compared with.
  if (validating && step === 0 && lastValidationStep === null) await validate();

  while (step < config.steps && stop === null && !options.signal?.aborted) {
    const t0 = performance.now();
    const batch = batches.next();
    const { queries, passages } = encodePairs(model, batch, records, config);
    const lr = learningRate(step, schedule);
    // value: scalar loss; grads: one tensor per variable, shaped like it.
    const gradients = (loss: EmbeddingLoss, lossVariables: readonly tf.Variable[] = []) =>
      stepGradients({ model, queries, passages, loss, lossVariables, seed: stepSeed(config.model.seed, step) }, config.gradCache?.chunkSize ?? null);
    const contrastive: EmbeddingLoss = (e) => lossFn.compute(e.queries, e.passages);
    const { value, grads } = adversary === null ? gradients(contrastive) : adversary.variableGrads(gradients, contrastive, batch, step);
    const loss = (await value.data())[0];
    const clipped = clipByGlobalNorm(grads, clipNorm);
    tf.dispose([value, grads]);
    if (!Number.isFinite(loss) || !Number.isFinite(clipped.norm)) {
      tf.dispose(clipped.grads);
      status = "diverged";
      message =
        `step ${step + 1}: loss ${loss}, gradient norm ${clipped.norm}: stopped without updating the weights. ` +
        (lastSaved >= 0 ? `The last good checkpoint is ${run.checkpointPath("last")} (step ${lastSaved})` : `No checkpoint was saved before it`) +
        `; lower optim.lr or raise warm-up, then start again (or --resume from that checkpoint).`;
      await run.appendMetrics({ type: "event", step: step + 1, event: "diverged", detail: message });
      break;
    }
    optimizer.step(clipped.grads, lr);
    tf.dispose(clipped.grads);
    step += 1;
    const seconds = (performance.now() - t0) / 1000;
    const smooth = (old: number, x: number) => (Number.isNaN(old) ? x : 0.9 * old + 0.1 * x);
    recent = { loss: smooth(recent.loss, loss), pairsPerSec: smooth(recent.pairsPerSec, batch.pairs.length / seconds) };

    interval = {
      loss: interval.loss + loss,
      gradNorm: interval.gradNorm + clipped.norm,
      steps: interval.steps + 1,
      pairs: interval.pairs + batch.pairs.length,
      seconds: interval.seconds + seconds,
    };
    if (step % config.logEvery === 0 || step === config.steps) {
      const line = {
        type: "train" as const,
        step,
        loss: interval.loss / interval.steps,
        lr,
        gradNorm: interval.gradNorm / interval.steps,
        pairsPerSec: interval.pairs / interval.seconds,
        secPerStep: interval.seconds / interval.steps,
        epoch: sampler.state().epoch,
        ...(adversary === null ? {} : { adversary: adversary.takeInterval() ?? undefined }),
      };
      await run.appendMetrics(line);
      log(
        `step ${step}/${config.steps} | loss ${line.loss.toFixed(4)} | lr ${lr.toExponential(2)} | grad ${line.gradNorm.toFixed(3)} | ` +
          `${line.pairsPerSec.toFixed(1)} pairs/s | ${line.secPerStep.toFixed(2)} s/step | epoch ${line.epoch}` +
          (line.adversary ? ` | discriminator CE ${line.adversary.loss.toFixed(3)} acc ${line.adversary.accuracy.toFixed(2)} λ ${line.adversary.lambda.toFixed(3)}` : ""),
      );
      interval = EMPTY_INTERVAL;
    }
    if (validating && step % config.validateEvery === 0) {
      const valLoss = await validate();
      if (!Number.isFinite(valLoss)) {
        status = "diverged";
        message = `step ${step}: validation loss ${valLoss}: stopped. The last good checkpoint is ${run.checkpointPath("best")} (step ${bestStep})`;
        await run.appendMetrics({ type: "event", step, event: "diverged", detail: message });
        break;
      }
      if (config.earlyStopping.patience > 0 && badValidations >= config.earlyStopping.patience) {
        status = "early-stopped";
        message = `step ${step}: no better validation loss in ${badValidations} validations (best ${bestValLoss?.toFixed(4)} at step ${bestStep})`;
        stop = { status, step, message } satisfies TrainerStop;
        await run.appendMetrics({ type: "event", step, event: "early-stopped", detail: message });
        log(message);
      }
    }
    // The stop decision is saved at once: a run killed after it resumes into its end, not past it.
    if ((config.checkpointEvery > 0 && step % config.checkpointEvery === 0) || stop !== null) await save("last");
    bar?.update(step);
    display.barDrawn = bar !== null;
    options.onStep?.({ step, loss, gradNorm: clipped.norm, lr, numTensors: tf.memory().numTensors, model });
  }
  bar?.finish(step);
  display.barDrawn = false;
  if (step > startStep) {
    const seconds = (performance.now() - loopStarted) / 1000;
    log(`trained steps ${startStep + 1}-${step} in ${seconds.toFixed(1)} s (${(seconds / (step - startStep)).toFixed(2)} s/step)`);
  }

  const result = (evaluation: EvaluationResult | null): TrainResult => ({
    status,
    outputDir: run.dir,
    step,
    bestStep,
    bestValLoss,
    message,
    evaluation,
  });
  if (status === "diverged") {
    log(`training diverged: ${message}`);
    model.dispose();
    optimizer.dispose();
    adversary?.dispose();
    return result(null);
  }
  if (step < config.steps && status !== "early-stopped") {
    status = "interrupted";
    if (lastSaved !== step) await save("last");
    await run.appendMetrics({ type: "event", step, event: "interrupted" });
    log(`interrupted at step ${step}: saved ${run.checkpointPath("last")}; continue with --resume`);
    model.dispose();
    optimizer.dispose();
    adversary?.dispose();
    return result(null);
  }

  // ---- the end: a last validation, the last checkpoint, the benchmark with the best checkpoint
  if (validating && lastValidationStep !== step) await validate();
  if (lastSaved !== step) await save("last");
  optimizer.dispose();
  adversary?.dispose();
  let evaluation: RunResults | null = null;
  if (data.benchmark !== null && config.eval !== null) {
    // The model in memory is the best one unless validation found a better earlier step.
    const checkpoint: CheckpointName = bestStep === null ? "last" : "best";
    const checkpointStep = bestStep ?? step;
    const evalModel = checkpointStep === step ? model : await loadCheckpointModel(run.checkpointPath("best"), model, encoderOptions);
    log(`evaluating ${config.eval.dataset} with checkpoints/${checkpoint} (step ${checkpointStep})`);
    // Unlike training (a log line per interval) the benchmark would be silent for minutes, so its
    // bars show unless turned off; on a non-terminal they print a line every few seconds.
    const { evaluation: { perQuery, ...measured }, alignment } = await evaluateAndAlign(evalModel, data.benchmark, {
      ...benchmarkOptions(config, config.eval.batchSize, options.progress !== false),
      keepPerQuery: true,
    });
    if (evalModel !== model) evalModel.dispose();
    evaluation = {
      dataset: config.eval.dataset,
      run: {
        outputDir: run.dir,
        status,
        model: config.model.ref,
        sampler: config.sampler,
        steps: step,
        checkpoint,
        checkpointStep,
        bestValLoss,
        gitCommit: provenance.gitCommit,
      },
      ...measured,
    };
    // Before results.json, so a complete run always has it.
    if (alignment !== null) await writeFileAtomic(join(run.dir, ALIGNMENT_NAME), JSON.stringify(alignment) + "\n");
    await run.writeResults(evaluation, perQuery);
    log(summaryLine(evaluation));
  }
  model.dispose();
  return result(evaluation);
}

/** The run's training sampler; a config it cannot serve (a batch larger than the data) is a DataError naming `configFile`. */
function buildSampler(config: RunConfig, pools: ReturnType<typeof buildPools>, records: number, configFile: string): BatchSampler {
  let sampler: BatchSampler;
  try {
    sampler = createSampler(config.sampler.name, pools, config.sampler);
  } catch (err) {
    throw new DataError(configFile, `sampler: ${(err as Error).message}`);
  }
  if (sampler.length === 0) {
    throw new DataError(
      configFile,
      `sampler.batchSize ${config.sampler.batchSize} is larger than the ${config.sampler.name} sampler can fill from ${records} training records: lower it`,
    );
  }
  return sampler;
}

/** How the benchmark is encoded: the run's lengths, prefixes and context; a progress bar per phase if `bars`. */
function benchmarkOptions(config: RunConfig, batchSize: number, bars: boolean): BenchmarkOptions {
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

/** "xquad-r: mono mAP 0.412 | cross mAP 0.201 | multi mAP 0.153 | rank distance 812.3". */
export function summaryLine(results: RunResults): string {
  const m = (v: number | null) => (v === null ? "-" : v.toFixed(3));
  return (
    `${results.dataset}: mono mAP ${m(results.mono.mean.map)} | cross mAP ${m(results.cross.mean.map)} | ` +
    `multi mAP ${m(results.multi.mean.map)} | rank distance ${results.languageBias.mean?.toFixed(1) ?? "-"}`
  );
}

/** A pair's texts: the query of one record in the pair's query language, the positive (and paragraph) of another. */
export function pairInputs(batch: Batch, records: readonly TrainingRecord[], withContext: boolean): { queries: TextInput[]; passages: TextInput[] } {
  return {
    queries: batch.pairs.map((p) => ({ text: records[p.query].query })),
    passages: batch.pairs.map((p) => {
      const r = records[p.passage];
      return { text: r.positive, context: withContext ? r.context : undefined };
    }),
  };
}

function encodePairs(model: SentenceEncoder, batch: Batch, records: readonly TrainingRecord[], config: RunConfig): EncodedPairs {
  const { queries, passages } = pairInputs(batch, records, config.data.withContext);
  return {
    queries: model.encodeInputs(queries, { maxLength: config.maxQueryLength, prefix: config.prefixes.query }),
    passages: model.encodeInputs(passages, { maxLength: config.maxPassageLength, prefix: config.prefixes.passage }),
  };
}

/** The sampler's batches without end: each epoch after the previous one. */
function endless(sampler: BatchSampler): { next(): Batch } {
  let it = sampler[Symbol.iterator]();
  return {
    next() {
      let r = it.next();
      if (r.done) {
        it = sampler[Symbol.iterator]();
        r = it.next();
        if (r.done) throw new Error(`the ${sampler.name} sampler yields no batch: too few training records for its batch size`);
      }
      return r.value;
    },
  };
}

interface RunData {
  /** Training records (the sampler's index space). */
  readonly records: readonly TrainingRecord[];
  /** Held out by article; the validation batches index this list. */
  readonly validation: readonly TrainingRecord[];
  readonly benchmark: RetrievalDataset | null;
  /** Every text the run encodes (training, validation, benchmark), for `mini`'s vocabulary. */
  readonly corpus: readonly string[];
}

/**
 * Reads the training records, holds out the validation split by article, loads the benchmark
 * and checks that no training text is a benchmark text.
 */
async function loadRunData(config: RunConfig, log: (line: string) => void): Promise<RunData> {
  const withContext = config.data.withContext;
  const { all, ...split } = await readRunRecords(config);
  const evalConfig = config.eval;
  const benchmark =
    evalConfig === null
      ? null
      : await loadDataset(evalConfig.dataset, { maxQuestionIds: evalConfig.maxQuestionIds ?? undefined, languages: evalConfig.languages ?? undefined });
  if (benchmark !== null) {
    const report = checkContamination(split.train, benchmark, { allowOverlap: config.data.allowContamination });
    if (report.examples.length > 0) log(`warning (allowed by data.allowContamination): ${describeContamination(report)}`);
  }
  const corpus: string[] = [];
  for (const r of all) corpus.push(r.query, r.positive, ...(withContext && r.context ? [r.context] : []));
  if (benchmark !== null) corpus.push(...datasetTexts(benchmark, withContext));
  return { records: split.train, validation: split.validation, benchmark, corpus };
}

/** The run's model before training: a preset (with `mini`'s sizes overridable), directory or hub id. */
async function buildModel(config: RunConfig, corpus: readonly string[], encoder: EncoderOptions, configFile: string): Promise<SentenceEncoder> {
  const options = { corpus: () => corpus, seed: config.model.seed, encoder, miniArchitecture: config.model.mini ?? undefined };
  try {
    return (await loadModel(config.model.ref, options)).model;
  } catch (err) {
    if (err instanceof HubError) throw new DataError(configFile, `model.ref: ${err.message}`);
    throw err;
  }
}

/** A run continues only under the config it started with (wherever its directory has moved since). */
async function checkResumedConfig(run: RunDir, config: RunConfig): Promise<void> {
  if (!(await pathExists(run.configPath))) throw new DataError(run.dir, `holds no run to resume (no ${CONFIG_NAME})`);
  const saved = resolveRunConfig(await run.readConfigJson(), run.configPath);
  const differences = configDifferences(saved, config).filter((key) => key !== "outputDir");
  if (differences.length > 0) {
    throw new DataError(
      run.configPath,
      `cannot resume: the given config differs from the run's in ${differences.join(", ")} ` +
        `(resume with the run's own: hybrid-ir train --resume --output ${run.dir})`,
    );
  }
}
