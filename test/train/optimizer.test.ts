import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../src/compute/backend.js";
import { AdamW, clipByGlobalNorm, decaysByDefault, type AdamWOptions } from "../../src/train/optimizer.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

interface Hyper {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/**
 * The slow obvious version: torch.optim.AdamW's single-tensor step (torch/optim/adam.py with
 * decoupled decay), line for line, in float64.
 */
class ReferenceAdamW {
  private readonly m = new Map<string, Float64Array>();
  private readonly v = new Map<string, Float64Array>();
  private readonly t = new Map<string, number>();

  constructor(
    private readonly h: Hyper,
    private readonly decays: (name: string) => boolean,
  ) {}

  step(params: Map<string, Float64Array>, grads: Map<string, Float64Array>, lr: number): void {
    const { beta1, beta2, epsilon, weightDecay } = this.h;
    for (const [name, g] of grads) {
      const p = params.get(name) as Float64Array;
      const m = this.m.get(name) ?? new Float64Array(p.length);
      const v = this.v.get(name) ?? new Float64Array(p.length);
      const step = (this.t.get(name) ?? 0) + 1;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const stepSize = lr / biasCorrection1;
      for (let i = 0; i < p.length; i++) {
        if (this.decays(name)) p[i] *= 1 - lr * weightDecay; // param.mul_(1 - lr * weight_decay)
        m[i] += (g[i] - m[i]) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
        v[i] = v[i] * beta2 + (1 - beta2) * g[i] * g[i]; // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        const denom = Math.sqrt(v[i]) / Math.sqrt(biasCorrection2) + epsilon;
        p[i] -= (stepSize * m[i]) / denom; // param.addcdiv_(exp_avg, denom, value=-step_size)
      }
      this.m.set(name, m);
      this.v.set(name, v);
      this.t.set(name, step);
    }
  }
}

function randomArray(rand: () => number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => randomNormal(rand));
}

/**
 * A quadratic bowl f(p) = Σ ½·c·(p − target)², so the gradients depend on the parameters and the
 * whole loop is exercised; targets sit 1.5 away from the start so the gradients stay O(1).
 */
function bowl(seed: number, shapes: Record<string, number[]>) {
  const rand = mulberry32(seed);
  const start = new Map<string, Float64Array>();
  const target = new Map<string, Float64Array>();
  const curvature = new Map<string, Float64Array>();
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const p = randomArray(rand, n);
    start.set(name, p);
    target.set(name, p.map((x) => x + (rand() < 0.5 ? -1.5 : 1.5)));
    curvature.set(name, Float64Array.from({ length: n }, () => 0.5 + 1.5 * rand()));
  }
  const gradient = (params: Map<string, Float64Array>) =>
    new Map([...params].map(([name, p]) => [name, p.map((x, i) => curvature.get(name)![i] * (x - target.get(name)![i]))]));
  const loss = (vars: tf.Variable[]) => () =>
    tf.addN(
      vars.map((v) => {
        const t = tf.tensor(Float32Array.from(target.get(v.name)!), v.shape);
        const c = tf.tensor(Float32Array.from(curvature.get(v.name)!), v.shape);
        return v.sub(t).square().mul(c).sum().mul(0.5);
      }),
    ) as tf.Scalar;
  return { start, gradient, loss };
}

function makeVariables(shapes: Record<string, number[]>, values: Map<string, Float64Array>): tf.Variable[] {
  return Object.entries(shapes).map(([name, shape]) => tf.variable(tf.tensor(Float32Array.from(values.get(name)!), shape), true, name));
}

/**
 * One optimiser step on `loss`, disposing what the gradient computation allocated; `withhold`
 * names a variable whose gradient the optimiser does not get, as if it had not been used.
 */
function trainStep(optimizer: AdamW, vars: tf.Variable[], loss: () => tf.Scalar, lr: number, withhold?: string): void {
  const { value, grads } = tf.variableGrads(loss, vars);
  optimizer.step(Object.fromEntries(Object.entries(grads).filter(([name]) => name !== withhold)), lr);
  tf.dispose([value, ...Object.values(grads)]);
}

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

test("decaysByDefault spares biases and LayerNorm parameters, as transformers' Trainer", () => {
  assert.equal(decaysByDefault("encoder.layer.0.attention.self.query.weight"), true);
  assert.equal(decaysByDefault("embeddings.word_embeddings.weight"), true);
  assert.equal(decaysByDefault("encoder.layer.0.attention.self.query.bias"), false);
  assert.equal(decaysByDefault("embeddings.LayerNorm.weight"), false);
  assert.equal(decaysByDefault("encoder.layer.3.output.LayerNorm.bias"), false);
});

