/**
 * A sentence-transformers model in tfjs: tokenizer → encoder → pooling → optional dense →
 * optional normalize. Loads Hugging Face and sentence-transformers directories (or hub ids) and
 * saves back to the sentence-transformers layout, so Python's `SentenceTransformer(dir)` loads
 * what this suite fine-tunes.
 */
import * as tf from "@tensorflow/tfjs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { readTokenizerJson, tokenizerFromJson } from "../tokenize/hf-tokenizer.js";
import type { TextTokenizer, TokenizerJson } from "../tokenize/types.js";
import { writeFileAtomic } from "../util/atomic-write.js";
import { readEncoderWeights, writeEncoderWeights } from "./checkpoint.js";
import { encoderConfigToJson, readEncoderConfig } from "./config.js";
import { Encoder, type EncoderOptions, type ForwardOptions } from "./encoder.js";
import { resolveModel, type ResolveModelOptions } from "./hub/index.js";
import { embedBatches } from "./embed-batches.js";
import { embedWorkers, withEmbedPool } from "./embed-pool.js";
import type { FrozenStates } from "./frozen-states.js";
import { encodeBatch, type EncodedBatch, type TextInput } from "./inputs.js";
import { clsPool, l2Normalize, meanPool } from "./pooling.js";
import { readSentenceModelSpec, type SentenceModelSpec, writeSentenceModelSpec } from "./st-layout.js";
import { WORD_EMBEDDINGS } from "./trim.js";
import { TrainingVocabulary } from "./training-vocabulary.js";
import type { EncoderConfig, NamedTensor, WeightMap } from "./types.js";

export interface EmbedOptions {
  readonly batchSize?: number;
  /** Tokens per input, specials included; default the model's max_seq_length. */
  readonly maxLength?: number;
  /** Prepended to each input's text (e.g. the paper's "Query: "). */
  readonly prefix?: string;
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * Worker threads to embed on (default `resolveThreads()`: $HYBRID_IR_THREADS, else the
   * available cores); 1 embeds on the calling thread. The batches, and so the embeddings, are
   * the same whatever the count.
   */
  readonly threads?: number;
  /** Stops the call: it rejects with the signal's reason and its workers are terminated. */
  readonly signal?: AbortSignal;
}

interface DenseLayer {
  /** [in, out] */
  readonly kernel: tf.Variable<tf.Rank.R2>;
  readonly bias?: tf.Variable<tf.Rank.R1>;
  readonly activation: "tanh" | "identity";
}

export interface SentenceEncoderParts {
  readonly config: EncoderConfig;
  readonly weights: WeightMap;
  readonly tokenizerJson: TokenizerJson;
  readonly spec: SentenceModelSpec;
  readonly encoderOptions?: EncoderOptions;
  /**
   * The encoder's word-embedding table is cut to these rows (`weights` holds the cut table; the
   * config keeps the whole vocabulary's size): see model/training-vocabulary.ts.
   */
  readonly vocabulary?: TrainingVocabulary;
}

let nextDense = 0;

export class SentenceEncoder {
  readonly config: EncoderConfig;
  readonly encoder: Encoder;
  readonly tokenizer: TextTokenizer;
  readonly tokenizerJson: TokenizerJson;
  readonly spec: SentenceModelSpec;
  private readonly dense: DenseLayer | undefined;
  private frozen: FrozenStates | null = null;
  /** The cut word-embedding table's rows and the rest of the table, when training on a cut one. */
  readonly trainingVocabulary: TrainingVocabulary | null;

