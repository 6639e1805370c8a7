/**
 * The sentence-transformers pipeline around the encoder (Transformer → Pooling → Dense? →
 * Normalize?) as plain data, read from and written to the folder layout sentence-transformers
 * uses, so a model trained here loads with `SentenceTransformer(dir)` and vice versa.
 */
import { mkdir } from "node:fs/promises";
import { join, normalize as normalizePath, isAbsolute } from "node:path";
import { DataError } from "../util/errors.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { safetensorsConversionCommand } from "./checkpoint.js";
import { readEncoderConfig } from "./config.js";
import { isPlainObject, readJsonFile } from "../util/json-fields.js";
import { readSafetensors, writeSafetensors } from "./safetensors.js";
import type { NamedTensor } from "./types.js";
import { pathExists } from "../util/fs.js";

export type PoolingMode = "cls" | "mean" | "max";
export type DenseActivation = "tanh" | "identity";

export interface DenseSpec {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: DenseActivation;
  /** [out, in], torch Linear layout. */
  readonly weight: NamedTensor;
  /** [out]; absent when the layer has no bias. */
  readonly bias?: NamedTensor;
}

/**
 * What turns token embeddings into a sentence embedding. sentence-transformers/LaBSE:
 *
 * @example
 * const labse: SentenceModelSpec = {
 *   transformerPath: "",
 *   maxSeqLength: 256,
 *   doLowerCase: false,
 *   pooling: { mode: "cls", dim: 768 },
 *   dense: { inFeatures: 768, outFeatures: 768, activation: "tanh", weight, bias },
 *   normalize: true,
 * };
 */
export interface SentenceModelSpec {
  /** Folder of the encoder (config.json, model.safetensors) relative to the model directory: "" or e.g. "0_Transformer". */
  readonly transformerPath: string;
  /** Truncation length from sentence_bert_config.json; absent when the model does not set one. */
  readonly maxSeqLength?: number;
  readonly doLowerCase?: boolean;
  /** `dim` is the token embedding width (the encoder's hidden size). */
  readonly pooling: { readonly mode: PoolingMode; readonly dim: number };
  readonly dense?: DenseSpec;
  /** L2-normalise the final embedding. */
  readonly normalize: boolean;
  /**
   * True when the directory has no modules.json and this spec is what sentence-transformers
   * assumes for a bare Hugging Face model (mean pooling, nothing after it).
   */
  readonly inferred?: boolean;
}

/**
 * Extra content of config_sentence_transformers.json.
 *
 * @example
 * await writeSentenceModelSpec(dir, spec, { prompts: { query: "query: " }, similarityFnName: "cosine" });
 */
export interface WriteSentenceModelOptions {
  /** Named prompts prepended to inputs (`encode(..., prompt_name)`); none by default. */
  readonly prompts?: Readonly<Record<string, string>>;
  readonly defaultPromptName?: string | null;
  /** null lets sentence-transformers use its default (cosine). */
  readonly similarityFnName?: "cosine" | "dot" | "euclidean" | "manhattan" | null;
}

export const MODULES_NAME = "modules.json";

/** Library versions recorded in config_sentence_transformers.json: the ones whose layout this writes. */
const WRITTEN_BY = { sentence_transformers: "3.0.1", transformers: "4.41.2", pytorch: "2.3.0" } as const;

const ACTIVATIONS: Readonly<Record<string, DenseActivation>> = {
  "torch.nn.modules.activation.Tanh": "tanh",
  "torch.nn.Tanh": "tanh",
  "torch.nn.modules.linear.Identity": "identity",
  "torch.nn.Identity": "identity",
};
const ACTIVATION_NAME: Readonly<Record<DenseActivation, string>> = {
  tanh: "torch.nn.modules.activation.Tanh",
  identity: "torch.nn.modules.linear.Identity",
};

/** Pooling config keys in the order sentence-transformers writes them, with its constructor's defaults. */
const POOLING_FLAGS = [
  ["pooling_mode_cls_token", "cls", false],
  ["pooling_mode_mean_tokens", "mean", true],
  ["pooling_mode_max_tokens", "max", false],
  ["pooling_mode_mean_sqrt_len_tokens", "mean_sqrt_len_tokens", false],
  ["pooling_mode_weightedmean_tokens", "weightedmean", false],
  ["pooling_mode_lasttoken", "lasttoken", false],
] as const;
const SUPPORTED_POOLING: readonly string[] = ["cls", "mean", "max"];

