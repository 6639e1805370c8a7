import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { Encoder, gelu } from "../../src/model/encoder.js";
import { meanPool } from "../../src/model/pooling.js";
import type { EncoderConfig, ModelFamily, NamedTensor } from "../../src/model/types.js";
import { encoderWeightSpec } from "../../src/model/weight-spec.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";
import { silentLogger } from "../../src/util/logger.js";

function tinyConfig(family: ModelFamily): EncoderConfig {
  return {
    modelType: family,
    family,
    vocabSize: 50,
    hiddenSize: 16,
    numLayers: 2,
    numHeads: 4,
    intermediateSize: 32,
    maxPositionEmbeddings: 20,
    typeVocabSize: family === "bert" ? 2 : 1,
    layerNormEps: family === "bert" ? 1e-12 : 1e-5,
    padTokenId: family === "bert" ? 0 : 1,
    hiddenAct: "gelu",
  };
}

/** N(0, 0.5) everywhere (LayerNorm weights around 1), so every term matters in the checks. */
function randomWeights(config: EncoderConfig, seed: number): Map<string, NamedTensor> {
  const rand = mulberry32(seed);
  const weights = new Map<string, NamedTensor>();
  for (const { name, shape } of encoderWeightSpec(config)) {
    const data = Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => 0.5 * randomNormal(rand));
    if (name.includes("LayerNorm.weight")) data.forEach((v, i) => (data[i] = 1 + v));
    weights.set(name, { shape, data });
  }
  return weights;
}

// ---- a plain float64 reference: the model written out as loops over row-major arrays ----

type Weights = ReadonlyMap<string, NamedTensor>;

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7, far below the tolerances here). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return s * (1 - poly * Math.exp(-a * a));
}

function w(weights: Weights, name: string): Float32Array {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`no ${name}`);
  return t.data;
}

/** x [n, in] · Wᵀ + b with torch's W [out, in]. */
function linearRef(x: Float64Array, n: number, weights: Weights, name: string): Float64Array {
  const W = w(weights, `${name}.weight`);
  const b = w(weights, `${name}.bias`);
  const out = b.length;
  const inp = W.length / out;
  const y = new Float64Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      for (let i = 0; i < inp; i++) s += x[r * inp + i] * W[o * inp + i];
      y[r * out + o] = s;
    }
  }
  return y;
}

function layerNormRef(x: Float64Array, n: number, h: number, weights: Weights, name: string, eps: number): Float64Array {
  const g = w(weights, `${name}.weight`);
  const b = w(weights, `${name}.bias`);
  const y = new Float64Array(n * h);
  for (let r = 0; r < n; r++) {
    let mean = 0;
    for (let j = 0; j < h; j++) mean += x[r * h + j] / h;
    let variance = 0;
    for (let j = 0; j < h; j++) variance += (x[r * h + j] - mean) ** 2 / h;
    for (let j = 0; j < h; j++) y[r * h + j] = ((x[r * h + j] - mean) / Math.sqrt(variance + eps)) * g[j] + b[j];
  }
  return y;
}

