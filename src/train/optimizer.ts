/**
 * AdamW as torch.optim.AdamW computes it (decoupled weight decay, Loshchilov & Hutter), with the
 * decay mask of transformers' Trainer, plus global-norm gradient clipping. The learning rate is an
 * argument of every step rather than optimiser state: the schedule is a pure function of the
 * step, and the training loop hands its value over.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Whether a parameter is decayed unless told otherwise: transformers' Trainer leaves biases and
 * LayerNorm weights undecayed, since shrinking them towards 0 regularises nothing useful.
 */
export function decaysByDefault(name: string): boolean {
  return !(name === "bias" || name.endsWith(".bias") || name.includes("LayerNorm"));
}

/**
 * Hyperparameters of {@link AdamW}; every one has torch's default, except `weightDecay`, which
 * is the paper's 0.01 (also torch's AdamW default).
 *
 * @example
 * const optimizer = new AdamW(variables, { weightDecay: 0.01 });
 * optimizer.step(grads, learningRate(step, schedule));
 */
export interface AdamWOptions {
  /** Decay rate of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Decay rate of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to the root of the second moment, > 0. Default 1e-8. */
  readonly epsilon?: number;
  /** Fraction of a weight removed per unit of learning rate, >= 0. Default 0.01. */
  readonly weightDecay?: number;
  /** Which variables (by name) weight decay applies to. Default {@link decaysByDefault}. */
  readonly decayMask?: (name: string) => boolean;
}

const OPTION_KEYS: readonly string[] = ["beta1", "beta2", "epsilon", "weightDecay", "decayMask"];

/** One variable's optimiser state: its own step count (torch keeps one per parameter) and moments. */
export interface MomentState {
  /** Updates this variable has had; the bias correction uses it. */
  readonly step: number;
  /** First moment, row-major, as long as the variable. */
  readonly m: Float32Array;
  /** Second moment, row-major, as long as the variable. */
  readonly v: Float32Array;
}

/** Everything {@link AdamW.restore} needs to continue a run exactly where {@link AdamW.state} left it. */
export interface OptimizerState {
  /** Calls of `step` so far. */
  readonly step: number;
  /** Keyed by variable name; a variable that has never had a gradient has no entry. */
  readonly moments: Readonly<Record<string, MomentState>>;
}

interface Moments {
  step: number;
  m: tf.Tensor; // same shape as the variable
  v: tf.Tensor;
}

function checkUnit(name: string, value: unknown): number {
  if (typeof value !== "number" || !(value >= 0 && value < 1)) {
    throw new RangeError(`AdamW: ${name} must be a number in [0, 1), got ${String(value)}`);
  }
  return value;
}

function checkFinite(name: string, value: unknown, min: number, inclusive: boolean): number {
  const ok = typeof value === "number" && Number.isFinite(value) && (inclusive ? value >= min : value > min);
  if (!ok) throw new RangeError(`AdamW: ${name} must be a finite number ${inclusive ? ">=" : ">"} ${min}, got ${String(value)}`);
  return value as number;
}

