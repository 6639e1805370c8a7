/**
 * The training loop of one run in its locked directory (trainer.ts prepares it): the state comes
 * fresh or from checkpoints/last, `Training.loop` takes steps until the count, an early stop, a
 * non-finite loss or the abort signal, and `Training.finish` is the one end for all of them.
 *
 * Per step: the sampler's next batch of (query record, passage record) index pairs → texts in
 * the pair's languages → token ids (prefixes, max lengths) → InfoNCE of the two embedding
 * batches, with gradients (in one pass, or chunk by chunk with `gradCache`: grad-cache.ts) →
 * clip to the global norm → AdamW with the schedule's rate for this step. Every `logEvery` steps
 * one log line and one metrics.jsonl line; before the first step and every `validateEvery`
 * after, the loss on a fixed set of validation batches, keeping `checkpoints/best` on
 * improvement; every `checkpointEvery` steps `checkpoints/last`. At the end, the benchmark is
 * encoded with the best checkpoint and evaluated into results.json.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DataError } from "../util/errors.js";
import type { RetrievalDataset } from "../data/types.js";
import type { EncoderOptions } from "../model/encoder.js";
import { fillFrozenStates, type FillPart } from "../model/frozen-states.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import type { CheckpointName, RunResults, TrainStatus } from "../run-files/results.js";
import { describeMatMul } from "../compute/blas.js";
import { currentProvenance, recordedMatMul, type Provenance } from "../run-files/run-config.js";
import { EMPTY_INTERVAL, readTrainerProgress, TRAINER_STATE_NAME, type TrainerProgress } from "../run-files/trainer-state.js";
import type { Batch, BatchSampler } from "../sampling/types.js";
import type { TrainingRecord } from "../train-data/format.js";
import { progressBar, type Progress } from "../util/progress.js";
import { LanguageAdversary } from "./adversarial.js";
import { loadCheckpointModel, readOptimizerState, writeCheckpoint } from "./checkpoint-state.js";
import { scheduleOf, validates, warmupStepsOf, type RunConfig } from "./config.js";
import { stepGradients, stepSeed, type EmbeddingLoss } from "./grad-cache.js";
import { InfoNceLoss } from "./loss.js";
import { AdamW, clipByGlobalNorm } from "./optimizer.js";
import type { RunDir } from "./run-dir.js";
import { learningRate } from "./schedule.js";
import type { TrainOptions, TrainResult } from "./trainer.js";
import { encodePairs, endless, recordInputs } from "./pair-batches.js";
import { benchmarkInputs, benchmarkOptions, evaluateAndAlign, summaryLine, validationLoss, type EncodedPairs } from "./validation.js";
import type { Logger } from "../util/logger.js";

export interface RunData {
  /** Training records (the sampler's index space). */
  readonly records: readonly TrainingRecord[];
  /** Held out by article; the validation batches index this list. */
  readonly validation: readonly TrainingRecord[];
  readonly benchmark: RetrievalDataset | null;
  /** Every text the run encodes (training, validation, benchmark), for `mini`'s vocabulary. */
  readonly corpus: readonly string[];
}

/** What `train` checked and built before taking the run directory. */
export interface PreparedRun {
  readonly config: RunConfig;
  readonly options: TrainOptions;
  readonly logger: Logger;
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

/** How the loop ended: the run's status and why. */
interface Outcome {
  readonly status: TrainStatus;
  readonly message: string;
}

/** What one optimiser step measured. */
interface StepMeasure {
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** False when the loss or the norm was not finite: the weights were left as they were. */
  readonly updated: boolean;
}

/** The run in its locked directory: its state (fresh, or from checkpoints/last), the loop, the end. */
export async function trainIn(run: RunDir, prepared: PreparedRun): Promise<TrainResult> {
  const { config, options, backend } = prepared;
  const provenance = await currentProvenance(backend);
  if (!options.resume) await run.writeConfig(config, provenance);
  const training = await Training.start(run, prepared, provenance);
  try {
    return await training.finish(await training.loop());
  } finally {
    training.dispose();
  }
}

/**
 * One run's training: the model, optimiser and loss, and where the loop stands (the fields a
 * checkpoint saves). `loop` runs the steps and says how it ended; `finish` does what every end
 * needs (the last checkpoint, the metrics event, the evaluation) and builds the result.
 */
class Training {
  private readonly validating: boolean;
  private readonly schedule: ReturnType<typeof scheduleOf>;
  private readonly batches: { next(): Batch };
  private state: TrainerProgress;
  /** The step of checkpoints/last (-1: none yet). */
  private lastSaved: number;

