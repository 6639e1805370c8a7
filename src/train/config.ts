/**
 * A training run's configuration, resolved in three layers: typed defaults ({@link DEFAULT_RUN_CONFIG}),
 * then a JSON file, then command-line flags. Unknown keys are errors naming the key, its section
 * and the file, so a typo ("batch_size", "weight_decay") never silently trains with a default.
 * Values that depend on the model (token limits, prefixes) are filled from its preset at the end,
 * so the resolved config written into a run directory holds every value the run used.
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
import type { MiniArchitecture } from "../model/mini.js";
import { basename, dirname, extname, resolve } from "node:path";
import type { BackendName } from "../compute/backend.js";
import { DataError } from "../data/errors.js";
import { isPlainObject, type Json, object, readJsonFile, unknownKeys } from "../util/json-fields.js";
import { DATASET_LANGUAGES, isDatasetName } from "../data/lareqa.js";
import type { DatasetName } from "../data/types.js";
import { isModelPresetName, MINI_CONFIG, MODEL_PRESETS } from "../model/presets.js";
import { applySamplerFlags, DEFAULT_SAMPLER_CONFIG, samplerConfigFromJson, type SamplerConfig } from "../sampling/config.js";
import { SCHEDULES, type ScheduleName, type ScheduleOptions } from "./schedule.js";

/** The `mini` architecture, to train smaller (tests, quick sweeps) than the preset's 4 × 256. */
export type { MiniArchitecture };

export interface ModelSection {
  /** A preset (`mini`, `xlm-r-base`, `labse`), a local sentence-transformers directory, or a hub id. */
  readonly ref: string;
  /** Initialises `mini` (other models load their weights). */
  readonly seed: number;
  /**
   * Hidden and attention dropout while training. Default 0. Masks are seeded by (model.seed,
   * step), so a resumed run ends with the same weights as an uninterrupted one either way.
   */
  readonly dropout: number;
  /** `mini` only: overrides of its architecture; null keeps the preset's. */
  readonly mini: MiniArchitecture | null;
}

/** A JSONL file of training records (docs/training-data.md), or a vendored benchmark converted to records. */
export type TrainSource = string | { readonly dataset: DatasetName };

export interface DataSection {
  /** A path (relative to the config file's folder in the file; absolute once resolved) or `{ "dataset": "mlqa-r" }`. */
  readonly train: TrainSource;
  /** Share of the records held out for validation loss, by whole articles; 0 turns validation off. */
  readonly validationFraction: number;
  /** Seeds the train/validation split and the validation batches, so runs with different seeds share them. */
  readonly splitSeed: number;
  /** Encode each passage with its paragraph as a second segment (and the benchmark's candidates likewise). */
  readonly withContext: boolean;
  /** Train even when training text equals evaluation text (reported, not refused). */
  readonly allowContamination: boolean;
}