function checkStep(what: string, value: unknown, min: number): void {
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new RangeError(`AdamW.restore: ${what} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * AdamW over a fixed list of variables, each known by its `name` (the keys `tf.variableGrads`
 * gives its gradients under).
 *
 * Per step and per variable with a gradient g (t = that variable's update count, lr the step's
 * rate):
 *   p ← p · (1 − lr · weightDecay)            only where the decay mask says so
 *   m ← β1 · m + (1 − β1) · g
 *   v ← β2 · v + (1 − β2) · g²
 *   p ← p − lr / (1 − β1^t) · m / (√v / √(1 − β2^t) + ε)
 * A variable without a gradient this step is left alone, decay included, as torch skips a
 * parameter whose grad is None.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly decayMask: (name: string) => boolean;
  private readonly variables = new Map<string, tf.Variable>();
  private moments = new Map<string, Moments>();
  private steps = 0;

  constructor(variables: readonly tf.Variable[], options: AdamWOptions = {}) {
    const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.includes(key));
    if (unknown.length > 0) {
      throw new Error(`AdamW: unknown option(s) ${unknown.join(", ")} (allowed: ${OPTION_KEYS.join(", ")})`);
    }
    this.beta1 = checkUnit("beta1", options.beta1 ?? 0.9);
    this.beta2 = checkUnit("beta2", options.beta2 ?? 0.999);
    this.epsilon = checkFinite("epsilon", options.epsilon ?? 1e-8, 0, false);
    this.weightDecay = checkFinite("weightDecay", options.weightDecay ?? 0.01, 0, true);
    const mask = options.decayMask ?? decaysByDefault;
    if (typeof mask !== "function") throw new TypeError(`AdamW: decayMask must be a function of the variable name`);
    this.decayMask = mask;
    for (const variable of variables) {
      if (this.variables.has(variable.name)) throw new Error(`AdamW: variable '${variable.name}' is listed twice`);
      if (variable.dtype !== "float32") throw new Error(`AdamW: variable '${variable.name}' is ${variable.dtype}, not float32`);
      this.variables.set(variable.name, variable);
    }
  }

  /** Calls of {@link step} so far (restored by {@link restore}). */
  get stepCount(): number {
    return this.steps;
  }

  /**
   * Updates every variable named in `grads` in place. The gradients stay the caller's to dispose;
   * nothing else this allocates outlives the call but the new moments.
   *
   * @param grads        gradient per variable name, each the shape of its variable
   * @param learningRate this step's rate (finite, >= 0), e.g. from `learningRate(step, schedule)`
   */
  step(grads: tf.NamedTensorMap, learningRate: number): void {
    if (typeof learningRate !== "number" || !Number.isFinite(learningRate) || learningRate < 0) {
      throw new RangeError(`AdamW.step: learningRate must be a finite number >= 0, got ${String(learningRate)}`);
    }
    // All checked before any variable moves, so a bad call leaves the model as it was.
    for (const [name, grad] of Object.entries(grads)) {
      const variable = this.variables.get(name);
      if (variable === undefined) throw new Error(`AdamW.step: gradient for '${name}', which is not one of the optimiser's variables`);
      if (!tf.util.arraysEqual(grad.shape, variable.shape)) {
        throw new Error(`AdamW.step: gradient of '${name}' is [${grad.shape.join(", ")}], the variable [${variable.shape.join(", ")}]`);
      }
    }
    const { beta1, beta2, epsilon } = this;
    for (const [name, grad] of Object.entries(grads)) {
      const variable = this.variables.get(name) as tf.Variable;
      const previous = this.moments.get(name);
      const t = (previous?.step ?? 0) + 1;
      const stepSize = learningRate / (1 - beta1 ** t);
      const rootCorrection = Math.sqrt(1 - beta2 ** t);
      const keep = this.decayFactor(name, learningRate);
      const next = tf.tidy(() => {
        // Zero moments on a variable's first update: β·0 + (1 − β)·g is just (1 − β)·g.
        const m = previous ? previous.m.mul(beta1).add(grad.mul(1 - beta1)) : grad.mul(1 - beta1);
        const v = previous ? previous.v.mul(beta2).add(grad.square().mul(1 - beta2)) : grad.square().mul(1 - beta2);
        const denominator = v.sqrt().div(rootCorrection).add(epsilon);
        // Decay uses the weight before this step's Adam update, as torch does.
        const decayed = keep === 1 ? variable : variable.mul(keep);
        variable.assign(decayed.sub(m.div(denominator).mul(stepSize)));
        return { m, v };
      });
      previous?.m.dispose();
      previous?.v.dispose();
      this.moments.set(name, { step: t, m: next.m, v: next.v });
    }
    this.steps += 1;
  }

  /**
   * What a step at `learningRate` multiplies the variable `name` by before its Adam update: 1 −
   * lr · weightDecay, or 1 where the decay mask exempts it.
   */
  decayFactor(name: string, learningRate: number): number {
    return this.decayMask(name) ? 1 - learningRate * this.weightDecay : 1;
  }

  /**
   * A copy of the step count and moments. Taken as of the call: steps run while it is being read
   * do not show in it.
   */
  async state(): Promise<OptimizerState> {
    const step = this.steps;
    // Clones hold the data alive even if a step disposes the originals during the awaits.
    const snapshot = [...this.moments].map(([name, s]) => ({ name, step: s.step, m: s.m.clone(), v: s.v.clone() }));
    try {
      const moments: Record<string, MomentState> = {};
      for (const s of snapshot) {
        const [m, v] = await Promise.all([s.m.data<"float32">(), s.v.data<"float32">()]);
        moments[s.name] = { step: s.step, m: m.slice(), v: v.slice() };
      }
      return { step, moments };
    } finally {
      for (const s of snapshot) tf.dispose([s.m, s.v]);
    }
  }

  /**
   * Replaces the step count and all moments with `state`'s (a variable absent from it starts
   * afresh). The variables' values are not part of the state: restore those from the checkpoint
   * beside it. Validated in full before anything changes.
   */
  restore(state: OptimizerState): void {
    checkStep("step", state.step, 0);
    for (const [name, s] of Object.entries(state.moments)) {
      const variable = this.variables.get(name);
      if (variable === undefined) throw new Error(`AdamW.restore: state for '${name}', which is not one of the optimiser's variables`);
      checkStep(`step of '${name}'`, s.step, 1);
      if (s.m.length !== variable.size || s.v.length !== variable.size) {
        throw new Error(`AdamW.restore: moments of '${name}' hold ${s.m.length} and ${s.v.length} values, the variable ${variable.size}`);
      }
    }
    const moments = new Map<string, Moments>();
    for (const [name, s] of Object.entries(state.moments)) {
      const shape = (this.variables.get(name) as tf.Variable).shape;
      // Copies, so the tensors never alias arrays the caller may reuse.
      moments.set(name, { step: s.step, m: tf.tensor(s.m.slice(), shape, "float32"), v: tf.tensor(s.v.slice(), shape, "float32") });
    }
    this.disposeMoments();
    this.moments = moments;
    this.steps = state.step;
  }

  /** Releases the moments; the variables are the caller's. */
  dispose(): void {
    this.disposeMoments();
    this.steps = 0;
  }

  private disposeMoments(): void {
    for (const s of this.moments.values()) tf.dispose([s.m, s.v]);
    this.moments.clear();
  }
}