  private constructor(
    private readonly run: RunDir,
    private readonly prepared: PreparedRun,
    private readonly provenance: Provenance,
    private readonly model: SentenceEncoder,
    private readonly optimizer: AdamW,
    private readonly lossFn: InfoNceLoss,
    private readonly adversary: LanguageAdversary | null,
    progress: TrainerProgress,
    resumed: boolean,
  ) {
    this.validating = validates(prepared.config);
    this.schedule = scheduleOf(prepared.config);
    this.batches = endless(prepared.sampler);
    this.state = progress;
    this.lastSaved = resumed ? progress.step : -1;
  }

  /** Fresh, or from checkpoints/last when resuming (model, optimiser, adversary, sampler position). */
  static async start(run: RunDir, prepared: PreparedRun, provenance: Provenance): Promise<Training> {
    const { config, options, logger, sampler, encoderOptions } = prepared;
    const resumeFrom = options.resume && (await run.hasCheckpoint("last")) ? run.checkpointPath("last") : null;
    const progress: TrainerProgress =
      resumeFrom === null
        ? { step: 0, sampler: sampler.state(), bestValLoss: null, bestStep: null, badValidations: 0, lastValidationStep: null, stop: null, interval: EMPTY_INTERVAL }
        : await readTrainerProgress(resumeFrom);
    let model = prepared.model;
    if (resumeFrom !== null) {
      model = await loadCheckpointModel(resumeFrom, prepared.model, encoderOptions);
      prepared.model.dispose();
      try {
        sampler.restore(progress.sampler);
      } catch (err) {
        model.dispose();
        throw new DataError(join(resumeFrom, TRAINER_STATE_NAME), `sampler: ${(err as Error).message}`);
      }
    }
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = config.optim;
    const optimizer = new AdamW(model.variables(), { beta1, beta2, epsilon, weightDecay });
    const adversary = config.adversarial === null ? null : new LanguageAdversary(config.adversarial, prepared.languages, model.dim, config.model.seed);
    const lossFn = new InfoNceLoss({ scale: config.loss.scale, symmetric: config.loss.symmetric });
    const training = new Training(run, prepared, provenance, model, optimizer, lossFn, adversary, progress, resumeFrom !== null);
    if (resumeFrom !== null) {
      try {
        optimizer.restore(await readOptimizerState(resumeFrom, model));
        await adversary?.restore(resumeFrom);
      } catch (err) {
        training.dispose();
        throw err;
      }
    }
    prepared.started = true;
    if (options.resume) {
      await run.truncateMetrics(progress.step);
      await run.appendMetrics({ type: "event", step: progress.step, event: "resumed", detail: provenance.gitCommit ?? undefined });
      logger.info(resumeFrom === null ? `resume: no checkpoint yet, starting from step 0` : `resume: from ${resumeFrom} at step ${progress.step}`);
      const before = recordedMatMul((await run.readConfigFile()).provenance);
      const now = recordedMatMul(provenance);
      if (resumeFrom !== null && before !== null && now !== null && describeMatMul(before) !== describeMatMul(now)) {
        // Still a valid run, but not the bits an uninterrupted one would have given.
        logger.warn(`resume: the run started with matrix products on ${describeMatMul(before)}, and goes on with ${describeMatMul(now)}`);
      }
    }
    const products = recordedMatMul(provenance);
    const count = (vs: readonly tf.Variable[]) => vs.reduce((n, v) => n + v.size, 0);
    // The rows a cut word-embedding table left out train too, by weight decay alone (model/training-vocabulary.ts).
    const vocabulary = model.trainingVocabulary;
    const uncut = vocabulary === null ? 0 : (vocabulary.vocabSize - vocabulary.rows.length) * model.config.hiddenSize;
    const trained = count(model.variables()) + uncut;
    const parameters = trained + count(model.encoder.variables()) - count(model.encoder.trainableVariables());
    const share = trained === parameters ? "" : `, ${(trained / 1e6).toFixed(2)}M of them trained`;
    logger.info(`model: ${config.model.ref} (${(parameters / 1e6).toFixed(2)}M parameters${share}, vocabulary ${model.config.vocabSize}, dim ${model.dim}) on ${prepared.backend}${products === null ? "" : ` (matrix products on ${describeMatMul(products)})`}`);
    await training.fillFrozen();
    logger.info(
      `optim: AdamW lr ${config.optim.lr} (${training.schedule.schedule}, ${warmupStepsOf(config)} warm-up steps), ` +
        `weight decay ${weightDecay}, clip ${clipNorm}; ${config.steps} steps`,
    );
    return training;
  }

