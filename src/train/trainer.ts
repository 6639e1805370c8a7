/**
 * The training run: one config → one run directory (run-dir.ts). `train` checks everything it
 * can before touching the directory (config, data, model, sampler, validation batches), takes
 * the directory's lock, and hands over to the loop (training-loop.ts).
 *
 * Determinism: a step is a pure function of (weights, optimiser state, batch, step) (dropout
 * masks are seeded by model.seed and the step), the sampler's batches a pure function of (seed,
 * epoch, position), and the rate a pure function of the step, so a run resumed from a checkpoint
 * ends with the same weights as one never interrupted.
 */
import { initBackend } from "../compute/backend.js";
import { DataError } from "../util/errors.js";
import { loadDataset } from "../data/lareqa.js";
import type { EvaluationResult } from "../eval/result.js";
import { datasetTexts } from "../model/encode-dataset.js";
import type { EncoderOptions } from "../model/encoder.js";
import { HubError } from "../model/hub/index.js";
import { defaultFrozenStatesDir, FrozenStates } from "../model/frozen-states.js";
import { loadModel } from "../model/load.js";
import { inputTokenIds } from "../model/training-vocabulary.js";
import type { SentenceEncoder } from "../model/sentence-encoder.js";
import type { TrainStatus } from "../run-files/results.js";
import { CONFIG_NAME } from "../run-files/run-config.js";
import { buildPools, summarizePools } from "../sampling/pools.js";
import { createSampler, type BatchSampler } from "../sampling/sampler.js";
import { checkContamination, describeContamination } from "../train-data/split.js";
import { pathExists } from "../util/fs.js";
import { configDifferences, resolveRunConfig, validates, type RunConfig } from "./config.js";
import { openRunDir, RunDir } from "./run-dir.js";
import { readRunRecords } from "./run-records.js";
import { encodePairs, recordInputs } from "./pair-batches.js";
import { trainIn, type PreparedRun, type RunData } from "./training-loop.js";
import { benchmarkInputs, validationBatches, type EncodedPairs } from "./validation.js";
import { beforeEach, consoleLogger, type Logger } from "../util/logger.js";

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
  /** Where progress (info), warnings and debug lines go (default: the terminal, at HYBRID_IR_LOG_LEVEL). */
  readonly logger?: Logger;
  /** Show a progress bar on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  /** Called after every step, once its checkpoint (if any) is written. */
  readonly onStep?: (info: StepInfo) => void;
  /** The config file the run came from, named in errors about its values (default: the output directory's config.json). */
  readonly configFile?: string;
  /**
   * Whether the trainer gives gradients and moments only to the word-embedding rows that the
   * run's texts use (model/training-vocabulary.ts). The results are the same bit for bit either
   * way. "auto" (default) cuts a table of at least {@link CUT_MIN_TABLE_VALUES} values, where the
   * saving outweighs tokenising every text of the run once more; "always" and "never" are for
   * checking that the results agree, and for measuring.
   */
  readonly vocabularyCut?: "auto" | "always" | "never";
}

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

export async function train(config: RunConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const showProgress = options.progress ?? process.stderr.isTTY === true;
  // While the training bar is drawn, a log line first clears it; the bar redraws at its next update.
  const display = { barDrawn: false };
  const logger = beforeEach(options.logger ?? consoleLogger(), () => {
    if (display.barDrawn && process.stderr.isTTY) process.stderr.write("\r\x1b[K");
  });
  const backend = await initBackend(config.backend, logger);
  const configFile = options.configFile ?? new RunDir(config.outputDir).configPath;

  // ---- everything that can be checked before the run directory is touched: a start that fails
  // here leaves nothing behind, so the same command works once the input is fixed.
  if (options.resume && options.overwrite) throw new DataError(config.outputDir, "give --resume or --overwrite, not both");
  if (config.gradCache !== null && config.forwardChunk !== null) {
    throw new DataError(configFile, "forwardChunk is for plain steps; gradCache already runs the batch in chunks: set one of them");
  }
  if (options.resume) await checkResumedConfig(new RunDir(config.outputDir), config);
  const data = await loadRunData(config, logger);
  const { records, validation } = data;
  const trainPools = buildPools(records);
  const sampler = buildSampler(config, trainPools, records.length, configFile);
  const pools = summarizePools(trainPools);
  logger.info(
    `data: ${records.length} training records (${pools.groups} groups, ${pools.languages.join(" ")}), ` +
      `${validation.length} validation records; ${config.sampler.name} sampler, batch ${config.sampler.batchSize}` +
      `${config.gradCache === null ? "" : ` (grad cache, chunks of ${config.gradCache.chunkSize})`}, ${sampler.length} batches per epoch`,
  );
  const encoderOptions: EncoderOptions = { dropout: config.model.dropout, trainLayers: config.model.trainLayers ?? undefined };
  let model = await buildModel(config, data.corpus, encoderOptions, configFile);
  const frozenLayers = model.encoder.frozenLayers;
  const cut = options.vocabularyCut ?? "auto";
  const bigTable = model.config.vocabSize * model.config.hiddenSize >= CUT_MIN_TABLE_VALUES;
  if (frozenLayers === null && (cut === "always" || (cut === "auto" && bigTable))) model = cutToRunVocabulary(model, config, data, encoderOptions, logger);
  if (frozenLayers !== null) {
    const states = await FrozenStates.open(model.encoder, defaultFrozenStatesDir());
    model.useFrozenStates(states);
    logger.info(
      `frozen: the embeddings${frozenLayers > 0 ? ` and layers 1-${frozenLayers}` : ""} (model.trainLayers ${config.model.trainLayers}); ` +
        `their outputs cached in ${states.storeDir} (${states.size} texts so far)`,
    );
  }
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
    run = await openRunDir(config.outputDir, { resume: options.resume, overwrite: options.overwrite, logger });
  } catch (err) {
    model.dispose();
    throw err;
  }
  const prepared: PreparedRun = { config, options, logger, display, showProgress, backend, data, languages: trainPools.languages, sampler, model, encoderOptions, validationSet, started: false };
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