/** Last hidden state [batch·seq·hidden] of the model on ids/mask/types given as rows. */
function encoderRef(
  c: EncoderConfig,
  weights: Weights,
  ids: number[][],
  mask: number[][],
  types?: number[][],
): Float64Array {
  const batch = ids.length;
  const seq = ids[0].length;
  const h = c.hiddenSize;
  const heads = c.numHeads;
  const d = h / heads;
  const n = batch * seq;
  const word = w(weights, "embeddings.word_embeddings.weight");
  const pos = w(weights, "embeddings.position_embeddings.weight");
  const typ = w(weights, "embeddings.token_type_embeddings.weight");
  let x = new Float64Array(n * h);
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let t = 0; t < seq; t++) {
      const id = ids[b][t];
      let p: number;
      if (c.family === "bert") p = t;
      else p = id === c.padTokenId ? c.padTokenId : c.padTokenId + ++count;
      const ty = c.family === "bert" && types !== undefined ? types[b][t] : 0;
      for (let j = 0; j < h; j++) x[(b * seq + t) * h + j] = word[id * h + j] + pos[p * h + j] + typ[ty * h + j];
    }
  }
  x = layerNormRef(x, n, h, weights, "embeddings.LayerNorm", c.layerNormEps);
  for (let l = 0; l < c.numLayers; l++) {
    const p = `encoder.layer.${l}`;
    const q = linearRef(x, n, weights, `${p}.attention.self.query`);
    const k = linearRef(x, n, weights, `${p}.attention.self.key`);
    const v = linearRef(x, n, weights, `${p}.attention.self.value`);
    const ctx = new Float64Array(n * h);
    for (let b = 0; b < batch; b++) {
      for (let hd = 0; hd < heads; hd++) {
        for (let i = 0; i < seq; i++) {
          const scores: number[] = [];
          for (let j = 0; j < seq; j++) {
            let s = 0;
            for (let e = 0; e < d; e++) s += q[(b * seq + i) * h + hd * d + e] * k[(b * seq + j) * h + hd * d + e];
            // transformers: (1 − mask) × float32 min added to the scaled scores
            scores.push(s / Math.sqrt(d) + (1 - mask[b][j]) * -3.4028234663852886e38);
          }
          const max = Math.max(...scores);
          const exps = scores.map((s) => Math.exp(s - max));
          const total = exps.reduce((a, e) => a + e, 0);
          for (let j = 0; j < seq; j++) {
            for (let e = 0; e < d; e++) ctx[(b * seq + i) * h + hd * d + e] += (exps[j] / total) * v[(b * seq + j) * h + hd * d + e];
          }
        }
      }
    }
    const attn = linearRef(ctx, n, weights, `${p}.attention.output.dense`);
    for (let i = 0; i < n * h; i++) attn[i] += x[i];
    const h1 = layerNormRef(attn, n, h, weights, `${p}.attention.output.LayerNorm`, c.layerNormEps);
    const inner = linearRef(h1, n, weights, `${p}.intermediate.dense`).map((u) => 0.5 * u * (1 + erf(u / Math.SQRT2)));
    const out = linearRef(inner, n, weights, `${p}.output.dense`);
    for (let i = 0; i < n * h; i++) out[i] += h1[i];
    x = layerNormRef(out, n, h, weights, `${p}.output.LayerNorm`, c.layerNormEps);
  }
  return x;
}

/** The loss the gradient tests use: Σ meanPool(hidden)², in float64. */
function pooledLossRef(c: EncoderConfig, weights: Weights, ids: number[][], mask: number[][], types?: number[][]): number {
  const x = encoderRef(c, weights, ids, mask, types);
  const seq = ids[0].length;
  const h = c.hiddenSize;
  let loss = 0;
  ids.forEach((_, b) => {
    const count = mask[b].reduce((a, m) => a + m, 0);
    for (let j = 0; j < h; j++) {
      let s = 0;
      for (let t = 0; t < seq; t++) s += mask[b][t] * x[(b * seq + t) * h + j];
      loss += (s / count) ** 2;
    }
  });
  return loss;
}

// ---- fixtures ----

interface Case {
  readonly name: string;
  readonly ids: number[][];
  readonly mask: number[][];
  readonly types?: number[][];
}

function cases(family: ModelFamily): Case[] {
  const pad = tinyConfig(family).padTokenId;
  const full: Case = {
    name: "no padding",
    ids: [[3, 17, 42, 8, 4], [3, 9, 9, 31, 4]],
    mask: [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]],
  };
  const padded: Case = {
    name: "padding",
    ids: [[3, 17, 42, 8, 4], [3, 25, 4, pad, pad]],
    mask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]],
  };
  if (family !== "bert") return [full, padded];
  return [full, padded, { ...padded, name: "padding and token types", types: [[0, 0, 1, 1, 1], [0, 1, 1, 0, 0]] }];
}

