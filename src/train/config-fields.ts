/**
 * Every option of a run config, declared once: key, type, default, bounds and doc. The resolver
 * (config.ts) reads files through this table, and docs/run-config.md's option reference is
 * rendered from it (`node dist/scripts/config-doc.js --write`). Checks across sections (warm-up
 * against steps, adversarial against the sampler) and the flags are in config.ts.
 */
import { basename, dirname, extname, resolve } from "node:path";
import { BACKEND_NAMES } from "../compute/backend.js";
import { DATASET_LANGUAGES, isDatasetName } from "../data/lareqa.js";
import { DATASETS } from "../data/types.js";
import { MINI_CONFIG } from "../model/presets.js";
import { SAMPLER_FIELDS } from "../sampling/config.js";
import { isPlainObject, unknownKeys } from "../util/json-fields.js";
import { boolean, custom, fail, group, renderOptionTable, integer, number, oneOf, orNull, required, string, type Field, type FieldTable } from "../util/option-table.js";
import { SCHEDULES } from "./schedule.js";
import type {
  AdversarialSection,
  DataSection,
  EvalSection,
  GradCacheSection,
  LossSection,
  MiniArchitecture,
  ModelSection,
  OptimSection,
  Prefixes,
  RunConfig,
  TrainSource,
} from "./config.js";

/** The paper's prefixes, what `"prefixes": true` means. */
export const PAPER_PREFIXES: Prefixes = { query: "Query: ", passage: "Passage: " };

const NEEDS_TRAIN = `needs "data": { "train": "records.jsonl" | { "dataset": "mlqa-r" | "xquad-r" } }`;

/** A path (relative to the config file's folder, made absolute) or `{ "dataset": "mlqa-r" }`; what `hybrid-ir batches` reads too. */
export const TRAIN_SOURCE: Field<TrainSource> = custom<TrainSource>({
  type: 'path, or { "dataset": "mlqa-r" | "xquad-r" }',
  defaultText: "required",
  doc: "Training records (docs/training-data.md), a path relative to the config file's folder; or a vendored benchmark converted to records.",
  absent: (where) => fail(where, NEEDS_TRAIN),
  parse: (train, where) => {
    if (typeof train === "string") {
      if (train.trim() === "") fail(where, `${where.path} must not be empty`);
      return resolve(dirname(where.file), train);
    }
    if (isPlainObject(train)) {
      unknownKeys(train, ["dataset"], `'${where.path}'`, where.file);
      if (typeof train.dataset === "string" && isDatasetName(train.dataset)) return { dataset: train.dataset };
    }
    return fail(where, `${where.path} must be a path or { "dataset": "mlqa-r" | "xquad-r" }, got ${JSON.stringify(train)}`);
  },
});

const MINI = group<MiniArchitecture>(
  {
    layers: integer(1, MINI_CONFIG.numLayers, "Transformer layers."),
    hidden: integer(1, MINI_CONFIG.hiddenSize, "Hidden size; a multiple of `heads`."),
    heads: integer(1, MINI_CONFIG.numHeads, "Attention heads."),
    intermediate: integer(1, MINI_CONFIG.intermediateSize, "Feed-forward width."),
  },
  "`mini` only: its architecture (keys left out keep the preset's); null keeps the preset's.",
  {
    after: (arch, _raw, where) =>
      arch.hidden % arch.heads === 0 ? arch : fail(where, `model.mini.hidden (${arch.hidden}) must be a multiple of model.mini.heads (${arch.heads})`),
  },
);

const MODEL = group<ModelSection>(
  {
    ref: string("mini", "A preset (`mini`, `xlm-r-base`, `labse`, `e5-small`), a local sentence-transformers directory, or a hub id.", { nonEmpty: true }),
    seed: integer(0, 0, "Initialises `mini` (other models load their weights) and seeds dropout."),
    dropout: number({ min: 0, below: 1 }, 0, "Hidden and attention dropout while training; masks are seeded by (seed, step), so a resumed run ends on the same weights."),
    mini: orNull(MINI),
    trainLayers: orNull(integer(1, 0, ""), {
      doc:
        "Train only the top N transformer layers: the embeddings and the layers below stay as loaded, and their output is computed once per text and cached " +
        "(a deviation from the paper, which trains every layer; for CPUs). null = every layer.",
    }),
  },
  "The encoder.",
  {
    after: (model, _raw, where) =>
      model.mini !== null && model.ref !== "mini"
        ? fail(where, `model.mini sets the architecture of the mini preset, but model.ref is '${model.ref}'`)
        : model,
  },
);

export const DATA_TABLE: FieldTable<DataSection> = {
  train: TRAIN_SOURCE,
  validationFraction: number({ min: 0, below: 1 }, 0.1, "Share of the records held out for validation loss, by whole articles; 0 turns validation off."),
  splitSeed: integer(0, 0, "Seeds the train/validation split and the validation batches, so runs with different seeds share them."),
  withContext: boolean(false, "Encode each passage with its paragraph as a second segment (and the benchmark's candidates likewise)."),
  allowContamination: boolean(false, "Train even when training text equals evaluation text (reported, not refused)."),
};