/**
 * The smallest word-embedding table (values) the trainer cuts by default: e5-small's (250k × 384)
 * and XLM-R's are far above it, `mini`'s (a vocabulary already trimmed to its corpus, × 128) below.
 */
export const CUT_MIN_TABLE_VALUES = 2 ** 24;

/**
 * The model, cut to the word-embedding rows that the run's training, validation and benchmark
 * texts use (model/training-vocabulary.ts): the same results for a fraction of the table's
 * gradient, moments and update. `model` is disposed when a cut one replaces it.
 */
function cutToRunVocabulary(model: SentenceEncoder, config: RunConfig, data: RunData, encoderOptions: EncoderOptions, logger: Logger): SentenceEncoder {
  const started = performance.now();
  const parts = recordInputs([...data.records, ...data.validation], config);
  if (data.benchmark !== null) parts.push(...benchmarkInputs(config, data.benchmark));
  const used = inputTokenIds(model, parts);
  const whole = model.config.vocabSize;
  if (used.size === whole) return model;
  const cut = model.cutVocabulary(used, encoderOptions);
  model.dispose();
  logger.info(
    `vocabulary: training the ${used.size} of ${whole} word-embedding rows the run's texts use ` +
      `(found in ${((performance.now() - started) / 1000).toFixed(1)} s; the others change only by weight decay)`,
  );
  return cut;
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

/**
 * Reads the training records, holds out the validation split by article, loads the benchmark
 * and checks that no training text is a benchmark text.
 */
async function loadRunData(config: RunConfig, logger: Logger): Promise<RunData> {
  const withContext = config.data.withContext;
  const { all, ...split } = await readRunRecords(config);
  const evalConfig = config.eval;
  const benchmark =
    evalConfig === null
      ? null
      : await loadDataset(evalConfig.dataset, { maxQuestionIds: evalConfig.maxQuestionIds ?? undefined, languages: evalConfig.languages ?? undefined });
  if (benchmark !== null) {
    const report = checkContamination(split.train, benchmark, { allowOverlap: config.data.allowContamination });
    if (report.examples.length > 0) logger.warn(`allowed by data.allowContamination: ${describeContamination(report)}`);
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
    if (err instanceof RangeError && err.message.startsWith("trainLayers")) throw new DataError(configFile, `model.${err.message}`);
    throw err;
  }
}

/** A run continues only under the config it started with (wherever its directory has moved since). */
async function checkResumedConfig(run: RunDir, config: RunConfig): Promise<void> {
  if (!(await pathExists(run.configPath))) throw new DataError(run.dir, `holds no run to resume (no ${CONFIG_NAME})`);
  const saved = resolveRunConfig((await run.readConfigFile()).json, run.configPath);
  // A comment says nothing to the run (runKey leaves it out too), so editing it must not strand a partial run.
  const differences = configDifferences(saved, config).filter((key) => key !== "outputDir" && key !== "comment");
  if (differences.length > 0) {
    throw new DataError(
      run.configPath,
      `cannot resume: the given config differs from the run's in ${differences.join(", ")} ` +
        `(resume with the run's own: hybrid-ir train --resume --output ${run.dir})`,
    );
  }
}