export interface OptimSection {
  /** Peak learning rate. The paper's is 3e-5 (for pretrained XLM-R / LaBSE); a randomly initialised `mini` needs more, e.g. 5e-4. */
  readonly lr: number;
  readonly weightDecay: number;
  /** Warm-up length in steps; exactly one of warmupSteps and warmupRatio is set (the other null). */
  readonly warmupSteps: number | null;
  /** Warm-up as a share of `steps`, rounded to whole steps. */
  readonly warmupRatio: number | null;
  readonly schedule: ScheduleName;
  /** Gradients are clipped to this global L2 norm. */
  readonly clipNorm: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

export interface LossSection {
  /** Multiplies the cosine similarities (1 / temperature); 20 as sentence-transformers, the paper states none. */
  readonly scale: number;
  /** Also average the passage→query direction. */
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
  /** Weight of the reversed discriminator gradient in the encoder's update; 0 trains the encoder as x-y does. */
  readonly lambda: number;
  /** Width of the discriminator's one hidden layer. */
  readonly hidden: number;
  /** The discriminator's Adam learning rate (constant). */
  readonly lr: number;
  /** λ rises linearly from 0 to `lambda` over this many steps. */
  readonly warmupSteps: number;
}

export const DEFAULT_ADVERSARIAL: AdversarialSection = { lambda: 0.1, hidden: 128, lr: 1e-3, warmupSteps: 0 };

export interface EvalSection {
  readonly dataset: DatasetName;
  /** Keep the questions of the first N parallel ids (all candidates stay); null = all. */
  readonly maxQuestionIds: number | null;
  /** A subset of the benchmark's languages; null = all. */
  readonly languages: readonly string[] | null;
  /** When to evaluate; only at the end of the run, with the best checkpoint. */
  readonly every: "end";
  /** Texts per forward pass while encoding the benchmark. */
  readonly batchSize: number;
}

/**
 * Gradient caching (src/train/grad-cache.ts): the step embeds the batch in chunks of `chunkSize`
 * queries and passages, computes the loss on the whole batch's embeddings, then backpropagates
 * chunk by chunk. Same loss and gradients as the plain step, peak memory of one chunk, one more
 * forward pass. For batches whose plain step does not fit in memory (wasm's 4 GiB, a GPU's).
 */
export interface GradCacheSection {
  readonly chunkSize: number;
}

export interface Prefixes {
  readonly query: string;
  readonly passage: string;
}

/** A resolved run configuration: every value concrete. */
export interface RunConfig {
  /** Free text kept with the run (what the config is for). */
  readonly comment: string;
  readonly model: ModelSection;
  readonly data: DataSection;
  readonly sampler: SamplerConfig;
  readonly optim: OptimSection;
  readonly loss: LossSection;
  /** In the file `{ "chunkSize": N }`; null (the default) computes each step in one pass. */
  readonly gradCache: GradCacheSection | null;
  /** The language-adversarial strategy's discriminator; null (the default) for the plain strategies. */
  readonly adversarial: AdversarialSection | null;
  /** Optimiser steps of the whole run (one batch each). */
  readonly steps: number;
  /** Token limits, specials and prefix included; default the model preset's (64 / 256 for other models). */
  readonly maxQueryLength: number;
  readonly maxPassageLength: number;
  /** In the file: true (the paper's "Query: " / "Passage: "), false (none) or { query, passage }; default: the preset's. */
  readonly prefixes: Prefixes;
  readonly backend: BackendName;
  /** One log line (and one metrics.jsonl line) every this many steps. */
  readonly logEvery: number;
  /** Validation loss every this many steps (and at the end); 0 = never. */
  readonly validateEvery: number;
  /** Size of the fixed validation set, in batches (fewer if one epoch of the validation split has fewer). */
  readonly validationBatches: number;
  /** Pairs per validation batch; null = the sampler's batch size. Lower it when the validation split is small. */
  readonly validationBatchSize: number | null;
  /** `checkpoints/last` every this many steps; 0 = only at the end (and on Ctrl-C). */
  readonly checkpointEvery: number;
  /** Stop after `patience` validations without a new best; 0 = never stop early. */
  readonly earlyStopping: { readonly patience: number };
  /** The benchmark evaluated at the end with the best checkpoint; null = none. */
  readonly eval: EvalSection | null;
  /** The run directory (absolute once resolved; relative paths in a file or flag are taken from the working directory). */
  readonly outputDir: string;
}

/** What the defaults hold: everything but the values that come from the model preset or the file. */
export type RunDefaults = Omit<RunConfig, "data" | "eval" | "outputDir" | "maxQueryLength" | "maxPassageLength" | "prefixes"> & {
  readonly data: Omit<DataSection, "train">;
  readonly eval: EvalSection;
};

/** The paper's settings where it states them (AdamW, lr 3e-5, weight decay 0.01, batch 100, hybrid α 0.5), ours elsewhere. */
export const DEFAULT_RUN_CONFIG: RunDefaults = {
  comment: "",
  model: { ref: "mini", seed: 0, dropout: 0, mini: null },
  data: { validationFraction: 0.1, splitSeed: 0, withContext: false, allowContamination: false },
  sampler: DEFAULT_SAMPLER_CONFIG,
  optim: { lr: 3e-5, weightDecay: 0.01, warmupSteps: null, warmupRatio: 0.1, schedule: "linear", clipNorm: 1.0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  loss: { scale: 20, symmetric: false },
  gradCache: null,
  adversarial: null,
  steps: 1000,
  backend: "auto",
  logEvery: 10,
  validateEvery: 100,
  validationBatches: 16,
  validationBatchSize: null,
  checkpointEvery: 100,
  earlyStopping: { patience: 0 },
  eval: { dataset: "xquad-r", maxQuestionIds: null, languages: null, every: "end", batchSize: 32 },
};

/** Token limits for a model that is not a preset (XLM-R base's preset values). */
const OTHER_MODEL_LENGTHS = { maxQueryLength: 64, maxPassageLength: 256 };

/** The paper's prefixes, what `"prefixes": true` means. */
export const PAPER_PREFIXES: Prefixes = { query: "Query: ", passage: "Passage: " };

const BACKENDS: readonly BackendName[] = ["auto", "tensorflow", "webgpu", "wasm", "cpu"];

const TOP_KEYS = [
  "comment",
  "model",
  "data",
  "sampler",
  "optim",
  "loss",
  "gradCache",
  "adversarial",
  "steps",
  "maxQueryLength",
  "maxPassageLength",
  "prefixes",
  "backend",
  "logEvery",
  "validateEvery",
  "validationBatches",
  "validationBatchSize",
  "checkpointEvery",
  "earlyStopping",
  "eval",
  "outputDir",
  // Written by `train` into a run's config.json (git commit, package version, backend; the file's
  // schema version: run-files/run-config.ts); ignored on reading, so a run's config.json is itself a valid --config.
  "provenance",
  "schemaVersion",
] as const;

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
  const top = object(json, "the config", file);
  unknownKeys(top, TOP_KEYS, "the config", file);
  const fail = (message: string): never => {
    throw new DataError(file, message);
  };

  // --- model
  const m = section(top, "model", ["ref", "seed", "dropout", "mini"], file);
  const ref = m.ref === undefined ? DEFAULT_RUN_CONFIG.model.ref : string(m.ref, "model.ref", file);
  if (ref.trim() === "") fail(`model.ref must not be empty`);
  const model: ModelSection = {
    ref,
    seed: m.seed === undefined ? DEFAULT_RUN_CONFIG.model.seed : integer(m.seed, "model.seed", file, 0),
    dropout: m.dropout === undefined ? DEFAULT_RUN_CONFIG.model.dropout : number(m.dropout, "model.dropout", file, { min: 0, below: 1 }),
    mini: m.mini === undefined || m.mini === null ? null : miniArchitecture(m.mini, file),
  };
  if (model.mini !== null && ref !== "mini") fail(`model.mini sets the architecture of the mini preset, but model.ref is '${ref}'`);

  // --- data
  const d = section(top, "data", ["train", "validationFraction", "splitSeed", "withContext", "allowContamination"], file);
  if (d.train === undefined) fail(`needs "data": { "train": "records.jsonl" | { "dataset": "mlqa-r" | "xquad-r" } }`);
  const DD = DEFAULT_RUN_CONFIG.data;
  const data: DataSection = {
    train: trainSource(d.train, file),
    validationFraction:
      d.validationFraction === undefined ? DD.validationFraction : number(d.validationFraction, "data.validationFraction", file, { min: 0, below: 1 }),
    splitSeed: d.splitSeed === undefined ? DD.splitSeed : integer(d.splitSeed, "data.splitSeed", file, 0),
    withContext: d.withContext === undefined ? DD.withContext : boolean(d.withContext, "data.withContext", file),
    allowContamination: d.allowContamination === undefined ? DD.allowContamination : boolean(d.allowContamination, "data.allowContamination", file),
  };

  // --- sampler (shared with `hybrid-ir batches`)
  let sampler = samplerConfigFromJson(top.sampler, file);

  // --- optim
  const o = section(top, "optim", ["lr", "weightDecay", "warmupSteps", "warmupRatio", "schedule", "clipNorm", "beta1", "beta2", "epsilon"], file);
  if (o.warmupSteps !== undefined && o.warmupSteps !== null && o.warmupRatio !== undefined && o.warmupRatio !== null) {
    fail(`optim: give warmupSteps (${String(o.warmupSteps)}) or warmupRatio (${String(o.warmupRatio)}), not both`);
  }
  const D = DEFAULT_RUN_CONFIG.optim;
  const givenSteps = o.warmupSteps !== undefined && o.warmupSteps !== null;
  const schedule = o.schedule === undefined ? D.schedule : string(o.schedule, "optim.schedule", file);
  if (!(SCHEDULES as readonly string[]).includes(schedule)) fail(`optim.schedule: unknown schedule '${schedule}' (known: ${SCHEDULES.join(", ")})`);
  const optim: OptimSection = {
    lr: o.lr === undefined ? D.lr : number(o.lr, "optim.lr", file, { above: 0 }),
    weightDecay: o.weightDecay === undefined ? D.weightDecay : number(o.weightDecay, "optim.weightDecay", file, { min: 0 }),
    warmupSteps: givenSteps ? integer(o.warmupSteps, "optim.warmupSteps", file, 0) : null,
    warmupRatio: givenSteps ? null : o.warmupRatio === undefined || o.warmupRatio === null ? D.warmupRatio : number(o.warmupRatio, "optim.warmupRatio", file, { min: 0, max: 1 }),
    schedule: schedule as ScheduleName,
    clipNorm: o.clipNorm === undefined ? D.clipNorm : number(o.clipNorm, "optim.clipNorm", file, { above: 0 }),
    beta1: o.beta1 === undefined ? D.beta1 : number(o.beta1, "optim.beta1", file, { min: 0, below: 1 }),
    beta2: o.beta2 === undefined ? D.beta2 : number(o.beta2, "optim.beta2", file, { min: 0, below: 1 }),
    epsilon: o.epsilon === undefined ? D.epsilon : number(o.epsilon, "optim.epsilon", file, { above: 0 }),
  };

  // --- loss
  const l = section(top, "loss", ["scale", "symmetric"], file);
  const loss: LossSection = {
    scale: l.scale === undefined ? DEFAULT_RUN_CONFIG.loss.scale : number(l.scale, "loss.scale", file, { above: 0 }),
    symmetric: l.symmetric === undefined ? DEFAULT_RUN_CONFIG.loss.symmetric : boolean(l.symmetric, "loss.symmetric", file),
  };

  // --- grad cache
  let gradCache: GradCacheSection | null = DEFAULT_RUN_CONFIG.gradCache;
  if (top.gradCache !== undefined && top.gradCache !== null) {
    const g = section(top, "gradCache", ["chunkSize"], file);
    if (g.chunkSize === undefined) fail(`gradCache needs "chunkSize": queries (and passages) per chunk, e.g. { "chunkSize": 16 }; null turns it off`);
    gradCache = { chunkSize: integer(g.chunkSize, "gradCache.chunkSize", file, 1) };
  }

  const adversarial = adversarialSection(top.adversarial, file);

  // --- eval
  const evalSection = evalConfig(top.eval, file);

  // --- scalars
  const int = (key: "steps" | "logEvery" | "validateEvery" | "validationBatches" | "checkpointEvery", min: number): number =>
    top[key] === undefined ? DEFAULT_RUN_CONFIG[key] : integer(top[key], key, file, min);
  let steps = int("steps", 1);
  const es = section(top, "earlyStopping", ["patience"], file);
  const preset = isModelPresetName(ref) ? MODEL_PRESETS[ref] : undefined;
  const lengths = preset ?? OTHER_MODEL_LENGTHS;
  let backend = top.backend === undefined ? DEFAULT_RUN_CONFIG.backend : backendName(string(top.backend, "backend", file), (msg) => fail(msg));
  let outputDir =
    top.outputDir === undefined ? `runs/${basename(file, extname(file))}` : string(top.outputDir, "outputDir", file);
  let modelSeed = model.seed;

  // --- flags
  if (flags.steps !== undefined) steps = flagInteger("steps", flags.steps, 1);
  if (flags.output !== undefined) outputDir = flags.output;
  if (flags.seed !== undefined) modelSeed = flagInteger("seed", flags.seed, 0);
  if (flags.gradCacheChunk !== undefined) {
    const chunkSize = flagInteger("grad-cache-chunk", flags.gradCacheChunk, 0);
    gradCache = chunkSize === 0 ? null : { chunkSize };
  }
  if (flags.backend !== undefined) backend = backendName(flags.backend, (msg) => { throw new RangeError(`--backend: ${msg}`); });
  sampler = applySamplerFlags(sampler, { sampler: flags.sampler, alpha: flags.alpha, batchSize: flags.batchSize, seed: flags.seed });
  // α means nothing to x-x and x-y; one canonical value keeps equal runs' configs equal.
  if (sampler.name !== "hybrid") sampler = { ...sampler, alpha: DEFAULT_SAMPLER_CONFIG.alpha };
  if (outputDir.trim() === "") fail(`outputDir must not be empty`);

  const config: RunConfig = {
    comment: top.comment === undefined ? "" : string(top.comment, "comment", file),
    model: { ...model, seed: modelSeed },
    data,
    sampler,
    optim,
    loss,
    gradCache,
    adversarial,
    steps,
    maxQueryLength: top.maxQueryLength === undefined ? lengths.maxQueryLength : integer(top.maxQueryLength, "maxQueryLength", file, 3),
    maxPassageLength: top.maxPassageLength === undefined ? lengths.maxPassageLength : integer(top.maxPassageLength, "maxPassageLength", file, 3),
    prefixes: prefixes(top.prefixes, preset ? { query: preset.queryPrefix, passage: preset.passagePrefix } : { query: "", passage: "" }, file),
    backend,
    logEvery: int("logEvery", 1),
    validateEvery: int("validateEvery", 0),
    validationBatches: int("validationBatches", 1),
    validationBatchSize:
      top.validationBatchSize === undefined || top.validationBatchSize === null ? DEFAULT_RUN_CONFIG.validationBatchSize : integer(top.validationBatchSize, "validationBatchSize", file, 2),
    checkpointEvery: int("checkpointEvery", 0),
    earlyStopping: { patience: es.patience === undefined ? DEFAULT_RUN_CONFIG.earlyStopping.patience : integer(es.patience, "earlyStopping.patience", file, 0) },
    eval: evalSection,
    outputDir: resolve(cwd, outputDir),
  };
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
 * `gradCache` only when it is on, so runs from before the option keep their config and run key.
 */
export function runConfigToJson(config: RunConfig): Record<string, unknown> {
  const { alpha, ...sampler } = config.sampler;
  // A plain run's config.json has no `gradCache` or `adversarial` key, so its run key is what it was before those sections existed.
  const { gradCache, adversarial, ...rest } = config;
  return {
    ...rest,
    ...(gradCache === null ? {} : { gradCache }),
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

// ---------------------------------------------------------------- helpers




/** A section object (absent = {}), its keys checked. */
function section(top: Json, name: string, known: readonly string[], file: string): Json {
  if (top[name] === undefined) return {};
  const obj = object(top[name], `'${name}'`, file);
  unknownKeys(obj, known, `'${name}'`, file);
  return obj;
}

function string(value: unknown, key: string, file: string): string {
  if (typeof value !== "string") throw new DataError(file, `${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function boolean(value: unknown, key: string, file: string): boolean {
  if (typeof value !== "boolean") throw new DataError(file, `${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

interface Bounds {
  readonly min?: number;
  readonly max?: number;
  readonly above?: number;
  readonly below?: number;
}

function number(value: unknown, key: string, file: string, bounds: Bounds): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (bounds.min === undefined || value >= bounds.min) &&
    (bounds.max === undefined || value <= bounds.max) &&
    (bounds.above === undefined || value > bounds.above) &&
    (bounds.below === undefined || value < bounds.below);
  if (!ok) {
    const range = [
      bounds.min !== undefined ? `≥ ${bounds.min}` : undefined,
      bounds.above !== undefined ? `> ${bounds.above}` : undefined,
      bounds.max !== undefined ? `≤ ${bounds.max}` : undefined,
      bounds.below !== undefined ? `< ${bounds.below}` : undefined,
    ].filter((s) => s !== undefined);
    throw new DataError(file, `${key} must be a finite number${range.length ? ` ${range.join(" and ")}` : ""}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function integer(value: unknown, key: string, file: string, min: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min) {
    throw new DataError(file, `${key} must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return value as number;
}

function flagInteger(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(n) || n < min) throw new RangeError(`--${flag} takes an integer ≥ ${min}, got '${text}'`);
  return n;
}

function backendName(name: string, fail: (message: string) => never): BackendName {
  if (!(BACKENDS as readonly string[]).includes(name)) fail(`unknown backend '${name}' (known: ${BACKENDS.join(", ")})`);
  return name as BackendName;
}

function miniArchitecture(value: unknown, file: string): MiniArchitecture {
  const keys = ["layers", "hidden", "heads", "intermediate"];
  const obj = object(value, "model.mini", file);
  unknownKeys(obj, keys, "'model.mini'", file);
  const arch: MiniArchitecture = {
    layers: obj.layers === undefined ? MINI_CONFIG.numLayers : integer(obj.layers, "model.mini.layers", file, 1),
    hidden: obj.hidden === undefined ? MINI_CONFIG.hiddenSize : integer(obj.hidden, "model.mini.hidden", file, 1),
    heads: obj.heads === undefined ? MINI_CONFIG.numHeads : integer(obj.heads, "model.mini.heads", file, 1),
    intermediate: obj.intermediate === undefined ? MINI_CONFIG.intermediateSize : integer(obj.intermediate, "model.mini.intermediate", file, 1),
  };
  if (arch.hidden % arch.heads !== 0) throw new DataError(file, `model.mini.hidden (${arch.hidden}) must be a multiple of model.mini.heads (${arch.heads})`);
  return arch;
}

/** As `hybrid-ir batches` reads it: a path relative to the config's folder, or { dataset }. */
function trainSource(train: unknown, file: string): TrainSource {
  if (typeof train === "string") {
    if (train.trim() === "") throw new DataError(file, `data.train must not be empty`);
    return resolve(dirname(file), train);
  }
  if (isPlainObject(train)) {
    unknownKeys(train, ["dataset"], "'data.train'", file);
    const dataset = train.dataset;
    if (typeof dataset === "string" && isDatasetName(dataset)) return { dataset };
  }
  throw new DataError(file, `data.train must be a path or { "dataset": "mlqa-r" | "xquad-r" }, got ${JSON.stringify(train)}`);
}

function prefixes(value: unknown, presetPrefixes: Prefixes, file: string): Prefixes {
  if (value === undefined) return presetPrefixes;
  if (value === true) return PAPER_PREFIXES;
  if (value === false) return { query: "", passage: "" };
  if (isPlainObject(value)) {
    unknownKeys(value, ["query", "passage"], "'prefixes'", file);
    return {
      query: value.query === undefined ? "" : string(value.query, "prefixes.query", file),
      passage: value.passage === undefined ? "" : string(value.passage, "prefixes.passage", file),
    };
  }
  throw new DataError(file, `prefixes must be true, false or { "query": "...", "passage": "..." }, got ${JSON.stringify(value)}`);
}

function adversarialSection(value: unknown, file: string): AdversarialSection | null {
  if (value === undefined || value === null) return null;
  const obj = object(value, "'adversarial'", file);
  unknownKeys(obj, ["lambda", "hidden", "lr", "warmupSteps"], "'adversarial'", file);
  const D = DEFAULT_ADVERSARIAL;
  return {
    lambda: obj.lambda === undefined ? D.lambda : number(obj.lambda, "adversarial.lambda", file, { min: 0 }),
    hidden: obj.hidden === undefined ? D.hidden : integer(obj.hidden, "adversarial.hidden", file, 1),
    lr: obj.lr === undefined ? D.lr : number(obj.lr, "adversarial.lr", file, { above: 0 }),
    warmupSteps: obj.warmupSteps === undefined ? D.warmupSteps : integer(obj.warmupSteps, "adversarial.warmupSteps", file, 0),
  };
}

function evalConfig(value: unknown, file: string): EvalSection | null {
  if (value === null) return null;
  const base = DEFAULT_RUN_CONFIG.eval;
  if (value === undefined) return { ...base };
  const obj = object(value, "'eval'", file);
  unknownKeys(obj, ["dataset", "maxQuestionIds", "languages", "every", "batchSize"], "'eval'", file);
  const dataset = obj.dataset === undefined ? base.dataset : string(obj.dataset, "eval.dataset", file);
  if (!isDatasetName(dataset)) throw new DataError(file, `eval.dataset: unknown dataset '${dataset}' (known: xquad-r, mlqa-r)`);
  let languages: string[] | null = null;
  if (obj.languages !== undefined && obj.languages !== null) {
    if (!Array.isArray(obj.languages) || obj.languages.length === 0 || obj.languages.some((l) => typeof l !== "string")) {
      throw new DataError(file, `eval.languages must be a non-empty array of language codes, got ${JSON.stringify(obj.languages)}`);
    }
    const unknown = (obj.languages as string[]).filter((l) => !DATASET_LANGUAGES[dataset].includes(l));
    if (unknown.length > 0) {
      throw new DataError(file, `eval.languages: ${dataset} has no ${unknown.join(", ")} (it has: ${DATASET_LANGUAGES[dataset].join(", ")})`);
    }
    languages = obj.languages as string[];
  }
  if (obj.every !== undefined && obj.every !== "end") {
    throw new DataError(file, `eval.every: only "end" is supported (the benchmark is encoded once, with the best checkpoint), got ${JSON.stringify(obj.every)}`);
  }
  return {
    dataset,
    maxQuestionIds: obj.maxQuestionIds === undefined || obj.maxQuestionIds === null ? null : integer(obj.maxQuestionIds, "eval.maxQuestionIds", file, 1),
    languages,
    every: "end",
    batchSize: obj.batchSize === undefined ? base.batchSize : integer(obj.batchSize, "eval.batchSize", file, 1),
  };
}