const DATA = group(DATA_TABLE, "Training data.");

const OPTIM = group<OptimSection>(
  {
    lr: number({ above: 0 }, 3e-5, "Peak learning rate (AdamW). The paper's 3e-5 is for pretrained models; a randomly initialised `mini` needs more, e.g. 5e-4."),
    weightDecay: number({ min: 0 }, 0.01, "AdamW's decoupled weight decay."),
    warmupSteps: orNull(integer(0, 0, ""), { doc: "Warm-up length in steps; give this or warmupRatio, not both." }),
    warmupRatio: orNull(number({ min: 0, max: 1 }, 0.1, ""), {
      absent: "default",
      doc: "Warm-up as a share of `steps`, rounded to whole steps; null when warmupSteps is given (the default then).",
    }),
    schedule: oneOf(SCHEDULES, "schedule", "linear", "After warm-up: linear decay to 0, or constant."),
    clipNorm: number({ above: 0 }, 1.0, "Gradients are clipped to this global L2 norm."),
    beta1: number({ min: 0, below: 1 }, 0.9, "Adam β1."),
    beta2: number({ min: 0, below: 1 }, 0.999, "Adam β2."),
    epsilon: number({ above: 0 }, 1e-8, "Adam ε."),
  },
  "The optimiser (AdamW) and learning-rate schedule.",
  {
    before: (raw, where) => {
      if (raw.warmupSteps !== undefined && raw.warmupSteps !== null && raw.warmupRatio !== undefined && raw.warmupRatio !== null) {
        fail(where, `optim: give warmupSteps (${String(raw.warmupSteps)}) or warmupRatio (${String(raw.warmupRatio)}), not both`);
      }
    },
    // A null or absent ratio means the default, unless the warm-up is given in steps.
    after: (optim) => ({ ...optim, warmupRatio: optim.warmupSteps !== null ? null : (optim.warmupRatio ?? 0.1) }),
  },
);

const LOSS = group<LossSection>(
  {
    scale: number({ above: 0 }, 20, "Multiplies the cosine similarities (1 / temperature); 20 as sentence-transformers, the paper states none."),
    symmetric: boolean(false, "Also average the passage→query direction."),
  },
  "The InfoNCE loss with in-batch negatives.",
);

const GRAD_CACHE = group<GradCacheSection>(
  {
    chunkSize: required(
      integer(1, 0, "Queries (and passages) per chunk."),
      `gradCache needs "chunkSize": queries (and passages) per chunk, e.g. { "chunkSize": 16 }; null turns it off`,
    ),
  },
  "Gradient caching (src/train/grad-cache.ts): the same loss and gradients as the plain step, the memory of one chunk, one more forward pass. null computes each step in one pass.",
);

export const ADVERSARIAL_SECTION = group<AdversarialSection>(
  {
    lambda: number({ min: 0 }, 0.1, "Weight of the reversed discriminator gradient in the encoder's update; 0 trains the encoder as x-y does."),
    hidden: integer(1, 128, "Width of the discriminator's one hidden layer."),
    lr: number({ above: 0 }, 1e-3, "The discriminator's Adam learning rate (constant)."),
    warmupSteps: integer(0, 0, "λ rises linearly from 0 to `lambda` over this many steps."),
  },
  "The language-adversarial strategy (src/train/adversarial.ts): a language discriminator behind gradient reversal. Needs sampler.name x-y. null (the default) for the plain strategies.",
);

export const EVAL_SECTION = group<EvalSection>(
  {
    dataset: oneOf(DATASETS, "dataset", "xquad-r", "The benchmark."),
    maxQuestionIds: orNull(integer(1, 0, ""), { doc: "Keep the questions of the first N parallel ids (all candidates stay); null = all." }),
    languages: custom<readonly string[] | null>({
      type: "non-empty array of language codes, or null",
      defaultText: "null",
      doc: "A subset of the benchmark's languages; null = all.",
      absent: () => null,
      parse: (value, where) => {
        if (value === null) return null;
        if (!Array.isArray(value) || value.length === 0 || value.some((l) => typeof l !== "string")) {
          fail(where, `${where.path} must be a non-empty array of language codes, got ${JSON.stringify(value)}`);
        }
        return value as string[]; // checked against the dataset once it is known (after)
      },
    }),
    every: custom<"end">({
      type: '"end"',
      defaultText: '"end"',
      doc: "When to evaluate: only at the end of the run, with the best checkpoint.",
      absent: () => "end",
      parse: (value, where) =>
        value === "end"
          ? "end"
          : fail(where, `${where.path}: only "end" is supported (the benchmark is encoded once, with the best checkpoint), got ${JSON.stringify(value)}`),
    }),
    batchSize: integer(1, 32, "Texts per forward pass while encoding the benchmark."),
  },
  "The benchmark evaluated at the end with the best checkpoint; null = none.",
  {
    after: (evalSection, _raw, where) => {
      const known = DATASET_LANGUAGES[evalSection.dataset];
      const unknown = (evalSection.languages ?? []).filter((l) => !known.includes(l));
      if (unknown.length > 0) fail(where, `eval.languages: ${evalSection.dataset} has no ${unknown.join(", ")} (it has: ${known.join(", ")})`);
      return evalSection;
    },
  },
);

