/**
 * Encoder weights on disk: `model.safetensors` (or a sharded `model.safetensors.index.json`)
 * in a Hugging Face model directory, validated against the weight spec of its config.
 */
import { basename, join } from "node:path";
import { DataError } from "../util/errors.js";
import { readJsonFile } from "../util/json-fields.js";
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from "./safetensors.js";
import type { TensorEntry } from "./safetensors.js";
import type { EncoderConfig, NamedTensor, WeightMap } from "./types.js";
import { encoderWeightSpec, IGNORED_WEIGHTS } from "./weight-spec.js";
import { pathExists } from "../util/fs.js";

export const WEIGHTS_NAME = "model.safetensors";
export const WEIGHTS_INDEX_NAME = "model.safetensors.index.json";

/**
 * Prefixes of task-model checkpoints (BertForPreTraining, XLMRobertaForMaskedLM, …) around the
 * bare encoder's names; stripped when every encoder weight carries the same one.
 */
const MODEL_PREFIXES = ["bert.", "roberta.", "model."] as const;

/** Task heads beside a prefixed encoder (MLM / NSP heads); unused by a sentence encoder. */
const HEAD_WEIGHTS: readonly RegExp[] = [/^lm_head\./, /^cls\./];

/** How many names of each kind of mismatch the error lists before summarising the rest. */
const LIST_LIMIT = 10;

const ENCODER_KEY = /^(embeddings|encoder|pooler)\./;

/** Python string literal in single quotes, so the command can sit inside shell double quotes. */
function pythonString(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * The shell command that re-saves a model directory with safetensors weights: with
 * transformers for a bare encoder, with sentence-transformers for a whole pipeline (Dense too).
 */
export function safetensorsConversionCommand(dir: string, library: "transformers" | "sentence-transformers"): string {
  const d = pythonString(dir);
  return library === "transformers"
    ? `python -c "from transformers import AutoModel; AutoModel.from_pretrained(${d}).save_pretrained(${d}, safe_serialization=True)"`
    : `python -c "from sentence_transformers import SentenceTransformer; SentenceTransformer(${d}).save(${d}, safe_serialization=True)"`;
}


/** Every tensor of the checkpoint, by name, with the file holding it. */
interface Located {
  readonly file: string;
  readonly entry: TensorEntry;
}

/** Which file(s) hold the weights; DataErrors for the cases we cannot read, saying what to do. */
async function locate(dir: string): Promise<{ describe: string; tensors: Map<string, Located> }> {
  const single = join(dir, WEIGHTS_NAME);
  if (await pathExists(single)) {
    const header = await readSafetensorsHeader(single);
    return { describe: single, tensors: new Map([...header.entries].map(([n, entry]) => [n, { file: single, entry }])) };
  }
  const index = join(dir, WEIGHTS_INDEX_NAME);
  if (await pathExists(index)) return { describe: index, tensors: await locateSharded(dir, index) };

  const torchFiles = ["pytorch_model.bin", "pytorch_model.bin.index.json"];
  const found = [];
  for (const f of torchFiles) if (await pathExists(join(dir, f))) found.push(f);
  if (found.length > 0) {
    throw new DataError(
      single,
      `is missing: the directory holds only ${found.join(" / ")}, and hybrid-ir reads safetensors only. Convert it with\n` +
        `  ${safetensorsConversionCommand(dir, "transformers")}`,
    );
  }
  throw new DataError(single, `is missing (and there is no ${WEIGHTS_INDEX_NAME}): not a Hugging Face model directory?`);
}

async function locateSharded(dir: string, index: string): Promise<Map<string, Located>> {
  const json = await readJsonFile(index);
  const weightMap = typeof json === "object" && json !== null ? (json as Record<string, unknown>).weight_map : undefined;
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw new DataError(index, "weight_map is missing or not an object");
  }
  const listed = new Map<string, Set<string>>();
  for (const [name, shard] of Object.entries(weightMap)) {
    // Shards sit beside the index; anything else would let an index reach outside the model.
    if (typeof shard !== "string" || shard !== basename(shard) || shard === "." || shard === "..") {
      throw new DataError(index, `weight_map['${name}'] = ${JSON.stringify(shard)} is not a file name in the same directory`);
    }
    if (!listed.has(shard)) listed.set(shard, new Set());
    listed.get(shard)!.add(name);
  }
  const tensors = new Map<string, Located>();
  for (const [shard, names] of listed) {
    const file = join(dir, shard);
    const header = await readSafetensorsHeader(file);
    for (const name of names) {
      if (!header.entries.has(name)) throw new DataError(file, `does not hold '${name}', which ${WEIGHTS_INDEX_NAME} places there`);
    }
    for (const [name, entry] of header.entries) {
      const seen = tensors.get(name);
      if (seen) throw new DataError(file, `holds '${name}', which ${basename(seen.file)} holds too`);
      tensors.set(name, { file, entry });
    }
  }
  return tensors;
}

