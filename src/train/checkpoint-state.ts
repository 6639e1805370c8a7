/**
 * What one checkpoint holds beyond the model: the trainer's position and the optimiser's
 * moments, so that `--resume` continues exactly where the checkpoint was taken.
 *
 * A checkpoint directory:
 *   (sentence-transformers layout)  the model, as `SentenceEncoder.save` writes it
 *   optimizer.bin                   AdamW moments, raw float32 little-endian: per variable m then v,
 *                                   in the order `trainer-state.json` lists them
 *   trainer-state.json              written last: a directory without it is incomplete
 *
 * Variables are listed under their name without the tfjs scope ("encoder_3/embeddings…" →
 * "embeddings…"), which changes from one process (or one model) to the next.
 *
 * The model comes back through {@link loadCheckpointModel}: the checkpoint's weights into the
 * configuration and tokenizer of a freshly built model of the same run, not the tokenizer file
 * saved beside them (that copy is rewritten to stay loadable in Python and may normalise text
 * slightly differently; see `pythonLoadableTokenizer` in sentence-encoder.ts).
 */
import { open, readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import type { Variable } from "@tensorflow/tfjs";
import { readEncoderWeights } from "../model/checkpoint.js";
import type { EncoderOptions } from "../model/encoder.js";
import { SentenceEncoder } from "../model/sentence-encoder.js";
import { readSentenceModelSpec } from "../model/st-layout.js";
import type { SamplerState } from "../sampling/sampler.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import type { AdamW, MomentState, OptimizerState } from "./optimizer.js";

export const TRAINER_STATE_NAME = "trainer-state.json";
export const OPTIMIZER_STATE_NAME = "optimizer.bin";
const FORMAT = "hybrid-ir/trainer-state@1";

/** Where training stands after `step` optimiser steps. */
export interface TrainerProgress {
  /** Optimiser steps done. */
  readonly step: number;
  /** Where the training sampler stands: its next batch is the one of step `step`. */
  readonly sampler: SamplerState;
  /** Lowest validation loss so far and its step; null before the first validation. */
  readonly bestValLoss: number | null;
  readonly bestStep: number | null;
  /** Validations since the last new best (early stopping compares it with the patience). */
  readonly badValidations: number;
  /** Step of the last validation (null: none yet). */
  readonly lastValidationStep: number | null;
}

/** trainer-state.json. */
interface TrainerStateFile extends TrainerProgress {
  readonly format: typeof FORMAT;
  readonly optimizer: {
    readonly step: number;
    readonly file: typeof OPTIMIZER_STATE_NAME;
    /** In file order; `size` float32 values of m, then `size` of v. */
    readonly moments: readonly { readonly name: string; readonly step: number; readonly size: number }[];
  };
}

/** A variable's name without its tfjs scope; what checkpoints key variables by. */
export function stableName(variable: Pick<Variable, "name">): string {
  const slash = variable.name.indexOf("/");
  return slash < 0 ? variable.name : variable.name.slice(slash + 1);
}

function stableNames(model: SentenceEncoder): Map<string, string> {
  const byName = new Map<string, string>(); // tfjs name → stable name
  const seen = new Set<string>();
  for (const v of model.variables()) {
    const stable = stableName(v);
    if (seen.has(stable)) throw new Error(`two variables are both called '${stable}' once their scope is dropped`);
    seen.add(stable);
    byName.set(v.name, stable);
  }
  return byName;
}

/**
 * Writes a whole checkpoint into `dir` (which the caller makes atomic by writing a temporary
 * directory and renaming it): the model, the optimiser moments, then the trainer state.
 */
export async function writeCheckpoint(dir: string, model: SentenceEncoder, optimizer: AdamW, progress: TrainerProgress): Promise<void> {
  await model.save(dir);
  const state = await optimizer.state();
  const names = stableNames(model);
  const entries = Object.entries(state.moments).map(([name, s]) => {
    const stable = names.get(name);
    if (stable === undefined) throw new Error(`optimiser state for '${name}', which is not a variable of the model`);
    return { name: stable, moments: s };
  });
  // Written variable by variable rather than as one buffer: XLM-R base's moments are 2.2 GB.
  const handle = await open(join(dir, OPTIMIZER_STATE_NAME), "w");
  try {
    for (const { moments } of entries) {
      await handle.write(bytesOf(moments.m));
      await handle.write(bytesOf(moments.v));
    }
  } finally {
    await handle.close();
  }
  const file: TrainerStateFile = {
    format: FORMAT,
    ...progress,
    optimizer: {
      step: state.step,
      file: OPTIMIZER_STATE_NAME,
      moments: entries.map((e) => ({ name: e.name, step: e.moments.step, size: e.moments.m.length })),
    },
  };
  await writeFileAtomic(join(dir, TRAINER_STATE_NAME), JSON.stringify(file, null, 2) + "\n");
}

/** The trainer position of a checkpoint (its trainer-state.json), without loading anything else. */
export async function readTrainerProgress(dir: string): Promise<TrainerProgress> {
  const file = await readStateFile(dir);
  const { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep } = file;
  return { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep };
}

/**
 * The optimiser state of a checkpoint, keyed by the variable names of `model` (a model built for
 * the same run), ready for `AdamW.restore`.
 */
export async function readOptimizerState(dir: string, model: SentenceEncoder): Promise<OptimizerState> {
  const file = await readStateFile(dir);
  if (endianness() !== "LE") throw new Error("checkpoints are written little-endian; this machine is big-endian");
  const path = join(dir, file.optimizer.file);
  const expected = file.optimizer.moments.reduce((n, m) => n + 8 * m.size, 0);
  const tfName = new Map([...stableNames(model)].map(([name, stable]) => [stable, name]));
  const moments: Record<string, MomentState> = {};
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size !== expected) throw new Error(`${path}: holds ${size} bytes, ${TRAINER_STATE_NAME} lists ${expected}`);
    let position = 0;
    const next = async (length: number): Promise<Float32Array> => {
      const out = new Float32Array(length);
      await handle.read(new Uint8Array(out.buffer), 0, out.byteLength, position);
      position += out.byteLength;
      return out;
    };
    for (const m of file.optimizer.moments) {
      const name = tfName.get(m.name);
      if (name === undefined) throw new Error(`${join(dir, TRAINER_STATE_NAME)}: moments for '${m.name}', which the model does not have`);
      moments[name] = { step: m.step, m: await next(m.size), v: await next(m.size) };
    }
  } finally {
    await handle.close();
  }
  return { step: file.optimizer.step, moments };
}

/**
 * A new encoder with the checkpoint's weights (encoder and dense layer) and `template`'s
 * configuration and tokenizer; `template` is left as it was (dispose it if no longer needed).
 */
export async function loadCheckpointModel(dir: string, template: SentenceEncoder, encoderOptions: EncoderOptions = {}): Promise<SentenceEncoder> {
  const spec = await readSentenceModelSpec(dir);
  const weights = await readEncoderWeights(join(dir, spec.transformerPath), template.config);
  return new SentenceEncoder({ config: template.config, weights, tokenizerJson: template.tokenizerJson, spec, encoderOptions });
}

async function readStateFile(dir: string): Promise<TrainerStateFile> {
  const path = join(dir, TRAINER_STATE_NAME);
  const json = JSON.parse(await readFile(path, "utf8")) as TrainerStateFile;
  if (json.format !== FORMAT) throw new Error(`${path}: format '${String(json.format)}' is not ${FORMAT}`);
  return json;
}

/** The bytes of a float32 array, little-endian (the only byte order Node runs on in practice; checked). */
function bytesOf(values: Float32Array): Uint8Array {
  if (endianness() !== "LE") throw new Error("checkpoints are written little-endian; this machine is big-endian");
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