  constructor(parts: SentenceEncoderParts) {
    if (parts.spec.pooling.mode === "max") throw new Error("max pooling is not supported (cls and mean are)");
    this.config = parts.config;
    this.spec = parts.spec;
    this.tokenizerJson = parts.tokenizerJson;
    this.tokenizer = tokenizerFromJson(parts.tokenizerJson, "tokenizer.json");
    if (this.tokenizer.vocabSize > parts.config.vocabSize) {
      throw new Error(`tokenizer has ${this.tokenizer.vocabSize} tokens but the model's vocabulary only ${parts.config.vocabSize}`);
    }
    this.trainingVocabulary = parts.vocabulary ?? null;
    if (this.trainingVocabulary !== null && this.trainingVocabulary.vocabSize !== parts.config.vocabSize) {
      throw new Error(`the training vocabulary cuts a table of ${this.trainingVocabulary.vocabSize} rows, the model's vocabulary has ${parts.config.vocabSize}`);
    }
    const vocabRows = this.trainingVocabulary?.rows;
    this.encoder = Encoder.fromWeights(parts.config, parts.weights, vocabRows === undefined ? parts.encoderOptions : { ...parts.encoderOptions, vocabRows });
    const d = parts.spec.dense;
    if (d) {
      const scope = `dense_${nextDense++}`;
      const kernel = tf.tidy(() => tf.tensor2d(d.weight.data, [d.outFeatures, d.inFeatures]).transpose());
      this.dense = {
        kernel: tf.variable(kernel as tf.Tensor2D, true, `${scope}/linear.weight`),
        bias: d.bias ? tf.variable(tf.tensor1d(d.bias.data), true, `${scope}/linear.bias`) : undefined,
        activation: d.activation,
      };
      kernel.dispose();
    }
  }

  /** Width of the sentence embedding. */
  get dim(): number {
    return this.spec.dense?.outFeatures ?? this.spec.pooling.dim;
  }

  get maxLength(): number {
    const positions = this.config.maxPositionEmbeddings - (this.config.family === "xlm-roberta" ? this.config.padTokenId + 1 : 0);
    return Math.min(this.spec.maxSeqLength ?? 512, positions);
  }

  /** The variables training updates: the encoder's trainable ones (`trainLayers`) and the dense layer's. */
  variables(): tf.Variable[] {
    const dense = this.dense ? [this.dense.kernel, ...(this.dense.bias ? [this.dense.bias] : [])] : [];
    return [...this.encoder.trainableVariables(), ...dense];
  }

  /**
   * A new model, with `encoderOptions`, that trains only the word-embedding rows of `used` (the
   * ids its inputs can hold; model/training-vocabulary.ts) and saves the whole table as training
   * it whole would. This model is left as it was.
   */
  cutVocabulary(used: Iterable<number>, encoderOptions: EncoderOptions = {}): SentenceEncoder {
    const parts = this.parts();
    const { vocabulary, trimmed } = TrainingVocabulary.cut(parts.weights.get(WORD_EMBEDDINGS)!, used);
    return new SentenceEncoder({ ...parts, weights: new Map(parts.weights).set(WORD_EMBEDDINGS, trimmed), encoderOptions, vocabulary });
  }

  /** The cache of the frozen part's outputs in use, if any. */
  get frozenStates(): FrozenStates | null {
    return this.frozen;
  }

  /**
   * From now on the frozen part's output comes from `states` (computed there once per input),
   * and only the layers above it run per call; null runs the whole encoder again. Embedding then
   * stays on this thread, where the cache is.
   */
  useFrozenStates(states: FrozenStates | null): void {
    if (states !== null && (states.frozenLayers !== this.encoder.frozenLayers || states.hidden !== this.config.hiddenSize)) {
      throw new Error(`frozen states of ${states.frozenLayers} layers × ${states.hidden} do not fit an encoder freezing ${this.encoder.frozenLayers} × ${this.config.hiddenSize}`);
    }
    this.frozen = states;
  }

  /** Token ids for a batch of inputs, padded to its longest row. */
  encodeInputs(inputs: readonly TextInput[], options: { maxLength?: number; prefix?: string } = {}): EncodedBatch {
    const lower = this.spec.doLowerCase === true;
    const prepared = lower ? inputs.map((i) => ({ text: i.text.toLowerCase(), context: i.context?.toLowerCase() })) : inputs;
    return encodeBatch(this.tokenizer, prepared, {
      maxLength: Math.min(options.maxLength ?? this.maxLength, this.maxLength),
      prefix: lower ? options.prefix?.toLowerCase() : options.prefix,
      padId: this.config.padTokenId,
    });
  }

