/**
 * The BERT-family transformer encoder (BertModel / XLMRobertaModel without pooler) in tfjs: one
 * implementation; what differs between families is the row of `FAMILIES`.
 *
 * Activations stay 2-D, [batch·seq, hidden], between layers so that every projection is a plain
 * 2-D matMul (XNNPACK's fast path on wasm); only attention reshapes to [batch·heads, seq, head].
 */
import * as tf from "@tensorflow/tfjs";
import { dropoutMask } from "./dropout.js";
import type { EncoderConfig, ModelFamily, NamedTensor, WeightMap } from "./types.js";
import { IGNORED_WEIGHTS, encoderWeightSpec } from "./weight-spec.js";
import { WORD_EMBEDDINGS } from "./trim.js";

/** What differs between the families this encoder implements. */
interface FamilySpec {
  /** Position ids, int32 [batch, seq]. */
  readonly positionIds: (inputIds: tf.Tensor2D, config: EncoderConfig) => tf.Tensor2D;
  /** Largest sequence length the position table covers. */
  readonly maxSeqLen: (config: EncoderConfig) => number;
  /** Whether caller-given token type ids are used (otherwise every token has type 0). */
  readonly tokenTypes: boolean;
}

const FAMILIES: Readonly<Record<ModelFamily, FamilySpec>> = {
  bert: {
    positionIds: (inputIds) => {
      const [batch, seq] = inputIds.shape;
      return tf.tile(tf.range(0, seq, 1, "int32").expandDims<tf.Tensor2D>(0), [batch, 1]);
    },
    maxSeqLen: (c) => c.maxPositionEmbeddings,
    tokenTypes: true,
  },
  "xlm-roberta": {
    // transformers' create_position_ids_from_input_ids: real tokens count from padding_idx + 1,
    // padding keeps padding_idx. The mask comes from the ids, not the attention mask, as there.
    positionIds: (inputIds, c) => {
      const real = tf.cast(tf.notEqual(inputIds, c.padTokenId), "int32");
      // An int32 scalar: a plain number would promote the ids to float32.
      return tf.add(tf.mul(tf.cumsum(real, 1), real), tf.scalar(c.padTokenId, "int32"));
    },
    maxSeqLen: (c) => c.maxPositionEmbeddings - c.padTokenId - 1,
    tokenTypes: false,
  },
};

/** Options of `Encoder.fromWeights`. */
export interface EncoderOptions {
  /**
   * Dropout rate after the embeddings and after each attention / feed-forward output (BERT's
   * hidden_dropout_prob), applied only by `forward(…, { training: true })`. Default 0.
   */
  readonly dropout?: number;
  /** Dropout rate on attention probabilities (attention_probs_dropout_prob). Default `dropout`. */
  readonly attentionDropout?: number;
  /**
   * Prefix of the tf.Variable names (`<scope>/<HF name>`). tfjs keeps one engine-wide registry of
   * variable names, so two live encoders need different scopes. Default `encoder_<n>`, unique.
   */
  readonly scope?: string;
  /**
   * Train only the top N transformer layers: the embeddings and the layers below stay as loaded
   * (`trainableVariables()` leaves them out, and `bottom` computes their output without dropout,
   * so it can be cached: model/frozen-states.ts). Default: every layer and the embeddings.
   */
  readonly trainLayers?: number;
  /**
   * The token ids (ascending, each below the config's vocabSize) whose rows the word-embedding
   * table holds: `fromWeights` then takes a [vocabRows.length, hidden] table, and inputs may use
   * only these ids (model/training-vocabulary.ts). Default: the whole vocabulary.
   */
  readonly vocabRows?: Int32Array;
}

/** Encoder inputs, all [batch, seq]. */
export interface EncoderInputs {
  /** int32 token ids. */
  readonly inputIds: tf.Tensor2D;
  /** 1 for real tokens, 0 for padding (any numeric dtype). */
  readonly attentionMask: tf.Tensor2D;
  /** int32 segment ids; default zeros. Ignored by families with a single token type (XLM-R). */
  readonly tokenTypeIds?: tf.Tensor2D;
}

