/**
 * What one checkpoint holds beyond the model: the trainer's position and the optimiser's
 * moments, so that `--resume` continues exactly where the checkpoint was taken.
 *
 * A checkpoint directory:
 *   (sentence-transformers layout)  the model, as `SentenceEncoder.save` writes it
 *   optimizer.bin                   AdamW moments, raw float32 little-endian: per variable m then v,
 *                                   in the order `trainer-state.json` lists them
 *   run-config.json                 the run's resolved config and provenance (run-files/run-config.ts),
 *                                   so a checkpoint copied elsewhere says what made it
 *   trainer-state.json              written last: a directory without it is incomplete
 *                                   (run-files/trainer-state.ts)
 *
 * Variables are listed under their name without the tfjs scope ("encoder_3/embeddings…" →
 * "embeddings…"), which changes from one process (or one model) to the next.
 *
 * The model comes back through {@link loadCheckpointModel}: the checkpoint's weights into the
 * configuration and tokenizer of a freshly built model of the same run, not the tokenizer file
 * saved beside them (that copy is rewritten to stay loadable in Python and may normalise text
 * slightly differently; see `pythonLoadableTokenizer` in sentence-encoder.ts).
 */
import { open } from "node:fs/promises";
import { endianness } from "node:os";
import { join } from "node:path";
import type { Variable } from "@tensorflow/tfjs";
import { readEncoderWeights } from "../model/checkpoint.js";
import type { EncoderOptions } from "../model/encoder.js";
import { SentenceEncoder } from "../model/sentence-encoder.js";
import { WORD_EMBEDDINGS } from "../model/trim.js";
import { TrainingVocabulary } from "../model/training-vocabulary.js";
import type { WeightMap } from "../model/types.js";
import { readSentenceModelSpec } from "../model/st-layout.js";
import { DataError } from "../util/errors.js";
import { CHECKPOINT_CONFIG_NAME, writeRunConfigFile, type Provenance } from "../run-files/run-config.js";
import {
  OPTIMIZER_STATE_NAME,
  readTrainerStateFile,
  TRAINER_STATE_NAME,
  writeTrainerStateFile,
  type TrainerProgress,
} from "../run-files/trainer-state.js";
import type { RunConfig } from "./config.js";
import type { AdamW, MomentState, OptimizerState } from "./optimizer.js";

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
export async function writeCheckpoint(
  dir: string,
  model: SentenceEncoder,
  optimizer: AdamW,
  progress: TrainerProgress,
  run: { readonly config: RunConfig; readonly provenance: Provenance },
): Promise<void> {
  await model.save(dir);
  await writeRunConfigFile(join(dir, CHECKPOINT_CONFIG_NAME), run.config, run.provenance);
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
  await writeTrainerStateFile(dir, {
    ...progress,
    optimizer: {
      step: state.step,
      file: OPTIMIZER_STATE_NAME,
      moments: entries.map((e) => ({ name: e.name, step: e.moments.step, size: e.moments.m.length })),
    },
  });
}

/**
 * The optimiser state of a checkpoint, keyed by the variable names of `model` (a model built for
 * the same run), ready for `AdamW.restore`.
 */
export async function readOptimizerState(dir: string, model: SentenceEncoder): Promise<OptimizerState> {
  const file = await readTrainerStateFile(dir);
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
    // Before its first step (a run interrupted during its first validation) AdamW holds no
    // moments at all, and every variable rightly starts afresh; after it, a missing one means a
    // checkpoint of another model.
    if (unlisted.length > 0 && file.optimizer.step > 0) throw new DataError(statePath, `no moments for ${unlisted.slice(0, 3).join(", ")}${unlisted.length > 3 ? ", ..." : ""}`);
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
 * configuration, tokenizer, frozen states (a run's checkpoints share its frozen part) and cut
 * word-embedding table (its rows, with the checkpoint's values);
 * `template` is left as it was (dispose it if no longer needed).
 */
export async function loadCheckpointModel(dir: string, template: SentenceEncoder, encoderOptions: EncoderOptions = {}): Promise<SentenceEncoder> {
  const spec = await readSentenceModelSpec(dir);
  const read = await readEncoderWeights(join(dir, spec.transformerPath), template.config);
  let weights: WeightMap = read;
  let vocabulary: TrainingVocabulary | undefined;
  if (template.trainingVocabulary !== null) {
    const cut = TrainingVocabulary.cut(read.get(WORD_EMBEDDINGS)!, template.trainingVocabulary.rows);
    vocabulary = cut.vocabulary;
    weights = new Map(read).set(WORD_EMBEDDINGS, cut.trimmed);
  }
  const model = new SentenceEncoder({ config: template.config, weights, tokenizerJson: template.tokenizerJson, spec, encoderOptions, vocabulary });
  try {
    model.useFrozenStates(template.frozenStates);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return model;
}

/** The bytes of a float32 array, little-endian (the only byte order Node runs on in practice; checked). */
function bytesOf(values: Float32Array): Uint8Array {
  if (endianness() !== "LE") throw new Error("checkpoints are written little-endian; this machine is big-endian");
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