  /** The encoder's last hidden state [batch, seq, hidden] for a tokenised batch. */
  hiddenStates(batch: EncodedBatch, opts: ForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const shape: [number, number] = [batch.batch, batch.seqLen];
      const frozen = this.frozen;
      if (frozen !== null) {
        return this.encoder.forwardFromFrozen(frozen.statesOf(batch, this.encoder), tf.tensor2d(batch.attentionMask, shape, "int32"), opts);
      }
      return this.encoder.forward(
        {
          inputIds: tf.tensor2d(batch.inputIds, shape, "int32"),
          attentionMask: tf.tensor2d(batch.attentionMask, shape, "int32"),
          tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, "int32"),
        },
        opts,
      );
    });
  }

  /** Sentence embeddings [batch, dim] of a tokenised batch; differentiable (training uses it). */
  forward(batch: EncodedBatch, opts: ForwardOptions = {}): tf.Tensor2D {
    return tf.tidy(() => this.forwardStages(batch, opts).embedding);
  }

  /**
   * What each sentence-transformers module after the encoder returns, for checking them one by
   * one against Python: the pooled hidden states, the dense layer's output (absent without one)
   * and the embedding (`forward`'s result). The caller disposes all three.
   */
  forwardStages(batch: EncodedBatch, opts: ForwardOptions = {}): { pooled: tf.Tensor2D; dense?: tf.Tensor2D; embedding: tf.Tensor2D } {
    return tf.tidy(() => {
      const hidden = this.hiddenStates(batch, opts);
      const mask = tf.tensor2d(batch.attentionMask, [batch.batch, batch.seqLen], "int32");
      const pooled = this.spec.pooling.mode === "cls" ? clsPool(hidden) : meanPool(hidden, mask);
      let dense: tf.Tensor2D | undefined;
      if (this.dense) {
        let y: tf.Tensor2D = tf.matMul(pooled, this.dense.kernel);
        if (this.dense.bias) y = tf.add(y, this.dense.bias);
        if (this.dense.activation === "tanh") y = tf.tanh(y);
        dense = y;
      }
      const x = dense ?? pooled;
      return { pooled, dense, embedding: this.spec.normalize ? l2Normalize(x) : x };
    });
  }

  /**
   * Embeds inputs in batches, longest first (as sentence-transformers does, so padding is
   * small), and returns them in input order: [inputs.length × dim] row-major. With more than one
   * thread the batches go to worker threads (`embed-pool.ts`), unchanged, so the result is the
   * same bit for bit.
   */
  async embed(inputs: readonly TextInput[], options: EmbedOptions = {}): Promise<Float32Array> {
    const batches = embedBatches(inputs, options.batchSize ?? 32);
    return withEmbedPool(this, embedWorkers(batches.length, options.threads), async (pool) => {
      if (pool) return pool.embed(inputs, options);
      const out = new Float32Array(inputs.length * this.dim);
      let done = 0;
      for (const idx of batches) {
        options.signal?.throwIfAborted();
        const batch = this.encodeInputs(
          idx.map((i) => inputs[i]),
          options,
        );
        const emb = this.forward(batch);
        const data = (await emb.data()) as Float32Array;
        emb.dispose();
        idx.forEach((i, row) => out.set(data.subarray(row * this.dim, (row + 1) * this.dim), i * this.dim));
        done += idx.length;
        options.onProgress?.(done, inputs.length);
      }
      return out;
    });
  }

  /** What rebuilds this model elsewhere (a worker thread): its current weights (the whole table), tokenizer and modules. */
  parts(): SentenceEncoderParts {
    return { config: this.config, weights: this.encoderWeights(), tokenizerJson: this.tokenizerJson, spec: { ...this.spec, dense: this.denseSpec() } };
  }

  /** The encoder's current weights, with the whole word-embedding table also when training on a cut one. */
  private encoderWeights(): WeightMap {
    const weights = this.encoder.exportWeights();
    const vocabulary = this.trainingVocabulary;
    if (vocabulary !== null) weights.set(WORD_EMBEDDINGS, vocabulary.expand(weights.get(WORD_EMBEDDINGS)!));
    return weights;
  }

  /** Current weights of the optional dense layer, torch layout. */
  private denseSpec(): SentenceModelSpec["dense"] {
    const d = this.spec.dense;
    if (!d || !this.dense) return d;
    const weight: NamedTensor = {
      shape: [d.outFeatures, d.inFeatures],
      data: Float32Array.from(tf.tidy(() => this.dense!.kernel.transpose()).dataSync() as Float32Array),
    };
    const bias = this.dense.bias ? { shape: [d.outFeatures], data: Float32Array.from(this.dense.bias.dataSync() as Float32Array) } : undefined;
    return { ...d, weight, bias };
  }

  /**
   * Saves in the sentence-transformers layout: the encoder (config.json, model.safetensors,
   * tokenizer files) at the root, then the pooling / dense / normalize modules.
   */
  async save(dir: string): Promise<void> {
    const root = join(dir, this.spec.transformerPath);
    await mkdir(root, { recursive: true });
    await writeFileAtomic(join(root, "config.json"), JSON.stringify(encoderConfigToJson(this.config), null, 2) + "\n");
    await writeEncoderWeights(root, this.encoderWeights());
    await writeFileAtomic(join(root, "tokenizer.json"), JSON.stringify(pythonLoadableTokenizer(this.tokenizerJson)));
    await writeFileAtomic(join(root, "tokenizer_config.json"), JSON.stringify(tokenizerConfig(this.config, this.maxLength), null, 2) + "\n");
    await writeSentenceModelSpec(dir, { ...this.spec, maxSeqLength: this.spec.maxSeqLength ?? this.maxLength, dense: this.denseSpec(), inferred: undefined });
  }

  dispose(): void {
    this.encoder.dispose();
    this.dense?.kernel.dispose();
    this.dense?.bias?.dispose();
  }
}