export interface ForwardOptions {
  /** Applies dropout (when its rate is above 0). Default false. */
  readonly training?: boolean;
  /**
   * Seeds this call's dropout masks, so a training run repeats exactly when the caller passes e.g.
   * a hash of (run seed, step). Default: a fresh random seed per call. Masks are drawn per
   * example and token (src/model/dropout.ts): a row gets the same mask whichever rows share its
   * call and however far it is padded.
   */
  readonly seed?: number;
  /** Index of this call's first row in the whole batch, when a batch is run in chunks. Default 0. */
  readonly rowOffset?: number;
}

interface Linear {
  /** [in, out]: transposed from torch's [out, in] once at load so forward needs no transpose. */
  readonly kernel: tf.Variable<tf.Rank.R2>;
  readonly bias: tf.Variable<tf.Rank.R1>;
}

interface Norm {
  readonly gamma: tf.Variable<tf.Rank.R1>;
  readonly beta: tf.Variable<tf.Rank.R1>;
}

interface Layer {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly attentionOutput: Linear;
  readonly attentionNorm: Norm;
  readonly intermediate: Linear;
  readonly output: Linear;
  readonly outputNorm: Norm;
}

let nextScope = 0;

/** Torch Linear weights ([out, in]) are every 2-D weight outside the embedding tables. */
function isLinearWeight(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && !name.startsWith("embeddings.");
}

function checkRate(name: string, rate: number): void {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`${name}: ${rate} is not in [0, 1)`);
}

/** Token id → position in `rows` (-1 where absent); `rows` must ascend strictly within [0, vocabSize). */
function rowIndex(rows: Int32Array, vocabSize: number): Int32Array {
  const out = new Int32Array(vocabSize).fill(-1);
  rows.forEach((id, i) => {
    if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new RangeError(`vocabRows: token id ${id} is outside the vocabulary of ${vocabSize}`);
    if (i > 0 && id <= rows[i - 1]) throw new RangeError(`vocabRows: ids must ascend (${rows[i - 1]} then ${id})`);
    out[id] = i;
  });
  return out;
}

/** torch.finfo(torch.float32).min, what transformers adds to the scores of padded keys. */
const FLOAT32_MIN = -3.4028234663852886e38;

export class Encoder {
  /** Variables by Hugging Face name, in `encoderWeightSpec` order. */
  private readonly vars: Map<string, tf.Variable>;
  private readonly layers: Layer[];
  private readonly family: FamilySpec;
  private readonly dropout: number;
  private readonly attentionDropout: number;
  /** With `trainLayers`: the embeddings and layers [0, frozenLayers) are not trained; null: all are. */
  readonly frozenLayers: number | null;
  /** With `vocabRows`: token id → row of the table, -1 for an id it does not hold (JS copy, to check inputs). */
  private readonly rowOf: Int32Array | null;
  /** The same map as an int32 tensor, for the lookup inside the graph. */
  private readonly rowOfTensor: tf.Tensor1D | null;
  private disposed = false;