/** The prefix to strip: one that every encoder-looking key carries, or "" for a bare checkpoint. */
function detectPrefix(names: readonly string[]): string {
  if (names.some((n) => ENCODER_KEY.test(n))) return "";
  for (const prefix of MODEL_PREFIXES) {
    if (names.some((n) => n.startsWith(prefix) && ENCODER_KEY.test(n.slice(prefix.length)))) return prefix;
  }
  return "";
}

function listSome(items: readonly string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(", ");
  return items.length > LIST_LIMIT ? `${shown}, … and ${items.length - LIST_LIMIT} more` : shown;
}

const shapeText = (s: readonly number[]) => `[${s.join(", ")}]`;

/**
 * Reads the encoder weights of a Hugging Face model directory, with bare-model names.
 *
 * A `bert.` / `roberta.` / `model.` prefix is stripped when all encoder weights carry it; the
 * pooler, `lm_head.*` / `cls.*` heads and the buffers in IGNORED_WEIGHTS are dropped unread. Any
 * missing, unexpected or mis-shaped weight fails the whole read with one DataError listing them all.
 */
export async function readEncoderWeights(dir: string, config: EncoderConfig): Promise<WeightMap> {
  const { describe, tensors } = await locate(dir);
  const prefix = detectPrefix([...tensors.keys()]);
  const bare = (name: string) => (prefix !== "" && name.startsWith(prefix) ? name.slice(prefix.length) : name);

  const spec = new Map(encoderWeightSpec(config).map((w) => [w.name, w.shape]));
  const wanted = new Map<string, string>(); // bare name → stored name
  const unexpected: string[] = [];
  const misShaped: string[] = [];
  for (const [stored, { entry }] of tensors) {
    const name = bare(stored);
    const shape = spec.get(name);
    if (shape === undefined) {
      const ignored = IGNORED_WEIGHTS.some((r) => r.test(name)) || HEAD_WEIGHTS.some((r) => r.test(stored));
      if (!ignored) unexpected.push(stored);
      continue;
    }
    if (wanted.has(name)) {
      unexpected.push(stored);
    } else if (shapeText(entry.shape) !== shapeText(shape)) {
      misShaped.push(`${stored} ${shapeText(entry.shape)} (expected ${shapeText(shape)})`);
    } else if (!["F32", "F16", "BF16", "F64"].includes(entry.dtype)) {
      misShaped.push(`${stored} has dtype ${entry.dtype} (expected a float type)`);
    }
    wanted.set(name, stored);
  }
  const missing = [...spec.keys()].filter((n) => !wanted.has(n));
  if (missing.length + unexpected.length + misShaped.length > 0) {
    const parts = [
      missing.length ? `${missing.length} missing: ${listSome(missing)}` : "",
      unexpected.length ? `${unexpected.length} unexpected: ${listSome(unexpected)}` : "",
      misShaped.length ? `${misShaped.length} mis-shaped: ${listSome(misShaped)}` : "",
    ].filter((p) => p !== "");
    const c = config;
    throw new DataError(
      describe,
      `weights do not match config (${c.modelType}, ${c.numLayers} layers, hidden ${c.hiddenSize}, vocab ${c.vocabSize})` +
        (prefix ? ` after stripping the '${prefix}' prefix` : "") +
        `:\n  ${parts.join("\n  ")}`,
    );
  }

  const byFile = new Map<string, Set<string>>();
  for (const stored of wanted.values()) {
    const { file } = tensors.get(stored)!;
    if (!byFile.has(file)) byFile.set(file, new Set());
    byFile.get(file)!.add(stored);
  }
  const out = new Map<string, NamedTensor>();
  for (const [file, names] of byFile) {
    const { tensors: read } = await readSafetensors(file, { select: (n) => names.has(n) });
    for (const [stored, t] of read) out.set(bare(stored), t);
  }
  // Spec order, so iteration order does not depend on how the file happened to be laid out.
  return new Map([...spec.keys()].map((n) => [n, out.get(n)!]));
}

/**
 * Writes `<dir>/model.safetensors` with bare names (no prefix), as sentence-transformers saves
 * its AutoModel, so both transformers and sentence-transformers load it.
 */
export async function writeEncoderWeights(dir: string, weights: WeightMap): Promise<void> {
  await writeSafetensors(join(dir, WEIGHTS_NAME), weights);
}