/**
 * The Rust tokenizers library refuses a `Precompiled` normalizer without its charsmap, which
 * tokenizer.json files built before the vendored XLM-R tokenizer carried its real charsmap lack
 * (see data/tokenizers/xlm-roberta-base/README.md); NFKC is the nearest thing it accepts, so
 * saved copies of them stay loadable in Python. A real charsmap is saved as it is.
 */
export function pythonLoadableTokenizer(json: TokenizerJson): TokenizerJson {
  const fix = (n: unknown): unknown => {
    if (!n || typeof n !== "object") return n;
    const node = n as { type?: string; precompiled_charsmap?: string; normalizers?: unknown[] };
    if (node.type === "Precompiled" && !node.precompiled_charsmap) return { type: "NFKC" };
    if (node.type === "Sequence" && Array.isArray(node.normalizers)) return { ...node, normalizers: node.normalizers.map(fix) };
    return n;
  };
  return { ...json, normalizer: fix(json.normalizer) };
}

/** What `AutoTokenizer.from_pretrained` needs beside tokenizer.json to pick the fast class. */
function tokenizerConfig(config: EncoderConfig, maxLength: number): Record<string, unknown> {
  return config.family === "bert"
    ? { tokenizer_class: "BertTokenizer", model_max_length: maxLength, do_lower_case: false, clean_up_tokenization_spaces: false }
    : { tokenizer_class: "XLMRobertaTokenizer", model_max_length: maxLength, clean_up_tokenization_spaces: false };
}

export interface LoadSentenceEncoderOptions {
  readonly hub?: ResolveModelOptions;
  readonly encoder?: EncoderOptions;
}

/** Loads a local directory or a hub id (downloaded into the Hugging Face cache). */
export async function loadSentenceEncoder(ref: string, options: LoadSentenceEncoderOptions = {}): Promise<SentenceEncoder> {
  const dir = await resolveModel(ref, options.hub);
  const spec = await readSentenceModelSpec(dir);
  const root = join(dir, spec.transformerPath);
  const config = await readEncoderConfig(root);
  const weights = await readEncoderWeights(root, config);
  const tokenizerJson = await readTokenizerJson(join(root, "tokenizer.json"));
  return new SentenceEncoder({ config, weights, tokenizerJson, spec, encoderOptions: options.encoder });
}