function tensors(c: Case): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D; tokenTypeIds?: tf.Tensor2D } {
  return {
    inputIds: tf.tensor2d(c.ids, undefined, "int32"),
    attentionMask: tf.tensor2d(c.mask, undefined, "int32"),
    tokenTypeIds: c.types === undefined ? undefined : tf.tensor2d(c.types, undefined, "int32"),
  };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Gradients of Σ meanPool(hidden)² for every variable, by HF name, on `backend`. */
async function pooledLossGrads(backend: "cpu" | "wasm", c: EncoderConfig, weights: Weights, k: Case): Promise<Map<string, Float32Array>> {
  await tf.setBackend(backend);
  const encoder = Encoder.fromWeights(c, weights, { scope: `grads_${backend}` });
  try {
    const inputs = tensors(k);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(meanPool(encoder.forward(inputs), inputs.attentionMask))), encoder.variables());
    const out = new Map<string, Float32Array>();
    for (const [scoped, g] of Object.entries(grads)) {
      const name = scoped.slice(`grads_${backend}/`.length);
      // Linear weights live transposed ([in, out]); compare in torch's layout.
      const torch = g.rank === 2 && !name.startsWith("embeddings.") ? g.transpose() : g;
      out.set(name, (await torch.data()) as Float32Array);
    }
    tf.dispose([value, grads, inputs]);
    return out;
  } finally {
    encoder.dispose();
  }
}

// ---- tests ----