/** Where the Transformer module keeps its settings; older releases named the file per model type. */
const TRANSFORMER_CONFIG_NAMES = [
  "sentence_bert_config.json",
  "sentence_roberta_config.json",
  "sentence_distilbert_config.json",
  "sentence_camembert_config.json",
  "sentence_albert_config.json",
  "sentence_xlm-roberta_config.json",
  "sentence_xlnet_config.json",
];

type ModuleKind = "Transformer" | "Pooling" | "Dense" | "Normalize";
// sentence-transformers has moved its module classes between packages; the class name is what counts.
const MODULE_TYPE = /^sentence_transformers\.(?:[A-Za-z_]+\.)*models\.(Transformer|Pooling|Dense|Normalize)$/;


function isPositiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v > 0;
}

interface ModuleEntry {
  readonly kind: ModuleKind;
  readonly path: string;
}

function parseModules(json: unknown, file: string): ModuleEntry[] {
  if (!Array.isArray(json)) throw new DataError(file, "must hold a JSON list of modules");
  const modules = json.map((m, i): ModuleEntry => {
    if (!isPlainObject(m) || typeof m.type !== "string" || typeof m.path !== "string") {
      throw new DataError(file, `module ${i} needs string "type" and "path"`);
    }
    const kind = MODULE_TYPE.exec(m.type)?.[1] as ModuleKind | undefined;
    if (kind === undefined) {
      throw new DataError(
        file,
        `module ${i} has type '${m.type}', which is not supported (supported: sentence_transformers.models.Transformer, Pooling, Dense, Normalize)`,
      );
    }
    const path = m.path === "" ? "" : normalizePath(m.path);
    if (isAbsolute(path) || path.startsWith("..")) throw new DataError(file, `module ${i} path '${m.path}' leaves the model directory`);
    return { kind, path };
  });
  const kinds = modules.map((m) => m.kind);
  // The one pipeline the encoder implements; anything else would embed differently.
  if (!/^Transformer Pooling( Dense)?( Normalize)?$/.test(kinds.join(" "))) {
    throw new DataError(file, `modules ${kinds.join(" → ") || "(none)"} are not supported: expected Transformer → Pooling → Dense? → Normalize?`);
  }
  return modules;
}

async function readTransformerSettings(dir: string): Promise<{ maxSeqLength?: number; doLowerCase?: boolean }> {
  for (const name of TRANSFORMER_CONFIG_NAMES) {
    const file = join(dir, name);
    if (!(await pathExists(file))) continue;
    const json = await readJsonFile(file);
    if (!isPlainObject(json)) throw new DataError(file, "must hold a JSON object");
    const { max_seq_length: max, do_lower_case: lower } = json;
    if (max !== undefined && max !== null && !isPositiveInt(max)) {
      throw new DataError(file, `max_seq_length must be a positive integer or null, got ${JSON.stringify(max)}`);
    }
    if (lower !== undefined && typeof lower !== "boolean") throw new DataError(file, `do_lower_case must be a boolean, got ${JSON.stringify(lower)}`);
    return { ...(isPositiveInt(max) ? { maxSeqLength: max } : {}), ...(lower !== undefined ? { doLowerCase: lower } : {}) };
  }
  return {};
}

async function readPooling(dir: string): Promise<SentenceModelSpec["pooling"]> {
  const file = join(dir, "config.json");
  const json = await readJsonFile(file);
  if (!isPlainObject(json)) throw new DataError(file, "must hold a JSON object");
  const dim = json.word_embedding_dimension;
  if (!isPositiveInt(dim)) throw new DataError(file, `word_embedding_dimension must be a positive integer, got ${JSON.stringify(dim)}`);
  let modes: string[];
  if (typeof json.pooling_mode === "string") {
    // sentence-transformers lets a pooling_mode string override the flags.
    modes = [json.pooling_mode.toLowerCase()];
  } else {
    modes = POOLING_FLAGS.filter(([key, , fallback]) => (json[key] ?? fallback) === true).map(([, mode]) => mode);
  }
  if (modes.length !== 1 || !SUPPORTED_POOLING.includes(modes[0])) {
    throw new DataError(
      file,
      `pooling ${modes.join(" + ") || "(none)"} (module listed in ${MODULES_NAME}) is not supported: exactly one of ${SUPPORTED_POOLING.join(", ")}`,
    );
  }
  if (json.include_prompt === false) {
    throw new DataError(file, "include_prompt: false (pooling that skips prompt tokens) is not supported");
  }
  return { mode: modes[0] as PoolingMode, dim };
}