  private constructor(
    readonly config: EncoderConfig,
    vars: Map<string, tf.Variable>,
    options: EncoderOptions,
    readonly scope: string,
  ) {
    this.vars = vars;
    this.family = FAMILIES[config.family];
    // Validated by fromWeights.
    this.dropout = options.dropout ?? 0;
    this.attentionDropout = options.attentionDropout ?? this.dropout;
    this.frozenLayers = options.trainLayers === undefined ? null : config.numLayers - options.trainLayers;
    this.rowOf = options.vocabRows === undefined ? null : rowIndex(options.vocabRows, config.vocabSize);
    this.rowOfTensor = this.rowOf === null ? null : tf.tensor1d(this.rowOf, "int32");
    const linear = (name: string): Linear => ({
      kernel: this.variable(`${name}.weight`) as tf.Variable<tf.Rank.R2>,
      bias: this.variable(`${name}.bias`) as tf.Variable<tf.Rank.R1>,
    });
    const norm = (name: string) => this.norm(name);
    this.layers = Array.from({ length: config.numLayers }, (_, i) => {
      const p = `encoder.layer.${i}`;
      return {
        query: linear(`${p}.attention.self.query`),
        key: linear(`${p}.attention.self.key`),
        value: linear(`${p}.attention.self.value`),
        attentionOutput: linear(`${p}.attention.output.dense`),
        attentionNorm: norm(`${p}.attention.output.LayerNorm`),
        intermediate: linear(`${p}.intermediate.dense`),
        output: linear(`${p}.output.dense`),
        outputNorm: norm(`${p}.output.LayerNorm`),
      };
    });
  }

