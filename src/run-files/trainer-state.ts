/**
 * trainer-state.json of a checkpoint: where training stands (step, sampler position, best
 * validation loss, early-stop decision, the open log interval) and the list of optimiser moments
 * in optimizer.bin. Written last into a checkpoint: a directory without it is incomplete.
 *
 * Versions are in `format`: "hybrid-ir/trainer-state@1" had no `stop` and `interval` (read as
 * "not stopped, empty interval"); @2 added them.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DataError } from "../util/errors.js";
import { SAMPLER_NAMES } from "../sampling/options.js";
import type { SamplerState } from "../sampling/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { isPlainObject, type Json } from "../util/json-fields.js";

export const TRAINER_STATE_NAME = "trainer-state.json";
export const OPTIMIZER_STATE_NAME = "optimizer.bin";
export const TRAINER_STATE_FORMAT = "hybrid-ir/trainer-state@2";
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
export interface TrainerStateFile extends TrainerProgress {
  readonly format: typeof TRAINER_STATE_FORMAT | typeof FORMAT_V1;
  readonly optimizer: {
    readonly step: number;
    readonly file: typeof OPTIMIZER_STATE_NAME;
    /** In file order; `size` float32 values of m, then `size` of v. */
    readonly moments: readonly { readonly name: string; readonly step: number; readonly size: number }[];
  };
}

/** trainer-state.json of checkpoint `dir`, checked. */
export async function readTrainerStateFile(dir: string): Promise<TrainerStateFile> {
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
  if (file.format !== TRAINER_STATE_FORMAT && file.format !== FORMAT_V1) throw new DataError(path, `format '${String(file.format)}' is not ${TRAINER_STATE_FORMAT}`);
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

/** Writes trainer-state.json into checkpoint `dir` (last: it marks the checkpoint complete). */
export async function writeTrainerStateFile(dir: string, state: Omit<TrainerStateFile, "format">): Promise<void> {
  const file: TrainerStateFile = { format: TRAINER_STATE_FORMAT, ...state };
  await writeFileAtomic(join(dir, TRAINER_STATE_NAME), JSON.stringify(file, null, 2) + "\n");
}

/** The trainer position of a checkpoint (its trainer-state.json), without loading anything else. */
export async function readTrainerProgress(dir: string): Promise<TrainerProgress> {
  const { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep, stop, interval } = await readTrainerStateFile(dir);
  return { step, sampler, bestValLoss, bestStep, badValidations, lastValidationStep, stop, interval };
}
