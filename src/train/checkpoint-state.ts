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
import { DataError } from "../data/errors.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import type { SamplerState } from "../sampling/sampler.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject, type Json } from "../util/json-fields.js";
import type { AdamW, MomentState, OptimizerState } from "./optimizer.js";

export const TRAINER_STATE_NAME = "trainer-state.json";
export const OPTIMIZER_STATE_NAME = "optimizer.bin";
/** @2 added `stop` and `interval`; an @1 file reads as "not stopped, empty interval". */
const FORMAT = "hybrid-ir/trainer-state@2";
const FORMAT_V1 = "hybrid-ir/trainer-state@1";

/** A decision that ends the loop before `steps`, saved so a resumed run ends where the first one did. */
export interface TrainerStop {
  readonly status: "early-stopped";
  /** The step it was decided at. */
  readonly step: number;
  readonly message: string;
}

/** The sums behind the next metrics "train" line (steps since the last one), so a resumed run logs the same means. */
export interface LogInterval {
  readonly loss: number;
  readonly gradNorm: number;
  readonly steps: number;
  readonly pairs: number;
  readonly seconds: number;
}

export const EMPTY_INTERVAL: LogInterval = { loss: 0, gradNorm: 0, steps: 0, pairs: 0, seconds: 0 };

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
  /** Set once the loop has decided to stop early: resuming goes straight to the end of the run. */
  readonly stop: TrainerStop | null;
  readonly interval: LogInterval;
}

/** trainer-state.json. */
interface TrainerStateFile extends TrainerProgress {
  readonly format: typeof FORMAT | typeof FORMAT_V1;
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
  const { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep, stop, interval } = file;
  return { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep, stop, interval };
}

/**
 * The optimiser state of a checkpoint, keyed by the variable names of `model` (a model built for
 * the same run), ready for `AdamW.restore`.
 */