async function readDense(modelDir: string, path: string, poolingDim: number): Promise<DenseSpec> {
  const dir = join(modelDir, path);
  const file = join(dir, "config.json");
  const json = await readJsonFile(file);
  if (!isPlainObject(json)) throw new DataError(file, "must hold a JSON object");
  const { in_features: inF, out_features: outF, activation_function: act } = json;
  const bias = json.bias ?? true;
  if (!isPositiveInt(inF) || !isPositiveInt(outF)) {
    throw new DataError(file, `in_features and out_features must be positive integers, got ${JSON.stringify(inF)}, ${JSON.stringify(outF)}`);
  }
  if (inF !== poolingDim) throw new DataError(file, `in_features ${inF} does not match the pooling output dimension ${poolingDim}`);
  if (typeof bias !== "boolean") throw new DataError(file, `bias must be a boolean, got ${JSON.stringify(bias)}`);
  const activation = typeof act === "string" ? ACTIVATIONS[act] : undefined;
  if (activation === undefined) {
    throw new DataError(file, `activation_function ${JSON.stringify(act)} is not supported (supported: ${Object.values(ACTIVATION_NAME).join(", ")})`);
  }
  for (const key of ["module_input_name", "module_output_name"]) {
    const v = json[key];
    if (v !== undefined && v !== null && v !== "sentence_embedding") {
      throw new DataError(file, `${key} '${String(v)}' is not supported: the dense layer must act on the sentence embedding`);
    }
  }

  const weights = join(dir, "model.safetensors");
  if (!(await pathExists(weights)) && (await pathExists(join(dir, "pytorch_model.bin")))) {
    throw new DataError(
      weights,
      `is missing: the Dense module ships only pytorch_model.bin, and hybrid-ir reads safetensors only. Convert the model with\n` +
        `  ${safetensorsConversionCommand(modelDir, "sentence-transformers")}`,
    );
  }
  const { tensors, skipped } = await readSafetensors(weights);
  const expected = new Map<string, number[]>([["linear.weight", [outF, inF]]]);
  if (bias) expected.set("linear.bias", [outF]);
  const problems: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing ${name}`);
    else if (t.shape.join(",") !== shape.join(",")) problems.push(`${name} has shape [${t.shape.join(", ")}], expected [${shape.join(", ")}]`);
  }
  for (const name of [...tensors.keys(), ...skipped.map((s) => s.name)]) if (!expected.has(name)) problems.push(`unexpected ${name}`);
  if (problems.length > 0) throw new DataError(weights, `does not match ${file}: ${problems.join("; ")}`);
  const biasTensor = tensors.get("linear.bias");
  return {
    inFeatures: inF,
    outFeatures: outF,
    activation,
    weight: tensors.get("linear.weight")!,
    ...(biasTensor ? { bias: biasTensor } : {}),
  };
}

/**
 * Reads the sentence-transformers pipeline of a model directory. Without modules.json the
 * directory is a bare Hugging Face model, for which sentence-transformers (and so this) assumes
 * mean pooling over the encoder's hidden size and no dense or normalize step.
 */
export async function readSentenceModelSpec(dir: string): Promise<SentenceModelSpec> {
  const modulesFile = join(dir, MODULES_NAME);
  if (!(await pathExists(modulesFile))) {
    if (!(await pathExists(join(dir, "config.json")))) {
      throw new DataError(modulesFile, "is missing, and so is config.json: not a sentence-transformers or Hugging Face model directory");
    }
    const config = await readEncoderConfig(dir);
    return {
      transformerPath: "",
      ...(await readTransformerSettings(dir)),
      pooling: { mode: "mean", dim: config.hiddenSize },
      normalize: false,
      inferred: true,
    };
  }
  const modules = parseModules(await readJsonFile(modulesFile), modulesFile);
  const pathOf = (kind: ModuleKind) => modules.find((m) => m.kind === kind)?.path;
  const transformerPath = pathOf("Transformer")!;
  const pooling = await readPooling(join(dir, pathOf("Pooling")!));
  const densePath = pathOf("Dense");
  const dense = densePath === undefined ? undefined : await readDense(dir, densePath, pooling.dim);
  return {
    transformerPath,
    ...(await readTransformerSettings(join(dir, transformerPath))),
    pooling,
    ...(dense ? { dense } : {}),
    normalize: pathOf("Normalize") !== undefined,
    inferred: false,
  };
}

function checkSpec(spec: SentenceModelSpec): void {
  if (!isPositiveInt(spec.pooling.dim)) throw new Error(`pooling.dim must be a positive integer, got ${spec.pooling.dim}`);
  if (!SUPPORTED_POOLING.includes(spec.pooling.mode)) throw new Error(`pooling.mode '${spec.pooling.mode}' is not one of ${SUPPORTED_POOLING.join(", ")}`);
  const d = spec.dense;
  if (!d) return;
  if (d.inFeatures !== spec.pooling.dim) throw new Error(`dense.inFeatures ${d.inFeatures} ≠ pooling.dim ${spec.pooling.dim}`);
  if (d.weight.shape.join(",") !== `${d.outFeatures},${d.inFeatures}`) {
    throw new Error(`dense.weight has shape [${d.weight.shape.join(", ")}], expected [${d.outFeatures}, ${d.inFeatures}]`);
  }
  if (d.bias && d.bias.shape.join(",") !== `${d.outFeatures}`) {
    throw new Error(`dense.bias has shape [${d.bias.shape.join(", ")}], expected [${d.outFeatures}]`);
  }
}

const jsonText = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

/**
 * Writes the sentence-transformers files around an encoder: each module's folder, the root
 * configs, and modules.json last, so an interrupted write never leaves modules.json naming a
 * module that is not there. The encoder itself (config.json, model.safetensors, tokenizer) is
 * written separately into `transformerPath`. Module folders are named `<index>_<Type>` as
 * sentence-transformers names them (LaBSE: 1_Pooling, 2_Dense, 3_Normalize).
 */
export async function writeSentenceModelSpec(dir: string, spec: SentenceModelSpec, opts: WriteSentenceModelOptions = {}): Promise<void> {
  checkSpec(spec);
  const modules: Array<{ idx: number; name: string; path: string; type: string }> = [];
  const add = (kind: ModuleKind, path?: string) => {
    const idx = modules.length;
    const p = path ?? `${idx}_${kind}`;
    modules.push({ idx, name: String(idx), path: p, type: `sentence_transformers.models.${kind}` });
    return join(dir, p);
  };

  const transformerDir = add("Transformer", spec.transformerPath);
  await writeFileAtomic(
    join(transformerDir, "sentence_bert_config.json"),
    jsonText({ max_seq_length: spec.maxSeqLength ?? null, do_lower_case: spec.doLowerCase ?? false }),
  );

  const poolingConfig: Record<string, unknown> = { word_embedding_dimension: spec.pooling.dim };
  for (const [key, mode] of POOLING_FLAGS) poolingConfig[key] = mode === spec.pooling.mode;
  poolingConfig.include_prompt = true;
  await writeFileAtomic(join(add("Pooling"), "config.json"), jsonText(poolingConfig));

  if (spec.dense) {
    const d = spec.dense;
    const denseDir = add("Dense");
    await writeFileAtomic(
      join(denseDir, "config.json"),
      jsonText({ in_features: d.inFeatures, out_features: d.outFeatures, bias: d.bias !== undefined, activation_function: ACTIVATION_NAME[d.activation] }),
    );
    const tensors = new Map<string, NamedTensor>([["linear.weight", d.weight]]);
    if (d.bias) tensors.set("linear.bias", d.bias);
    await writeSafetensors(join(denseDir, "model.safetensors"), tensors);
  }
  // Normalize has no files; sentence-transformers still writes (and loads from) its folder.
  if (spec.normalize) await mkdir(add("Normalize"), { recursive: true });

  await writeFileAtomic(
    join(dir, "config_sentence_transformers.json"),
    jsonText({
      __version__: WRITTEN_BY,
      prompts: opts.prompts ?? {},
      default_prompt_name: opts.defaultPromptName ?? null,
      similarity_fn_name: opts.similarityFnName ?? null,
    }),
  );
  await writeFileAtomic(join(dir, MODULES_NAME), jsonText(modules));
}