describe("Encoder", () => {
  before(async () => {
    assert.equal(await initBackend("wasm", silentLogger), "wasm");
  });

  for (const family of ["bert", "xlm-roberta"] as const) {
    const config = tinyConfig(family);
    const weights = randomWeights(config, family === "bert" ? 1 : 2);

    for (const k of cases(family)) {
      for (const backend of ["wasm", "cpu"] as const) {
        test(`${family}, ${k.name}: forward on ${backend} matches a float64 reference`, async () => {
          await tf.setBackend(backend);
          const encoder = Encoder.fromWeights(config, weights);
          try {
            const inputs = tensors(k);
            const hidden = encoder.forward(inputs);
            assert.deepEqual(hidden.shape, [k.ids.length, k.ids[0].length, config.hiddenSize]);
            const diff = maxDiff(await hidden.data(), encoderRef(config, weights, k.ids, k.mask, k.types));
            assert.ok(diff < 1e-4, `max |tfjs − reference| = ${diff}`);
            tf.dispose([hidden, inputs]);
          } finally {
            encoder.dispose();
          }
        });
      }
    }

    test(`${family}: gradients on wasm are finite, equal cpu's, and match finite differences`, async () => {
      const k = cases(family)[cases(family).length - 1];
      const onWasm = await pooledLossGrads("wasm", config, weights, k);
      const onCpu = await pooledLossGrads("cpu", config, weights, k);
      assert.equal(onWasm.size, encoderWeightSpec(config).length);
      for (const [name, g] of onWasm) {
        assert.ok(g.every(Number.isFinite), `${name}: non-finite gradient`);
        const diff = maxDiff(g, onCpu.get(name) ?? []);
        assert.ok(diff < 1e-4, `${name}: max |wasm − cpu| = ${diff}`);
      }
      // Directional derivatives along a random direction per variable, against central
      // differences of the float64 reference: checks the custom LayerNorm and GELU gradients.
      const rand = mulberry32(7);
      const eps = 1e-4;
      for (const [name, g] of onWasm) {
        const base = weights.get(name) as NamedTensor;
        const dir = Float32Array.from(base.data, () => randomNormal(rand));
        const shifted = (sign: number) =>
          new Map(weights).set(name, { shape: base.shape, data: base.data.map((v, i) => v + sign * eps * dir[i]) });
        // Float32 weights shifted by eps lose precision: difference the stored values instead.
        const plus = shifted(1);
        const minus = shifted(-1);
        let step = 0;
        let analytic = 0;
        const pd = (plus.get(name) as NamedTensor).data;
        const md = (minus.get(name) as NamedTensor).data;
        for (let i = 0; i < dir.length; i++) {
          analytic += g[i] * (pd[i] - md[i]);
          step += (pd[i] - md[i]) ** 2;
        }
        if (step === 0) continue;
        const numeric = pooledLossRef(config, plus, k.ids, k.mask, k.types) - pooledLossRef(config, minus, k.ids, k.mask, k.types);
        const scale = Math.max(Math.abs(numeric), 1e-6);
        assert.ok(Math.abs(analytic - numeric) / scale < 1e-3, `${name}: gradient·Δ ${analytic} vs ΔL ${numeric}`);
      }
    });
  }

  test("exportWeights returns the loaded weights in torch layout", async () => {
    await tf.setBackend("wasm");
    const config = tinyConfig("bert");
    const weights = randomWeights(config, 3);
    const encoder = Encoder.fromWeights(config, weights);
    try {
      const exported = encoder.exportWeights();
      assert.deepEqual([...exported.keys()], [...weights.keys()]);
      for (const [name, t] of weights) {
        assert.deepEqual(exported.get(name)?.shape, t.shape, name);
        assert.deepEqual(exported.get(name)?.data, t.data, name);
      }
      assert.equal(encoder.variables().length, weights.size);
      assert.ok(encoder.variables().every((v) => v.trainable && v.name.startsWith(`${encoder.scope}/`)));
    } finally {
      encoder.dispose();
    }
  });

  test("fromWeights names the missing, misshapen or unexpected weight; scopes keep encoders apart", async () => {
    await tf.setBackend("wasm");
    const config = tinyConfig("xlm-roberta");
    const weights = randomWeights(config, 4);
    const without = new Map(weights);
    without.delete("encoder.layer.1.output.dense.bias");
    assert.throws(() => Encoder.fromWeights(config, without), /missing weight 'encoder\.layer\.1\.output\.dense\.bias'/);
    const misshapen = new Map(weights).set("embeddings.LayerNorm.bias", { shape: [15], data: new Float32Array(15) });
    assert.throws(() => Encoder.fromWeights(config, misshapen), /'embeddings\.LayerNorm\.bias' has shape \[15\], expected \[16\]/);
    const extra = new Map(weights).set("roberta.embeddings.word_embeddings.weight", weights.get("embeddings.word_embeddings.weight") as NamedTensor);
    assert.throws(() => Encoder.fromWeights(config, extra), /unexpected weight 'roberta\.embeddings/);
    const ignored = new Map(weights).set("pooler.dense.bias", { shape: [16], data: new Float32Array(16) });
    const a = Encoder.fromWeights(config, ignored);
    const b = Encoder.fromWeights(config, weights);
    assert.notEqual(a.scope, b.scope);
    assert.throws(() => Encoder.fromWeights(config, weights, { scope: a.scope }), /already registered/);
    a.dispose();
    b.dispose();
    Encoder.fromWeights(config, weights, { scope: a.scope }).dispose();
    assert.throws(() => a.forward(tensors(cases("xlm-roberta")[0])), /after dispose/);
  });

  test("forward checks its inputs", async () => {
    await tf.setBackend("wasm");
    const config = tinyConfig("xlm-roberta");
    const encoder = Encoder.fromWeights(config, randomWeights(config, 5));
    try {
      const ids = tf.tensor2d([[3, 4, 5]], undefined, "int32");
      assert.throws(() => encoder.forward({ inputIds: ids.toFloat(), attentionMask: tf.ones([1, 3]) }), /inputIds must be int32/);
      assert.throws(() => encoder.forward({ inputIds: ids, attentionMask: tf.ones([1, 4]) }), /attentionMask \[1, 4\] does not match/);
      // 20 positions, padding index 1: 18 tokens fit.
      const long = tf.ones([1, 19], "int32") as tf.Tensor2D;
      assert.throws(() => encoder.forward({ inputIds: long, attentionMask: tf.ones([1, 19]) }), /sequence length 19 exceeds the 18 positions/);
      assert.throws(() => Encoder.fromWeights(config, new Map(), { dropout: 1 }), /dropout: 1 is not in \[0, 1\)/);
    } finally {
      encoder.dispose();
    }
  });

  test("trainLayers: the frozen part's output, then the layers above it, is forward's output; only those layers train", async () => {
    await tf.setBackend("wasm");
    for (const family of ["bert", "xlm-roberta"] as const) {
      const config = tinyConfig(family);
      const weights = randomWeights(config, 8);
      const whole = Encoder.fromWeights(config, weights);
      const top = Encoder.fromWeights(config, weights, { trainLayers: 1 });
      const all = Encoder.fromWeights(config, weights, { trainLayers: 2 });
      try {
        assert.equal(whole.frozenLayers, null);
        assert.equal(top.frozenLayers, 1);
        assert.equal(all.frozenLayers, 0);
        assert.deepEqual(whole.trainableVariables(), whole.variables());
        const names = (e: Encoder) => e.trainableVariables().map((v) => v.name.slice(v.name.indexOf("/") + 1));
        assert.ok(names(top).length > 0 && names(top).every((n) => n.startsWith("encoder.layer.1.")), names(top).join(" "));
        // trainLayers equal to the depth freezes the embeddings only.
        assert.ok(names(all).every((n) => n.startsWith("encoder.layer.")) && names(all).length === 2 * names(top).length);
        const k = cases(family)[cases(family).length - 1];
        const inputs = tensors(k);
        const expected = await whole.forward(inputs).data();
        const frozen = top.bottom(inputs);
        assert.deepEqual(frozen.shape, [k.ids.length * k.ids[0].length, config.hiddenSize]);
        const split = top.forwardFromFrozen(frozen, inputs.attentionMask);
        assert.ok(maxDiff(await split.data(), expected) < 1e-6);
        assert.ok(maxDiff(await all.forwardFromFrozen(all.bottom(inputs), inputs.attentionMask).data(), expected) < 1e-6);
        assert.throws(() => top.forwardFromFrozen(tf.zeros([3, config.hiddenSize]), inputs.attentionMask), /does not match/);
        tf.dispose([inputs, frozen, split]);
      } finally {
        for (const e of [whole, top, all]) e.dispose();
      }
      for (const bad of [0, 3, 1.5]) {
        assert.throws(() => Encoder.fromWeights(config, weights, { trainLayers: bad }), /trainLayers: .* is not a whole number from 1 to the model's 2 layers/);
      }
    }
  });

  test("vocabRows: a table of only some rows gives the whole table's output and gradients on inputs that use them", async () => {
    await tf.setBackend("wasm");
    for (const family of ["bert", "xlm-roberta"] as const) {
      const config = tinyConfig(family);
      const weights = randomWeights(config, 9);
      const k = cases(family)[cases(family).length - 1];
      const rows = Int32Array.from(new Set([...k.ids.flat(), 49])).sort();
      const table = weights.get("embeddings.word_embeddings.weight")!;
      const h = config.hiddenSize;
      const cutTable = { shape: [rows.length, h], data: new Float32Array(rows.length * h) };
      rows.forEach((id, i) => cutTable.data.set(table.data.subarray(id * h, (id + 1) * h), i * h));
      const whole = Encoder.fromWeights(config, weights);
      const cut = Encoder.fromWeights(config, new Map(weights).set("embeddings.word_embeddings.weight", cutTable), { vocabRows: rows });
      try {
        assert.deepEqual(cut.wordEmbeddings().shape, [rows.length, h]);
        const inputs = tensors(k);
        const grads = (e: Encoder) =>
          tf.variableGrads(() => meanPool(e.forward(inputs), inputs.attentionMask).square().sum() as tf.Scalar, [e.wordEmbeddings()]);
        const a = grads(whole);
        const b = grads(cut);
        assert.equal(a.value.dataSync()[0], b.value.dataSync()[0], "the same loss, bit for bit");
        const g = a.grads[whole.wordEmbeddings().name].dataSync();
        const gCut = b.grads[cut.wordEmbeddings().name].dataSync();
        rows.forEach((id, i) => assert.deepEqual(gCut.subarray(i * h, (i + 1) * h), g.subarray(id * h, (id + 1) * h), `gradient of row ${id}`));
        const outside = tensors({ ...k, ids: k.ids.map((r) => r.map((id, j) => (j === 1 ? 48 : id))) });
        assert.throws(() => cut.forward(outside), /^Error: token id 48 is not among the \d+ the word-embedding table holds \(vocabRows\)$/);
        tf.dispose([inputs, outside, a.value, b.value, Object.values(a.grads), Object.values(b.grads)]);
      } finally {
        whole.dispose();
        cut.dispose();
      }
      assert.throws(() => Encoder.fromWeights(config, weights, { vocabRows: Int32Array.from([3, 2]) }), /vocabRows: ids must ascend \(3 then 2\)/);
      assert.throws(() => Encoder.fromWeights(config, weights, { vocabRows: Int32Array.from([3, 50]) }), /vocabRows: token id 50 is outside the vocabulary of 50/);
      assert.throws(() => Encoder.fromWeights(config, weights, { vocabRows: Int32Array.from([3, 4]) }), /weight 'embeddings.word_embeddings.weight' has shape \[50, 16\], expected \[2, 16\]/);
    }
  });

  test("dropout applies only when training, with masks repeatable by seed", async () => {
    await tf.setBackend("wasm");
    const config = tinyConfig("bert");
    const weights = randomWeights(config, 6);
    const encoder = Encoder.fromWeights(config, weights, { dropout: 0.5 });
    try {
      const inputs = tensors(cases("bert")[0]);
      const ref = encoderRef(config, weights, cases("bert")[0].ids, cases("bert")[0].mask);
      assert.ok(maxDiff(await encoder.forward(inputs).data(), ref) < 1e-4);
      assert.ok(maxDiff(await encoder.forward(inputs, { training: true }).data(), ref) > 1e-2);
      const seeded = async (seed: number) => encoder.forward(inputs, { training: true, seed }).data();
      assert.deepEqual(await seeded(11), await seeded(11));
      assert.ok(maxDiff(await seeded(11), await seeded(12)) > 1e-2);
    } finally {
      encoder.dispose();
    }
  });

  test("gelu is exact erf GELU, and its custom gradient equals autodiff of the formula", async () => {
    for (const backend of ["wasm", "cpu"] as const) {
      await tf.setBackend(backend);
      const xs = [-4, -1.5, -0.3, 0, 0.2, 1, 2.5, 6];
      const x = tf.tensor1d(xs);
      const y = await gelu(x).data();
      xs.forEach((v, i) => assert.ok(Math.abs(y[i] - 0.5 * v * (1 + erf(v / Math.SQRT2))) < 1e-6, `gelu(${v}) on ${backend}`));
      const ours = await tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), tf.range(1, 9))))(x).data();
      const formula = (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(1, tf.erf(tf.mul(t, Math.SQRT1_2))));
      const auto = await tf.grad((t: tf.Tensor) => tf.sum(tf.mul(formula(t), tf.range(1, 9))))(x).data();
      assert.ok(maxDiff(ours, auto) < 1e-5, `${backend}: ${ours} vs ${auto}`);
    }
  });
});