/**
 * Scales all gradients by one factor so that their joint L2 norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_ does: factor = min(1, maxNorm / (norm + 1e-6)), the 1e-6
 * guarding against a zero norm. The inputs are untouched; the returned tensors are new (clones
 * when no scaling is needed) and the caller's to dispose.
 *
 * A non-finite norm is returned as is (and the gradients come back NaN, as in torch): check it to
 * skip the step.
 *
 * @returns the clipped gradients, and the norm before clipping (for logging)
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number): { grads: tf.NamedTensorMap; norm: number } {
  if (typeof maxNorm !== "number" || !Number.isFinite(maxNorm) || maxNorm <= 0) {
    throw new RangeError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${String(maxNorm)}`);
  }
  const entries = Object.entries(grads);
  if (entries.length === 0) return { grads: {}, norm: 0 };
  const normTensor = tf.tidy(() => tf.addN(entries.map(([, g]) => g.square().sum())).sqrt()); // scalar
  const norm = normTensor.dataSync()[0];
  normTensor.dispose();
  const factor = Math.min(1, maxNorm / (norm + 1e-6));
  const clipped: tf.NamedTensorMap = {};
  for (const [name, g] of entries) clipped[name] = factor === 1 ? g.clone() : g.mul(factor);
  return { grads: clipped, norm };
}
