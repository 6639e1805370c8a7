/**
 * A training run's configuration, resolved in three layers: typed defaults, then a JSON file, then
 * command-line flags. Every option is declared once, in config-fields.ts (type, default, bounds,
 * doc), which also gives the option reference of docs/run-config.md; unknown keys are errors naming
 * the key, its section and the file, so a typo ("batch_size", "weight_decay") never silently
 * trains with a default. Values that depend on the model (token limits, prefixes) are filled from
 * its preset at the end, so the resolved config written into a run directory holds every value the
 * run used.
 *
 * The `data` and `sampler` sections are the ones `hybrid-ir batches` reads, so one file serves both.
 *
 * @example
 * // configs/offline-mini-hybrid.json
 * {
 *   "model": { "ref": "mini", "seed": 0 },
 *   "data": { "train": { "dataset": "mlqa-r" } },
 *   "sampler": { "name": "hybrid", "alpha": 0.5, "batchSize": 32 },
 *   "optim": { "lr": 5e-4 },
 *   "steps": 300,
 *   "eval": { "dataset": "xquad-r" }
 * }
 * const config = await readRunConfig("configs/offline-mini-hybrid.json", { steps: "50" });
 */
import { resolve } from "node:path";
import { BACKEND_NAMES, type BackendName, isBackendName } from "../compute/backend.js";
import { DataError } from "../util/errors.js";
import type { DatasetName } from "../data/types.js";
import type { MiniArchitecture } from "../model/mini.js";
import { isModelPresetName, MODEL_PRESETS } from "../model/presets.js";
import { applySamplerFlags, DEFAULT_SAMPLER_CONFIG, type SamplerConfig } from "../sampling/config.js";
import { flagInteger } from "../util/flag-values.js";
import { isPlainObject, type Json, readJsonFile } from "../util/json-fields.js";
import { at, defaultsOf } from "../util/option-table.js";
import { ADVERSARIAL_SECTION, DATA_TABLE, EVAL_SECTION, OTHER_MODEL_LENGTHS, RUN_CONFIG_FIELDS, RUN_CONFIG_TABLE } from "./config-fields.js";
import type { ScheduleName, ScheduleOptions } from "./schedule.js";

export { PAPER_PREFIXES } from "./config-fields.js";

/** The `mini` architecture, to train smaller (tests, quick sweeps) than the preset's 4 × 256. */
export type { MiniArchitecture };

// The sections' fields are documented where they are declared: config-fields.ts (and docs/run-config.md).

export interface ModelSection {
  readonly ref: string;
  readonly seed: number;
  readonly dropout: number;
  readonly mini: MiniArchitecture | null;
  /** Train only the top N transformer layers (embeddings and lower layers frozen); null: all, as the paper. */
  readonly trainLayers: number | null;
}

/** A JSONL file of training records (docs/training-data.md), or a vendored benchmark converted to records. */
export type TrainSource = string | { readonly dataset: DatasetName };

export interface DataSection {
  readonly train: TrainSource;
  readonly validationFraction: number;
  readonly splitSeed: number;
  readonly withContext: boolean;
  readonly allowContamination: boolean;
}