test("AdamW rejects bad options, naming the value and the allowed range", () => {
  assert.throws(() => new AdamW([], { beta1: 1 }), /beta1 must be a number in \[0, 1\), got 1/);
  assert.throws(() => new AdamW([], { beta2: -0.1 }), /beta2 must be a number in \[0, 1\), got -0.1/);
  assert.throws(() => new AdamW([], { epsilon: 0 }), /epsilon must be a finite number > 0, got 0/);
  assert.throws(() => new AdamW([], { weightDecay: -0.01 }), /weightDecay must be a finite number >= 0, got -0.01/);
  const typo = { weight_decay: 0.01 } as unknown as AdamWOptions;
  assert.throws(() => new AdamW([], typo), /unknown option\(s\) weight_decay \(allowed: beta1, beta2, epsilon, weightDecay, decayMask\)/);
  const defaults = new AdamW([]);
  assert.deepEqual([defaults.beta1, defaults.beta2, defaults.epsilon, defaults.weightDecay], [0.9, 0.999, 1e-8, 0.01]);
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`AdamW on ${backend}`, () => {
    before(async () => {
      assert.equal(await initBackend(backend), backend);
    });

    const shapes = {
      [`${backend}.dense.weight`]: [2, 3],
      [`${backend}.dense.bias`]: [3],
      [`${backend}.LayerNorm.weight`]: [3],
    };
    const rates = [0.1, 0.05, 0.08, 0.02, 0.1];

    // The second setting withholds the bias's gradient on step 1, so its bias correction must count
    // its own updates (one fewer than the optimiser's), as torch keeps a step per parameter.
    const settings: (Hyper & { lateBias: boolean })[] = [
      { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1, lateBias: false },
      { beta1: 0.8, beta2: 0.99, epsilon: 1e-3, weightDecay: 0.01, lateBias: true },
    ];
    for (const { lateBias, ...h } of settings) {
      const name = `matches a float64 torch.optim.AdamW over 5 steps (β ${h.beta1}/${h.beta2}, ε ${h.epsilon}, decay ${h.weightDecay})`;
      test(lateBias ? `${name}, the bias joining at step 2` : name, () => {
        const problem = bowl(7, shapes);
        const vars = makeVariables(shapes, problem.start);
        const reference = new ReferenceAdamW(h, (name) => name.endsWith("dense.weight"));
        const params = new Map([...problem.start].map(([name, p]) => [name, p.slice()]));
        const optimizer = new AdamW(vars, h);
        try {
          for (const [s, lr] of rates.entries()) {
            const withhold = lateBias && s === 0 ? `${backend}.dense.bias` : undefined;
            const referenceGrads = problem.gradient(params);
            if (withhold !== undefined) referenceGrads.delete(withhold);
            reference.step(params, referenceGrads, lr);
            trainStep(optimizer, vars, problem.loss(vars), lr, withhold);
            for (const v of vars) {
              const actual = v.dataSync();
              const expected = params.get(v.name)!;
              for (let i = 0; i < expected.length; i++) {
                assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-6, `${v.name}[${i}] step ${optimizer.stepCount}: ${actual[i]} vs ${expected[i]}`);
              }
            }
          }
          assert.equal(optimizer.stepCount, 5);
        } finally {
          optimizer.dispose();
          tf.dispose(vars);
        }
      });
    }

    test("decays only what the mask allows, and leaves a variable without a gradient alone", async () => {
      const names = [`${backend}.w.weight`, `${backend}.w.bias`, `${backend}.LayerNorm.weight`, `${backend}.unused.weight`];
      const vars = names.map((name) => tf.variable(tf.tensor1d([1.5, -2]), true, name));
      // Zero gradients: m = v = 0, so the Adam update is 0 / (0 + ε) = 0 and only decay moves a weight.
      const grads = Object.fromEntries(names.slice(0, 3).map((name) => [name, tf.zeros([2])]));
      const custom = names.map((name) => tf.variable(tf.tensor1d([1.5, -2]), true, `${name}.custom`));
      const customGrads = Object.fromEntries(custom.map((v) => [v.name, tf.zeros([2])]));
      const optimizer = new AdamW(vars, { weightDecay: 0.1 });
      const spareAll = new AdamW(custom, { weightDecay: 0.1, decayMask: () => false });
      try {
        optimizer.step(grads, 0.5);
        spareAll.step(customGrads, 0.5);
        const keep = Math.fround(1 - 0.5 * 0.1); // 0.95, as the float32 scalar the multiply sees
        assert.deepEqual(Array.from(vars[0].dataSync()), [Math.fround(1.5 * keep), Math.fround(-2 * keep)]);
        for (const v of [...vars.slice(1), ...custom]) assert.deepEqual(Array.from(v.dataSync()), [1.5, -2], v.name);
        const state = await optimizer.state();
        assert.deepEqual(Object.keys(state.moments).sort(), names.slice(0, 3).sort());
      } finally {
        optimizer.dispose();
        spareAll.dispose();
        tf.dispose([...vars, ...custom, ...Object.values(grads), ...Object.values(customGrads)]);
      }
    });

    test("refuses gradients it cannot apply, before moving anything", () => {
      const v = tf.variable(tf.tensor1d([1, 2]), true, `${backend}.check.weight`);
      const optimizer = new AdamW([v]);
      const [good, wrongShape] = [tf.ones([2]), tf.ones([3])];
      try {
        assert.throws(() => optimizer.step({ [v.name]: good, stranger: good }, 0.1), /gradient for 'stranger', which is not one of/);
        assert.throws(() => optimizer.step({ [v.name]: wrongShape }, 0.1), /is \[3\], the variable \[2\]/);
        assert.throws(() => optimizer.step({ [v.name]: good }, -1), /learningRate must be a finite number >= 0, got -1/);
        assert.throws(() => optimizer.step({ [v.name]: good }, Number.NaN), /got NaN/);
        assert.deepEqual(Array.from(v.dataSync()), [1, 2]);
        assert.equal(optimizer.stepCount, 0);
        assert.throws(() => new AdamW([v, v]), /listed twice/);
      } finally {
        optimizer.dispose();
        tf.dispose([v, good, wrongShape]);
      }
    });

    test("state → restore → the next steps are identical", async () => {
      const problem = bowl(11, shapes);
      const vars = makeVariables(shapes, problem.start);
      const optimizer = new AdamW(vars);
      const resumed = new AdamW(vars);
      try {
        for (const lr of rates.slice(0, 3)) trainStep(optimizer, vars, problem.loss(vars), lr);
        const state = await optimizer.state();
        const saved = snapshot(vars);
        assert.equal(state.step, 3);
        const weight = state.moments[`${backend}.dense.weight`];
        assert.equal(weight.step, 3);
        assert.ok(weight.m instanceof Float32Array && weight.m.length === 6 && weight.v.length === 6);

        for (const lr of rates.slice(3)) trainStep(optimizer, vars, problem.loss(vars), lr);
        const continued = snapshot(vars);

        tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(saved[i], v.shape))));
        resumed.restore(state);
        assert.equal(resumed.stepCount, 3);
        for (const lr of rates.slice(3)) trainStep(resumed, vars, problem.loss(vars), lr);
        assert.deepEqual(snapshot(vars), continued);
        assert.equal(resumed.stepCount, 5);

        // A state that does not fit is refused whole, and the optimiser keeps the one it had.
        const before = await resumed.state();
        const bad = { step: 3, moments: { ...state.moments, [`${backend}.dense.bias`]: { step: 3, m: new Float32Array(2), v: new Float32Array(2) } } };
        assert.throws(() => resumed.restore(bad), /moments of '.*dense.bias' hold 2 and 2 values, the variable 3/);
        assert.throws(() => resumed.restore({ step: 1, moments: { nope: weight } }), /state for 'nope', which is not one of/);
        assert.throws(() => resumed.restore({ step: -1, moments: {} }), /step must be an integer >= 0, got -1/);
        assert.deepEqual(await resumed.state(), before);
      } finally {
        optimizer.dispose();
        resumed.dispose();
        tf.dispose(vars);
      }
    });

    test("holds no more tensors after step 1 than its moments, and releases them on dispose", () => {
      const problem = bowl(3, shapes);
      const vars = makeVariables(shapes, problem.start);
      const optimizer = new AdamW(vars);
      const loss = problem.loss(vars);
      try {
        const start = tf.memory().numTensors;
        trainStep(optimizer, vars, loss, 0.01);
        const afterFirst = tf.memory().numTensors;
        assert.equal(afterFirst, start + 2 * vars.length); // m and v per variable
        for (let s = 0; s < 5; s++) {
          trainStep(optimizer, vars, loss, 0.01);
          assert.equal(tf.memory().numTensors, afterFirst, `step ${s + 2}`);
        }
        optimizer.dispose();
        assert.equal(tf.memory().numTensors, start);
      } finally {
        optimizer.dispose();
        tf.dispose(vars);
      }
    });

    test("clipByGlobalNorm scales every gradient by one factor, torch's maxNorm / (norm + 1e-6)", () => {
      const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[4]]) }; // joint norm √(9 + 16) = 5
      const start = tf.memory().numTensors;
      try {
        const clipped = clipByGlobalNorm(grads, 1);
        assert.equal(clipped.norm, 5);
        const factor = Math.fround(1 / (5 + 1e-6));
        assert.deepEqual(Array.from(clipped.grads.a.dataSync()), [Math.fround(3 * factor), 0]);
        assert.deepEqual(Array.from(clipped.grads.b.dataSync()), [Math.fround(4 * factor)]);
        assert.deepEqual(clipped.grads.b.shape, [1, 1]);

        const untouched = clipByGlobalNorm(grads, 10);
        assert.equal(untouched.norm, 5);
        assert.deepEqual(Array.from(untouched.grads.a.dataSync()), [3, 0]);
        assert.notEqual(untouched.grads.a, grads.a); // a new tensor, the caller's to dispose

        tf.dispose([...Object.values(clipped.grads), ...Object.values(untouched.grads)]);
        assert.equal(tf.memory().numTensors, start);
        assert.deepEqual(Array.from(grads.a.dataSync()), [3, 0]); // inputs unchanged
        assert.deepEqual(clipByGlobalNorm({}, 1), { grads: {}, norm: 0 });
        assert.throws(() => clipByGlobalNorm(grads, 0), /maxNorm must be a finite number > 0, got 0/);
      } finally {
        tf.dispose(Object.values(grads));
      }
    });
  });
}