export async function readOptimizerState(dir: string, model: SentenceEncoder): Promise<OptimizerState> {
  const file = await readStateFile(dir);
  if (endianness() !== "LE") throw new Error("checkpoints are written little-endian; this machine is big-endian");
  const statePath = join(dir, TRAINER_STATE_NAME);
  const path = join(dir, file.optimizer.file);
  const expected = file.optimizer.moments.reduce((n, m) => n + 8 * m.size, 0);
  const tfName = new Map([...stableNames(model)].map(([name, stable]) => [stable, name]));
  const moments: Record<string, MomentState> = {};
  const handle = await open(path, "r");
  try {
    const { size } = await handle.stat();
    if (size !== expected) throw new DataError(path, `holds ${size} bytes, ${TRAINER_STATE_NAME} lists ${expected} (truncated or from another run?)`);
    let position = 0;
    const next = async (length: number): Promise<Float32Array> => {
      const out = new Float32Array(length);
      await handle.read(new Uint8Array(out.buffer), 0, out.byteLength, position);
      position += out.byteLength;
      return out;
    };
    const listed = new Set(file.optimizer.moments.map((m) => m.name));
    const unlisted = [...tfName.keys()].filter((n) => !listed.has(n));
    if (unlisted.length > 0) throw new DataError(statePath, `no moments for ${unlisted.slice(0, 3).join(", ")}${unlisted.length > 3 ? ", ..." : ""}`);
    for (const m of file.optimizer.moments) {
      const name = tfName.get(m.name);
      if (name === undefined) throw new DataError(statePath, `moments for '${m.name}', which the model does not have`);
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
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new DataError(path, `cannot read (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError(path, `invalid JSON (${(err as Error).message})`);
  }
  return parseTrainerState(json, path);
}

/** Checks a parsed trainer-state.json field by field; every problem is a DataError naming `path` and the field. */
export function parseTrainerState(json: unknown, path: string): TrainerStateFile {
  const bad = (field: string, what: string, value: unknown): never => {
    throw new DataError(path, `${field} must be ${what}, got ${JSON.stringify(value) ?? String(value)}`);
  };
  const obj = (v: unknown, field: string): Json => (isPlainObject(v) ? v : bad(field, "an object", v));
  const int = (v: unknown, field: string): number => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : bad(field, "a whole number >= 0", v));
  const num = (v: unknown, field: string): number => (typeof v === "number" && Number.isFinite(v) ? v : bad(field, "a finite number", v));
  const orNull = <T>(v: unknown, read: (v: unknown) => T): T | null => (v === null ? null : read(v));
  const file = obj(json, "the file");
  if (file.format !== FORMAT && file.format !== FORMAT_V1) throw new DataError(path, `format '${String(file.format)}' is not ${FORMAT}`);
  const s = obj(file.sampler, "sampler");
  if (typeof s.sampler !== "string" || !(SAMPLER_NAMES as readonly string[]).includes(s.sampler)) bad("sampler.sampler", `one of ${SAMPLER_NAMES.join(", ")}`, s.sampler);
  if (!Number.isSafeInteger(s.seed)) bad("sampler.seed", "an integer", s.seed);
  const sampler = { sampler: s.sampler, seed: s.seed, epoch: int(s.epoch, "sampler.epoch"), batch: int(s.batch, "sampler.batch") } as SamplerState;
  let stop: TrainerStop | null = null;
  if (file.stop !== undefined && file.stop !== null) {
    const st = obj(file.stop, "stop");
    if (st.status !== "early-stopped") bad("stop.status", `"early-stopped"`, st.status);
    if (typeof st.message !== "string") bad("stop.message", "a string", st.message);
    stop = { status: "early-stopped", step: int(st.step, "stop.step"), message: st.message as string };
  }
  let interval = EMPTY_INTERVAL;
  if (file.interval !== undefined) {
    const i = obj(file.interval, "interval");
    interval = {
      loss: num(i.loss, "interval.loss"),
      gradNorm: num(i.gradNorm, "interval.gradNorm"),
      steps: int(i.steps, "interval.steps"),
      pairs: int(i.pairs, "interval.pairs"),
      seconds: num(i.seconds, "interval.seconds"),
    };
  }
  const o = obj(file.optimizer, "optimizer");
  if (o.file !== OPTIMIZER_STATE_NAME) bad("optimizer.file", `"${OPTIMIZER_STATE_NAME}"`, o.file);
  if (!Array.isArray(o.moments)) bad("optimizer.moments", "an array", o.moments);
  const moments = (o.moments as unknown[]).map((m, k) => {
    const e = obj(m, `optimizer.moments[${k}]`);
    if (typeof e.name !== "string" || e.name === "") bad(`optimizer.moments[${k}].name`, "a variable name", e.name);
    return { name: e.name as string, step: int(e.step, `optimizer.moments[${k}].step`), size: int(e.size, `optimizer.moments[${k}].size`) };
  });
  const step = int(file.step, "step");
  const bestStep = orNull(file.bestStep, (v) => int(v, "bestStep"));
  if (bestStep !== null && bestStep > step) bad("bestStep", `at most step (${step})`, bestStep);
  return {
    format: file.format,
    step,
    sampler,
    bestValLoss: orNull(file.bestValLoss, (v) => num(v, "bestValLoss")),
    bestStep,
    badValidations: int(file.badValidations, "badValidations"),
    lastValidationStep: orNull(file.lastValidationStep, (v) => int(v, "lastValidationStep")),
    stop,
    interval,
    optimizer: { step: int(o.step, "optimizer.step"), file: OPTIMIZER_STATE_NAME, moments },
  };
}

/** The bytes of a float32 array, little-endian (the only byte order Node runs on in practice; checked). */
function bytesOf(values: Float32Array): Uint8Array {
  if (endianness() !== "LE") throw new Error("checkpoints are written little-endian; this machine is big-endian");
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