export interface OptimSection {
  readonly lr: number;
  readonly weightDecay: number;
  /** Exactly one of warmupSteps and warmupRatio is set (the other null). */
  readonly warmupSteps: number | null;
  readonly warmupRatio: number | null;
  readonly schedule: ScheduleName;
  readonly clipNorm: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export interface LossSection {
  readonly scale: number;
  readonly symmetric: boolean;
}

/**
 * The language-adversarial strategy (adversarial.ts): a language discriminator on the sentence
 * embeddings behind a gradient-reversal layer. Trains with the x-y sampler only.
 *
 * @example
 * // "adversarial": { "lambda": 0.1, "hidden": 128, "lr": 0.001, "warmupSteps": 20 }
 */
export interface AdversarialSection {
  readonly lambda: number;
  readonly hidden: number;
  readonly lr: number;
  readonly warmupSteps: number;
}

export interface EvalSection {
  readonly dataset: DatasetName;
  readonly maxQuestionIds: number | null;
  readonly languages: readonly string[] | null;
  readonly every: "end";
  readonly batchSize: number;
}

/** Gradient caching (src/train/grad-cache.ts), for batches whose plain step does not fit in memory. */
export interface GradCacheSection {
  readonly chunkSize: number;
}

export interface Prefixes {
  readonly query: string;
  readonly passage: string;
}

/** A resolved run configuration: every value concrete. */
export interface RunConfig {
  readonly comment: string;
  readonly model: ModelSection;
  readonly data: DataSection;
  readonly sampler: SamplerConfig;
  readonly optim: OptimSection;
  readonly loss: LossSection;
  readonly gradCache: GradCacheSection | null;
  /** Plain steps forward each tower in length-sorted chunks of this many pairs (less padding); null: whole. */
  readonly forwardChunk: number | null;
  readonly adversarial: AdversarialSection | null;
  readonly steps: number;
  readonly maxQueryLength: number;
  readonly maxPassageLength: number;
  readonly prefixes: Prefixes;
  readonly backend: BackendName;
  readonly logEvery: number;
  readonly validateEvery: number;
  readonly validationBatches: number;
  readonly validationBatchSize: number | null;
  readonly checkpointEvery: number;
  readonly earlyStopping: { readonly patience: number };
  readonly eval: EvalSection | null;
  /** Absolute once resolved. */
  readonly outputDir: string;
}

/** What the defaults hold: everything but the values that come from the model preset or the file. */
export type RunDefaults = Omit<RunConfig, "data" | "eval" | "outputDir" | "maxQueryLength" | "maxPassageLength" | "prefixes"> & {
  readonly data: Omit<DataSection, "train">;
  readonly eval: EvalSection;
};

/** The table's defaults (config-fields.ts). */
export const DEFAULT_RUN_CONFIG: RunDefaults = {
  ...defaultsOf(RUN_CONFIG_TABLE, ["data", "eval", "outputDir", "maxQueryLength", "maxPassageLength", "prefixes"]),
  data: defaultsOf(DATA_TABLE, ["train"]),
  eval: EVAL_SECTION.absent(at("(defaults)", "eval")),
};

export const DEFAULT_ADVERSARIAL: AdversarialSection = ADVERSARIAL_SECTION.absent(at("(defaults)", "adversarial"));

/**
 * Command-line values as typed (strings); each overrides its config value.
 *
 * @example
 * { steps: "50", output: "runs/quick", seed: "3", sampler: "x-y" }
 */
export interface RunFlags {
  readonly steps?: string;
  readonly output?: string;
  /** Sets both model.seed and sampler.seed. */
  readonly seed?: string;
  readonly sampler?: string;
  readonly alpha?: string;
  readonly batchSize?: string;
  readonly backend?: string;
  /** Grad cache chunk size; "0" turns grad caching off. */
  readonly gradCacheChunk?: string;
}

/** Reads a config file and resolves it with `flags`; file problems throw DataError, bad flags RangeError. */
export async function readRunConfig(file: string, flags: RunFlags = {}, cwd: string = process.cwd()): Promise<RunConfig> {
  return resolveRunConfig(await readJsonFile(file), file, flags, cwd);
}

/**
 * Defaults → `json` → `flags`. `file` names the file in errors, anchors a relative `data.train`
 * (to the file's folder, as `hybrid-ir batches` does) and names the default output directory
 * (`runs/<file name without .json>`). Relative output directories are taken from `cwd`.
 */
export function resolveRunConfig(json: unknown, file: string, flags: RunFlags = {}, cwd: string = process.cwd()): RunConfig {
  const fail = (message: string): never => {
    throw new DataError(file, message);
  };
  const input = RUN_CONFIG_FIELDS.parse(json, at(file, ""));
  const preset = isModelPresetName(input.model.ref) ? MODEL_PRESETS[input.model.ref] : undefined;
  const lengths = preset ?? OTHER_MODEL_LENGTHS;
  let config: RunConfig = {
    ...input,
    maxQueryLength: input.maxQueryLength ?? lengths.maxQueryLength,
    maxPassageLength: input.maxPassageLength ?? lengths.maxPassageLength,
    prefixes: input.prefixes ?? (preset ? { query: preset.queryPrefix, passage: preset.passagePrefix } : { query: "", passage: "" }),
  };

  // --- flags
  if (flags.steps !== undefined) config = { ...config, steps: flagInteger("steps", flags.steps, 1) };
  if (flags.output !== undefined) config = { ...config, outputDir: flags.output };
  if (flags.seed !== undefined) config = { ...config, model: { ...config.model, seed: flagInteger("seed", flags.seed, 0) } };
  if (flags.gradCacheChunk !== undefined) {
    const chunkSize = flagInteger("grad-cache-chunk", flags.gradCacheChunk, 0);
    config = { ...config, gradCache: chunkSize === 0 ? null : { chunkSize } };
  }
  if (flags.backend !== undefined) {
    const backend = flags.backend;
    if (!isBackendName(backend)) throw new RangeError(`--backend: unknown backend '${backend}' (known: ${BACKEND_NAMES.join(", ")})`);
    config = { ...config, backend };
  }
  let sampler = applySamplerFlags(config.sampler, { sampler: flags.sampler, alpha: flags.alpha, batchSize: flags.batchSize, seed: flags.seed });
  // α means nothing to x-x and x-y; one canonical value keeps equal runs' configs equal.
  if (sampler.name !== "hybrid") sampler = { ...sampler, alpha: DEFAULT_SAMPLER_CONFIG.alpha };
  if (config.outputDir.trim() === "") fail(`outputDir must not be empty`);
  config = { ...config, sampler, outputDir: resolve(cwd, config.outputDir) };

  // --- checks across sections, on the values the run will use
  const warmup = warmupStepsOf(config);
  if (warmup > config.steps) fail(`optim.warmupSteps (${warmup}) exceeds steps (${config.steps})`);
  if (config.adversarial !== null && config.sampler.name !== "x-y") {
    fail(`adversarial: the discriminator trains on x-y batches (languages mixed in every batch), but sampler.name is '${config.sampler.name}'`);
  }
  if (config.earlyStopping.patience > 0 && (config.validateEvery === 0 || config.data.validationFraction === 0)) {
    fail(`earlyStopping.patience needs validation: set validateEvery > 0 and data.validationFraction > 0`);
  }
  return config;
}

/**
 * The config as a run directory's config.json holds it (before `provenance` is added): as
 * resolved, except that a non-hybrid sampler has no `alpha`, which the sampler section refuses for
 * it, so the file reads back (as --config, or in `hybrid-ir batches`) to the same config; and
 * `gradCache`, `forwardChunk` and `model.trainLayers` only when on, so runs from before these options keep their config and run key.
 */
export function runConfigToJson(config: RunConfig): Record<string, unknown> {
  const { alpha, ...sampler } = config.sampler;
  // A plain run's config.json has no `gradCache` or `adversarial` key, so its run key is what it was before those sections existed.
  const { gradCache, adversarial, forwardChunk, ...rest } = config;
  // Likewise `model.trainLayers` only when set.
  const { trainLayers, ...model } = config.model;
  return {
    ...rest,
    model: trainLayers === null ? model : { ...model, trainLayers },
    ...(gradCache === null ? {} : { gradCache }),
    ...(forwardChunk === null ? {} : { forwardChunk }),
    ...(adversarial === null ? {} : { adversarial }),
    sampler: config.sampler.name === "hybrid" ? { ...sampler, alpha } : sampler,
  };
}

/** Warm-up in whole steps: `warmupSteps`, or `warmupRatio · steps` rounded. */
export function warmupStepsOf(config: Pick<RunConfig, "optim" | "steps">): number {
  return config.optim.warmupSteps ?? Math.round((config.optim.warmupRatio ?? 0) * config.steps);
}

/** The learning-rate schedule of a run, for `learningRate(step, scheduleOf(config))`. */
export function scheduleOf(config: Pick<RunConfig, "optim" | "steps">): ScheduleOptions {
  return { peak: config.optim.lr, warmupSteps: warmupStepsOf(config), totalSteps: config.steps, schedule: config.optim.schedule };
}

/** Whether validation runs at all. */
export function validates(config: RunConfig): boolean {
  return config.validateEvery > 0 && config.data.validationFraction > 0;
}

/**
 * The keys whose values differ between two resolved configs ("optim.lr", "steps"), sorted; what
 * `--resume` checks so a run never continues under a different config than it started with.
 */
export function configDifferences(a: RunConfig, b: RunConfig): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (isPlainObject(x) && isPlainObject(y)) {
      for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[key], y[key], path ? `${path}.${key}` : key);
    } else if (JSON.stringify(x) !== JSON.stringify(y)) out.push(path);
  };
  walk(stripProvenance(a), stripProvenance(b), "");
  return out.sort();
}

function stripProvenance(config: RunConfig): Json {
  const { provenance: _ignored, ...rest } = config as unknown as Json;
  return rest;
}