  /**
   * Builds the encoder's variables, on the active backend, from checkpoint weights keyed by
   * Hugging Face names. Every weight of `encoderWeightSpec(config)` must be present with its
   * shape; names in `IGNORED_WEIGHTS` are skipped; any other name is an error (a wrong family or
   * prefix shows up here rather than as silently random weights).
   *
   * @example
   * const config = await readEncoderConfig(dir);
   * const encoder = Encoder.fromWeights(config, await readEncoderWeights(dir, config));
   * const hidden = encoder.forward({ inputIds, attentionMask }); // [batch, seq, hidden]
   */
  static fromWeights(config: EncoderConfig, weights: WeightMap, options: EncoderOptions = {}): Encoder {
    if (FAMILIES[config.family] === undefined) {
      throw new Error(`family '${config.family}' is not one of: ${Object.keys(FAMILIES).join(", ")}`);
    }
    if (config.hiddenSize % config.numHeads !== 0) {
      throw new Error(`hiddenSize ${config.hiddenSize} is not a multiple of numHeads ${config.numHeads}`);
    }
    if (config.hiddenAct !== "gelu") throw new Error(`hiddenAct '${String(config.hiddenAct)}' is not supported (only "gelu")`);
    checkRate("dropout", options.dropout ?? 0);
    checkRate("attentionDropout", options.attentionDropout ?? options.dropout ?? 0);
    const { trainLayers } = options;
    if (trainLayers !== undefined && !(Number.isInteger(trainLayers) && trainLayers >= 1 && trainLayers <= config.numLayers)) {
      throw new RangeError(`trainLayers: ${trainLayers} is not a whole number from 1 to the model's ${config.numLayers} layers`);
    }
    const { vocabRows } = options;
    if (vocabRows !== undefined) rowIndex(vocabRows, config.vocabSize); // throws on a bad list
    const spec = encoderWeightSpec(config).map((s) =>
      vocabRows !== undefined && s.name === WORD_EMBEDDINGS ? { ...s, shape: [vocabRows.length, s.shape[1]] } : s,
    );
    const expected = new Set(spec.map((s) => s.name));
    for (const name of weights.keys()) {
      if (!expected.has(name) && !IGNORED_WEIGHTS.some((re) => re.test(name))) {
        throw new Error(`unexpected weight '${name}' (not in the ${config.family} encoder's weight spec)`);
      }
    }
    const scope = options.scope ?? `encoder_${nextScope++}`;
    const vars = new Map<string, tf.Variable>();
    try {
      for (const { name, shape } of spec) {
        const w = weights.get(name);
        if (w === undefined) throw new Error(`missing weight '${name}' [${shape.join(", ")}]`);
        if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
          throw new Error(`weight '${name}' has shape [${w.shape.join(", ")}], expected [${shape.join(", ")}]`);
        }
        if (w.data.length !== shape.reduce((p, d) => p * d, 1)) {
          throw new Error(`weight '${name}' has ${w.data.length} values for shape [${shape.join(", ")}]`);
        }
        const initial = tf.tidy(() => {
          const t = tf.tensor(w.data, [...shape], "float32");
          return isLinearWeight(name, shape) ? t.transpose() : t;
        });
        vars.set(name, tf.variable(initial, true, `${scope}/${name}`));
        initial.dispose();
      }
    } catch (error) {
      for (const v of vars.values()) v.dispose();
      throw error;
    }
    return new Encoder(config, vars, options, scope);
  }

  /**
   * Last hidden state, [batch, seq, hidden]. Padded positions get values too (as in
   * transformers); pooling must mask them.
   */
  forward(inputs: EncoderInputs, opts: ForwardOptions = {}): tf.Tensor3D {
    this.checkLive();
    this.checkInputs(inputs);
    return tf.tidy(() => {
      const drop = this.dropper(inputs.inputIds.shape, opts);
      const x = drop(this.embed(inputs), this.dropout) as tf.Tensor2D;
      return this.runLayers(x, inputs.attentionMask, 0, opts.training ?? false, drop);
    });
  }

  /**
   * The frozen part's output for `inputs`: embeddings and the first `frozenLayers` layers, without
   * dropout, [batch·seq, hidden]. A real token's row does not depend on how far its sequence is
   * padded, which is what lets `model/frozen-states.ts` cache it per text.
   */
  bottom(inputs: EncoderInputs): tf.Tensor2D {
    this.checkLive();
    this.checkInputs(inputs);
    return tf.tidy(() => {
      const drop = this.dropper(inputs.inputIds.shape, {});
      const x = this.embed(inputs);
      const [batch, seq] = inputs.inputIds.shape;
      return this.runLayers(x, inputs.attentionMask, 0, false, drop, this.frozenLayers ?? 0).reshape([batch * seq, this.config.hiddenSize]);
    });
  }

  /**
   * The layers above the frozen part, from its output `frozenOutput` [batch·seq, hidden] (what
   * `bottom` returns): last hidden state [batch, seq, hidden], as `forward` would give.
   */
  forwardFromFrozen(frozenOutput: tf.Tensor2D, attentionMask: tf.Tensor2D, opts: ForwardOptions = {}): tf.Tensor3D {
    this.checkLive();
    const [batch, seq] = attentionMask.shape;
    if (frozenOutput.rank !== 2 || frozenOutput.shape[0] !== batch * seq || frozenOutput.shape[1] !== this.config.hiddenSize) {
      throw new Error(`frozen output [${frozenOutput.shape.join(", ")}] does not match [${batch}·${seq}, ${this.config.hiddenSize}]`);
    }
    return tf.tidy(() => this.runLayers(frozenOutput, attentionMask, this.frozenLayers ?? 0, opts.training ?? false, this.dropper([batch, seq], opts)));
  }

  /** Dropout for one forward call over [batch, seq] inputs: each call site draws its own mask. */
  private dropper([batch, seq]: readonly number[], opts: ForwardOptions): (x: tf.Tensor, rate: number) => tf.Tensor {
    const training = opts.training ?? false;
    const c = this.config;
    const h = c.hiddenSize;
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const maxSeq = this.family.maxSeqLen(c);
    let site = 0;
    // x is [batch·seq, hidden] or attention probabilities [batch, heads, seq, seq]: either way
    // `batch` rows, with the sequence axes bounded by the position table.
    return (x, rate) => {
      if (!training || rate === 0) return x;
      const [inner, bounds] = x.rank === 4 ? [[c.numHeads, seq, seq], [c.numHeads, maxSeq, maxSeq]] : [[seq, h], [maxSeq, h]];
      const mask = dropoutMask(rate, { seed, site: site++, rowOffset: opts.rowOffset ?? 0 }, batch, inner, bounds);
      return tf.mul(x, tf.tensor(mask, x.shape, "float32"));
    };
  }

  /** Layers [from, to) on x [batch·seq, hidden]; returns [batch, seq, hidden]. */
  private runLayers(
    x: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    from: number,
    training: boolean,
    drop: (x: tf.Tensor, rate: number) => tf.Tensor,
    to = this.layers.length,
  ): tf.Tensor3D {
    const [batch, seq] = attentionMask.shape;
    // Added to attention scores: 0 on real keys, float32's lowest on padded ones, as
    // transformers does ((1 − mask) × finfo.min); [batch, 1, 1, seq] broadcasts over heads
    // and queries.
    const maskBias = tf
      .mul(tf.sub(1, tf.cast(attentionMask, "float32")), FLOAT32_MIN)
      .reshape([batch, 1, 1, seq]) as tf.Tensor4D;
    // One scope per layer: a layer's intermediates (attention scores alone are batch × heads ×
    // seq² floats) are freed as soon as its output exists, instead of all layers' piling up
    // until the end. That pile-up took e5-small past wasm's reach at batch 32 × 256 tokens.
    // Under a gradient tape the kernels keep what backprop needs themselves (tfjs clones and
    // keeps saved tensors), so this is safe in training too; only there the layer's input stays.
    // The caller's input is never freed here (it may be the caller's own tensor).
    for (let i = from; i < to; i++) {
      const input = x;
      x = tf.tidy(() => this.layer(this.layers[i], input, maskBias, batch, seq, drop));
      if (!training && i > from) input.dispose();
    }
    return x.reshape([batch, seq, this.config.hiddenSize]);
  }

  /** Every variable, in `encoderWeightSpec` order. */
  variables(): tf.Variable[] {
    this.checkLive();
    return [...this.vars.values()];
  }

  /** The word-embedding table (with `vocabRows`, only those rows). */
  wordEmbeddings(): tf.Variable {
    this.checkLive();
    return this.variable(WORD_EMBEDDINGS);
  }

  /** The variables training updates: all, or only the layers above `frozenLayers`. */
  trainableVariables(): tf.Variable[] {
    this.checkLive();
    const frozen = this.frozenLayers;
    if (frozen === null) return this.variables();
    const trained = (name: string) => {
      const layer = /^encoder\.layer\.(\d+)\./.exec(name);
      return layer !== null && Number(layer[1]) >= frozen;
    };
    return [...this.vars].filter(([name]) => trained(name)).map(([, v]) => v);
  }

  /** Current weights under Hugging Face names in torch layouts ([out, in] Linear weights). */
  exportWeights(): Map<string, NamedTensor> {
    this.checkLive();
    const out = new Map<string, NamedTensor>();
    for (const [name, v] of this.vars) {
      const torch = isLinearWeight(name, v.shape) ? tf.tidy(() => v.transpose()) : v;
      const data = Float32Array.from(torch.dataSync() as Float32Array);
      out.set(name, { shape: [...torch.shape], data });
      if (torch !== v) torch.dispose();
    }
    return out;
  }

  /** Frees the variables (and their names, so the scope may be reused). */
  dispose(): void {
    if (this.disposed) return;
    this.rowOfTensor?.dispose();
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.disposed = true;
  }

  private variable(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (v === undefined) throw new Error(`internal: no variable '${name}'`);
    return v;
  }

  private checkLive(): void {
    if (this.disposed) throw new Error("Encoder used after dispose()");
  }

  private checkInputs({ inputIds, attentionMask, tokenTypeIds }: EncoderInputs): void {
    if (inputIds.rank !== 2) throw new Error(`inputIds must be [batch, seq], got [${inputIds.shape.join(", ")}]`);
    if (inputIds.dtype !== "int32") throw new Error(`inputIds must be int32, got ${inputIds.dtype}`);
    const same = (t: tf.Tensor) => t.rank === 2 && t.shape[0] === inputIds.shape[0] && t.shape[1] === inputIds.shape[1];
    if (!same(attentionMask)) {
      throw new Error(`attentionMask [${attentionMask.shape.join(", ")}] does not match inputIds [${inputIds.shape.join(", ")}]`);
    }
    if (tokenTypeIds !== undefined) {
      if (!same(tokenTypeIds)) {
        throw new Error(`tokenTypeIds [${tokenTypeIds.shape.join(", ")}] does not match inputIds [${inputIds.shape.join(", ")}]`);
      }
      if (tokenTypeIds.dtype !== "int32") throw new Error(`tokenTypeIds must be int32, got ${tokenTypeIds.dtype}`);
    }
    const maxSeq = this.family.maxSeqLen(this.config);
    if (inputIds.shape[1] > maxSeq) {
      throw new Error(`sequence length ${inputIds.shape[1]} exceeds the ${maxSeq} positions of this ${this.config.family} encoder`);
    }
    const rowOf = this.rowOf;
    if (rowOf !== null) {
      // A lookup of an id the table lacks would read another token's row without complaint.
      for (const id of inputIds.dataSync()) {
        if (!(rowOf[id] >= 0)) {
          throw new Error(`token id ${id} is not among the ${this.vars.get(WORD_EMBEDDINGS)!.shape[0]} the word-embedding table holds (vocabRows)`);
        }
      }
    }
  }

  /** Word + position + token type embeddings, normalised: [batch·seq, hidden]. */
  private embed({ inputIds, tokenTypeIds }: EncoderInputs): tf.Tensor2D {
    const n = inputIds.size;
    const h = this.config.hiddenSize;
    const flat = (ids: tf.Tensor2D) => ids.reshape([n]) as tf.Tensor1D;
    const ids = this.rowOfTensor === null ? flat(inputIds) : tf.gather(this.rowOfTensor, flat(inputIds));
    const word = tf.gather(this.variable(WORD_EMBEDDINGS), ids);
    const position = tf.gather(
      this.variable("embeddings.position_embeddings.weight"),
      flat(this.family.positionIds(inputIds, this.config)),
    );
    const types = this.variable("embeddings.token_type_embeddings.weight");
    // Type 0 for every token is one row broadcast over all of them: no gather needed.
    const type =
      this.family.tokenTypes && tokenTypeIds !== undefined
        ? tf.gather(types, flat(tokenTypeIds))
        : tf.slice(types, [0, 0], [1, h]);
    const sum = tf.add(tf.add(word, position), type) as tf.Tensor2D;
    return layerNorm(sum, this.norm("embeddings.LayerNorm"), this.config.layerNormEps);
  }

  private norm(name: string): Norm {
    return {
      gamma: this.variable(`${name}.weight`) as tf.Variable<tf.Rank.R1>,
      beta: this.variable(`${name}.bias`) as tf.Variable<tf.Rank.R1>,
    };
  }

  /** One post-LN transformer layer on x [batch·seq, hidden]. */
  private layer(
    p: Layer,
    x: tf.Tensor2D,
    maskBias: tf.Tensor4D,
    batch: number,
    seq: number,
    drop: (x: tf.Tensor, rate: number) => tf.Tensor,
  ): tf.Tensor2D {
    const c = this.config;
    const heads = c.numHeads;
    const d = c.hiddenSize / heads;
    const eps = c.layerNormEps;
    // [batch·seq, hidden] → [batch, seq, heads, head] → [batch·heads, seq, head]
    const split = (t: tf.Tensor2D) =>
      t.reshape([batch, seq, heads, d]).transpose([0, 2, 1, 3]).reshape([batch * heads, seq, d]) as tf.Tensor3D;
    // Scaling q rather than the scores: seq/heads times fewer multiplications, same value up to
    // rounding (exactly the same when the head size is a power of 4, as 64 is).
    const q = split(tf.mul(linear(x, p.query), 1 / Math.sqrt(d)) as tf.Tensor2D);
    // Keys straight to [batch·heads, head, seq]: one transpose, where a split and then
    // matMul(…, transposeB) would be two on wasm (and the layout costs nothing elsewhere).
    const kT = linear(x, p.key).reshape([batch, seq, heads, d]).transpose([0, 2, 3, 1]).reshape([batch * heads, d, seq]) as tf.Tensor3D;
    const v = split(linear(x, p.value));
    // [batch·heads, seq(query), seq(key)]
    const scores = tf.matMul(q, kT);
    const masked = tf.add(scores.reshape([batch, heads, seq, seq]), maskBias);
    const probs = drop(tf.softmax(masked), this.attentionDropout).reshape([batch * heads, seq, seq]) as tf.Tensor3D;
    // [batch·heads, seq, head] → [batch·seq, hidden]
    const context = tf
      .matMul(probs, v)
      .reshape([batch, heads, seq, d])
      .transpose([0, 2, 1, 3])
      .reshape([batch * seq, c.hiddenSize]) as tf.Tensor2D;
    const attended = drop(linear(context, p.attentionOutput), this.dropout);
    const h1 = layerNorm(tf.add(attended, x) as tf.Tensor2D, p.attentionNorm, eps);
    const inner = gelu(linear(h1, p.intermediate));
    const out = drop(linear(inner, p.output), this.dropout);
    return layerNorm(tf.add(out, h1) as tf.Tensor2D, p.outputNorm, eps);
  }
}