  /**
   * With `model.trainLayers`: the frozen part's output for every training and validation text,
   * computed now (those not already cached on disk) in length-sorted batches, rather than a
   * few at a time inside the steps.
   */
  private async fillFrozen(): Promise<void> {
    const { config, data } = this.prepared;
    await this.fillFrozenParts("training and validation", recordInputs([...data.records, ...data.validation], config));
  }

  /** `fillFrozenStates` with a progress bar and a log line (a first fill of a benchmark takes most of an hour on one core). */
  private async fillFrozenParts(what: string, parts: readonly FillPart[]): Promise<void> {
    const { logger, showProgress, options } = this.prepared;
    if (this.model.frozenStates === null) return;
    const total = parts.reduce((n, p) => n + p.inputs.length, 0);
    const bar = showProgress ? progressBar("frozen", total, process.stderr) : null;
    const started = performance.now();
    const computed = await fillFrozenStates(this.model, parts, { onProgress: (done) => bar?.update(done), signal: options.signal });
    bar?.finish(total);
    if (computed > 0) logger.info(`frozen: computed ${computed} new ${what} texts in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Steps until the configured count, an early stop, a non-finite loss or the abort signal. */
  async loop(): Promise<Outcome | null> {
    const { config, options, display, showProgress, sampler } = this.prepared;
    // A run saved after deciding to stop early resumes straight into its end.
    if (this.state.stop !== null) return { status: this.state.stop.status, message: this.state.stop.message };
    let recent = { loss: NaN, pairsPerSec: NaN }; // smoothed over ~10 steps, for the progress bar
    const startStep = this.state.step;
    const started = performance.now();
    const bar: Progress | null = showProgress
      ? progressBar("train", config.steps, process.stderr, {
          initial: startStep,
          status: () => `loss ${recent.loss.toFixed(4)} ${recent.pairsPerSec.toFixed(1)} pairs/s`,
        })
      : null;
    try {
      // The untrained model's validation loss: the baseline every later one is compared with.
      if (this.validating && this.state.step === 0 && this.state.lastValidationStep === null) await this.validate();

      while (this.state.step < config.steps && !options.signal?.aborted) {
        const t0 = performance.now();
        const batch = this.batches.next();
        const lr = learningRate(this.state.step, this.schedule);
        const measure = await this.optimizerStep(batch, lr);
        if (!measure.updated) return this.diverged(measure);
        const seconds = (performance.now() - t0) / 1000;
        const smooth = (old: number, x: number) => (Number.isNaN(old) ? x : 0.9 * old + 0.1 * x);
        recent = { loss: smooth(recent.loss, measure.loss), pairsPerSec: smooth(recent.pairsPerSec, batch.pairs.length / seconds) };
        this.advance(measure, batch.pairs.length, seconds);
        const step = this.state.step;
        if (step % config.logEvery === 0 || step === config.steps) await this.logInterval(lr, sampler.state().epoch);
        let outcome: Outcome | null = null;
        if (this.validating && step % config.validateEvery === 0) outcome = await this.validateAndDecide();
        if (outcome?.status === "diverged") return outcome;
        // The stop decision is saved at once: a run killed after it resumes into its end, not past it.
        if ((config.checkpointEvery > 0 && step % config.checkpointEvery === 0) || outcome !== null) await this.save("last");
        bar?.update(step);
        display.barDrawn = bar !== null;
        options.onStep?.({ step, loss: measure.loss, gradNorm: measure.gradNorm, lr, numTensors: tf.memory().numTensors, model: this.model });
        if (outcome !== null) return outcome;
      }
      return null; // the steps are done, or the signal came: finish() tells which
    } finally {
      bar?.finish(this.state.step);
      display.barDrawn = false;
      const steps = this.state.step - startStep;
      if (steps > 0) {
        const seconds = (performance.now() - started) / 1000;
        this.prepared.logger.info(`trained steps ${startStep + 1}-${this.state.step} in ${seconds.toFixed(1)} s (${(seconds / steps).toFixed(2)} s/step)`);
      }
    }
  }

  /**
   * One optimiser step on `batch` at rate `lr`: gradients (plain, grad-cached or with the
   * adversary), clipping, AdamW. A non-finite loss or gradient norm leaves the weights as they
   * were (`updated` false).
   */
  private async optimizerStep(batch: Batch, lr: number): Promise<StepMeasure> {
    const { config, data } = this.prepared;
    const { model, adversary, lossFn } = this;
    const step = this.state.step;
    const { queries, passages } = encodePairs(model, batch, data.records, config);
    const gradients = (loss: EmbeddingLoss, lossVariables: readonly tf.Variable[] = []) =>
      stepGradients(
        { model, queries, passages, loss, lossVariables, seed: stepSeed(config.model.seed, step), forwardChunk: config.forwardChunk ?? undefined },
        config.gradCache?.chunkSize ?? null,
      );
    const contrastive: EmbeddingLoss = (e) => lossFn.compute(e.queries, e.passages);
    // value: scalar loss; grads: one tensor per variable, shaped like it.
    const { value, grads } = adversary === null ? gradients(contrastive) : adversary.variableGrads(gradients, contrastive, batch, step);
    const loss = (await value.data())[0];
    const clipped = clipByGlobalNorm(grads, config.optim.clipNorm);
    tf.dispose([value, grads]);
    const updated = Number.isFinite(loss) && Number.isFinite(clipped.norm);
    if (updated) {
      this.optimizer.step(clipped.grads, lr);
      // The word-embedding rows outside a cut table get the same step's weight decay (and nothing else).
      this.model.trainingVocabulary?.decay(this.optimizer.decayFactor(model.encoder.wordEmbeddings().name, lr));
    }
    tf.dispose(clipped.grads);
    return { loss, gradNorm: clipped.norm, updated };
  }

  /** A step done: the step count and the sums behind the next metrics "train" line. */
  private advance(measure: StepMeasure, pairs: number, seconds: number): void {
    const { interval } = this.state;
    this.state = {
      ...this.state,
      step: this.state.step + 1,
      interval: {
        loss: interval.loss + measure.loss,
        gradNorm: interval.gradNorm + measure.gradNorm,
        steps: interval.steps + 1,
        pairs: interval.pairs + pairs,
        seconds: interval.seconds + seconds,
      },
    };
  }

  /** One metrics "train" line and log line with the means since the last one. */
  private async logInterval(lr: number, epoch: number): Promise<void> {
    const { interval, step } = this.state;
    const { config, logger } = this.prepared;
    const line = {
      type: "train" as const,
      step,
      loss: interval.loss / interval.steps,
      lr,
      gradNorm: interval.gradNorm / interval.steps,
      pairsPerSec: interval.pairs / interval.seconds,
      secPerStep: interval.seconds / interval.steps,
      epoch,
      ...(this.adversary === null ? {} : { adversary: this.adversary.takeInterval() ?? undefined }),
    };
    await this.run.appendMetrics(line);
    logger.info(
      `step ${step}/${config.steps} | loss ${line.loss.toFixed(4)} | lr ${lr.toExponential(2)} | grad ${line.gradNorm.toFixed(3)} | ` +
        `${line.pairsPerSec.toFixed(1)} pairs/s | ${line.secPerStep.toFixed(2)} s/step | epoch ${line.epoch}` +
        (line.adversary ? ` | discriminator CE ${line.adversary.loss.toFixed(3)} acc ${line.adversary.accuracy.toFixed(2)} λ ${line.adversary.lambda.toFixed(3)}` : ""),
    );
    this.state = { ...this.state, interval: EMPTY_INTERVAL };
  }

  /** The validation loss now; a new best is saved as checkpoints/best. */
  private async validate(): Promise<number> {
    const valLoss = await validationLoss(this.model, this.lossFn, this.prepared.validationSet);
    const { step, bestValLoss, bestStep, badValidations } = this.state;
    const improved = Number.isFinite(valLoss) && (bestValLoss === null || valLoss < bestValLoss);
    this.state = {
      ...this.state,
      lastValidationStep: step,
      ...(improved ? { bestValLoss: valLoss, bestStep: step, badValidations: 0 } : { badValidations: badValidations + 1 }),
    };
    await this.run.appendMetrics({ type: "val", step, valLoss, best: improved });
    if (improved) await this.save("best");
    this.prepared.logger.info(
      `step ${step}: val loss ${valLoss.toFixed(4)}${improved ? " (best, saved checkpoints/best)" : ` (best ${bestValLoss?.toFixed(4)} at step ${bestStep})`}`,
    );
    return valLoss;
  }

  /** A validation inside the loop, and what it decides: go on (null), diverged, or an early stop (kept in the state). */
  private async validateAndDecide(): Promise<Outcome | null> {
    const valLoss = await this.validate();
    const { step, bestStep, bestValLoss, badValidations } = this.state;
    if (!Number.isFinite(valLoss)) {
      return this.diverged(null, `step ${step}: validation loss ${valLoss}: stopped. The last good checkpoint is ${this.run.checkpointPath("best")} (step ${bestStep})`);
    }
    const { patience } = this.prepared.config.earlyStopping;
    if (patience === 0 || badValidations < patience) return null;
    const message = `step ${step}: no better validation loss in ${badValidations} validations (best ${bestValLoss?.toFixed(4)} at step ${bestStep})`;
    this.state = { ...this.state, stop: { status: "early-stopped", step, message } };
    await this.run.appendMetrics({ type: "event", step, event: "early-stopped", detail: message });
    this.prepared.logger.info(message);
    return { status: "early-stopped", message };
  }

  /** A non-finite training loss (`measure`) or validation loss (`message` given): recorded as a "diverged" event. */
  private async diverged(measure: StepMeasure | null, message?: string): Promise<Outcome> {
    // A diverged training step was not taken: it is reported as the step it would have been.
    const step = measure === null ? this.state.step : this.state.step + 1;
    const why =
      message ??
      `step ${step}: loss ${measure!.loss}, gradient norm ${measure!.gradNorm}: stopped without updating the weights. ` +
        (this.lastSaved >= 0 ? `The last good checkpoint is ${this.run.checkpointPath("last")} (step ${this.lastSaved})` : `No checkpoint was saved before it`) +
        `; lower optim.lr or raise warm-up, then start again (or --resume from that checkpoint).`;
    await this.run.appendMetrics({ type: "event", step, event: "diverged", detail: why });
    return { status: "diverged", message: why };
  }

  /** Replaces checkpoint `name` with the model, optimiser, adversary, state and run config now. */
  private async save(name: CheckpointName): Promise<void> {
    const { config } = this.prepared;
    await this.run.saveCheckpoint(name, async (dir) => {
      await this.adversary?.save(dir);
      await writeCheckpoint(dir, this.model, this.optimizer, { ...this.state, sampler: this.prepared.sampler.state() }, { config, provenance: this.provenance });
    });
    await this.model.frozenStates?.flush();
    if (name === "last") this.lastSaved = this.state.step;
  }

  /**
   * Every end of the loop: a diverged run keeps its last good checkpoint; an interrupted one saves
   * checkpoints/last; a completed or early-stopped one validates once more, saves checkpoints/last
   * and evaluates the benchmark with the best checkpoint into results.json.
   */
  async finish(ended: Outcome | null): Promise<TrainResult> {
    const { config, logger } = this.prepared;
    const { step } = this.state;
    const outcome: Outcome = ended ?? (step < config.steps ? { status: "interrupted", message: "" } : { status: "completed", message: "" });
    let evaluation: RunResults | null = null;
    if (outcome.status === "diverged") {
      logger.warn(`training diverged: ${outcome.message}`);
    } else if (outcome.status === "interrupted") {
      if (this.lastSaved !== step) await this.save("last");
      await this.run.appendMetrics({ type: "event", step, event: "interrupted" });
      logger.info(`interrupted at step ${step}: saved ${this.run.checkpointPath("last")}; continue with --resume`);
    } else {
      if (this.validating && this.state.lastValidationStep !== step) await this.validate();
      if (this.lastSaved !== step) await this.save("last");
      evaluation = await this.evaluate(outcome.status);
    }
    const { bestStep, bestValLoss } = this.state;
    return { status: outcome.status, outputDir: this.run.dir, step, bestStep, bestValLoss, message: outcome.message, evaluation };
  }

  /** The benchmark scored with the best checkpoint (results.json, per-query.json, alignment.json); null without an `eval` section. */
  private async evaluate(status: TrainStatus): Promise<RunResults | null> {
    const { config, data, options, logger, encoderOptions } = this.prepared;
    if (data.benchmark === null || config.eval === null) return null;
    const { step, bestStep, bestValLoss } = this.state;
    // The model in memory is the best one unless validation found a better earlier step.
    const checkpoint: CheckpointName = bestStep === null ? "last" : "best";
    const checkpointStep = bestStep ?? step;
    const evalModel = checkpointStep === step ? this.model : await loadCheckpointModel(this.run.checkpointPath("best"), this.model, encoderOptions);
    logger.info(`evaluating ${config.eval.dataset} with checkpoints/${checkpoint} (step ${checkpointStep})`);
    // Runs beside this one may have cached benchmark texts since it started.
    await this.model.frozenStates?.refresh();
    await this.fillFrozenParts(config.eval.dataset, benchmarkInputs(config, data.benchmark));
    try {
      // Unlike training (a log line per interval) the benchmark would be silent for minutes, so its
      // bars show unless turned off; on a non-terminal they print a line every few seconds.
      const { evaluation: { perQuery, ...measured }, alignment } = await evaluateAndAlign(evalModel, data.benchmark, {
        ...benchmarkOptions(config, config.eval.batchSize, options.progress !== false),
        keepPerQuery: true,
      });
      const run = { outputDir: this.run.dir, status, model: config.model.ref, sampler: config.sampler, steps: step, checkpoint, checkpointStep, bestValLoss, gitCommit: this.provenance.gitCommit };
      const results = await this.run.writeResults({ dataset: config.eval.dataset, run, ...measured }, { perQuery, alignment });
      logger.info(summaryLine(results));
      return results;
    } finally {
      await this.model.frozenStates?.flush();
      if (evalModel !== this.model) evalModel.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    this.adversary?.dispose();
  }
}