const PREFIXES = custom<Prefixes | undefined>({
  type: 'true, false, or { "query": string, "passage": string }',
  defaultText: "the model preset's (none for other models)",
  doc: 'Text put before every query and passage: true is the paper\'s "Query: " / "Passage: ", false none.',
  absent: () => undefined, // the model preset's, filled in by the resolver
  parse: (value, where) => {
    if (value === true) return PAPER_PREFIXES;
    if (value === false) return { query: "", passage: "" };
    if (isPlainObject(value)) {
      unknownKeys(value, ["query", "passage"], "'prefixes'", where.file);
      const text = string("", "");
      const part = (key: "query" | "passage") => (value[key] === undefined ? "" : text.parse(value[key], { file: where.file, path: `prefixes.${key}` }));
      return { query: part("query"), passage: part("passage") };
    }
    return fail(where, `prefixes must be true, false or { "query": "...", "passage": "..." }, got ${JSON.stringify(value)}`);
  },
});

/** Token limits for a model that is not a preset (XLM-R base's preset values). */
export const OTHER_MODEL_LENGTHS = { maxQueryLength: 64, maxPassageLength: 256 } as const;

/** A token limit; absent: the model preset's, filled in by the resolver. */
function tokenLimit(key: keyof typeof OTHER_MODEL_LENGTHS, doc: string): Field<number | undefined> {
  const limit = integer(3, 0, doc);
  return { ...limit, defaultText: `the model preset's (${OTHER_MODEL_LENGTHS[key]} for other models)`, absent: () => undefined };
}

/** What the table reads: a RunConfig before the values that depend on the model preset are filled in. */
export type RunConfigInput = Omit<RunConfig, "maxQueryLength" | "maxPassageLength" | "prefixes"> & {
  readonly maxQueryLength: number | undefined;
  readonly maxPassageLength: number | undefined;
  readonly prefixes: Prefixes | undefined;
};

/** The paper's settings where it states them (AdamW, lr 3e-5, weight decay 0.01, batch 100, hybrid α 0.5), ours elsewhere. */
export const RUN_CONFIG_TABLE: FieldTable<RunConfigInput> = {
  comment: string("", "Free text kept with the run (what the config is for)."),
  model: MODEL,
  data: DATA,
  sampler: SAMPLER_FIELDS,
  optim: OPTIM,
  loss: LOSS,
  gradCache: orNull(GRAD_CACHE),
  forwardChunk: orNull(integer(1, 0, ""), {
    doc:
      "Plain steps (no gradCache) run each side of the batch through the encoder in chunks of N pairs sorted by passage length, each padded only to its " +
      "own longest row: the same loss and gradients with less padding, at the plain step's memory. null = the whole batch at once.",
  }),
  adversarial: orNull(ADVERSARIAL_SECTION),
  steps: integer(1, 1000, "Optimiser steps of the whole run (one batch each)."),
  maxQueryLength: tokenLimit("maxQueryLength", "Query token limit, specials and prefix included."),
  maxPassageLength: tokenLimit("maxPassageLength", "Passage token limit, specials and prefix included."),
  prefixes: PREFIXES,
  backend: oneOf(BACKEND_NAMES, "backend", "auto", "The tfjs backend; auto takes the first that starts (tensorflow, webgpu, wasm, cpu)."),
  logEvery: integer(1, 10, "One log line (and one metrics.jsonl line) every this many steps."),
  validateEvery: integer(0, 100, "Validation loss every this many steps (and at the end); 0 = never."),
  validationBatches: integer(1, 16, "Size of the fixed validation set, in batches (fewer if one epoch of the validation split has fewer)."),
  validationBatchSize: orNull(integer(2, 0, ""), { doc: "Pairs per validation batch; null = the sampler's batch size. Lower it when the validation split is small." }),
  checkpointEvery: integer(0, 100, "`checkpoints/last` every this many steps; 0 = only at the end (and on Ctrl-C)."),
  earlyStopping: group<RunConfig["earlyStopping"]>(
    { patience: integer(0, 0, "Stop after this many validations without a new best; 0 = never stop early. Needs validation.") },
    "Early stopping on validation loss.",
  ),
  eval: orNull(EVAL_SECTION, { absent: "default" }),
  outputDir: {
    ...string("", "The run directory; a relative path is taken from the working directory.", { nonEmpty: true }),
    defaultText: "`runs/<config file name without .json>`",
  absent: (where) => `runs/${basename(where.file, extname(where.file))}`,
},
};

export const RUN_CONFIG_FIELDS = group(
  RUN_CONFIG_TABLE,
  "A training run.",
  // Written by `train` into a run's config.json (git commit, package version, backend; the file's
  // schema version: run-files/run-config.ts); ignored on reading, so a run's config.json is itself a valid --config.
  { ignored: ["provenance", "schemaVersion"] },
);

/** The option reference of docs/run-config.md, one row per key path. */
export function runConfigReference(): string {
  return renderOptionTable(RUN_CONFIG_FIELDS);
}