/** x [n, in] · kernel [in, out] + bias → [n, out], as one fused kernel (bias added by XNNPACK on wasm). */
function linear(x: tf.Tensor2D, p: Linear): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: p.kernel, bias: p.bias }) as tf.Tensor2D;
}

type LayerNormFn = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => tf.Tensor;

/**
 * LayerNorm over the last axis, biased variance as torch: x [n, hidden] → [n, hidden]. A
 * custom gradient keeps two tensors for the backward pass (x̂ and 1/σ) instead of the nine
 * intermediates and ten gradient tensors autodiff would hold until the step ends (tfjs frees
 * nothing of a step before it ends); on wasm, memory is what limits the batch.
 */
function makeLayerNorm(eps: number): LayerNormFn {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const centred = tf.sub(x, tf.mean(x, -1, true));
    // [n, 1]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps));
    const xhat = tf.mul(centred, rstd);
    save([xhat, rstd, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const g0 = dy as tf.Tensor;
          const [xhat, rstd, gamma] = saved;
          // dx = (g − mean(g) − x̂·mean(g·x̂)) / σ with g = dy·γ, per row.
          const g = tf.mul(g0, gamma);
          const inner = tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(xhat, tf.mean(tf.mul(g, xhat), -1, true)));
          return [tf.mul(inner, rstd), tf.sum(tf.mul(g0, xhat), 0), tf.sum(g0, 0)];
        }),
    };
  }) as LayerNormFn;
}

/** One custom op per epsilon (configs differ: 1e-12 for BERT, 1e-5 for XLM-R). */
const layerNorms = new Map<number, LayerNormFn>();

function layerNorm(x: tf.Tensor2D, p: Norm, eps: number): tf.Tensor2D {
  let op = layerNorms.get(eps);
  if (op === undefined) layerNorms.set(eps, (op = makeLayerNorm(eps)));
  return op(x, p.gamma, p.beta) as tf.Tensor2D;
}

/**
 * Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) ("gelu" in transformers), not the tanh
 * approximation. A custom gradient, dy·(Φ(x) + x·φ(x)), keeps x and Φ(x) rather than five
 * intermediates, and reuses Φ(x) so erf (slow on wasm) runs once per step.
 */
export const gelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  const save = args[1] as tf.GradSaveFunc;
  const cdf = tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [x, cdf] = saved;
        // φ(x) = exp(−x²/2)/√(2π)
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
        return [tf.mul(dy as tf.Tensor, tf.add(cdf, tf.mul(x, pdf)))];
      }),
  };
}) as <T extends tf.Tensor>(x: T) => T;
