/**
 * The language-adversarial strategy (domain-adversarial training, Ganin & Lempitsky 2015, with
 * languages as domains): a small discriminator predicts the language of every sentence embedding
 * of a batch (queries and passages), and its loss reaches the encoder through a gradient-reversal
 * layer of weight λ, so that while the discriminator learns to tell languages apart the encoder
 * learns to make them indistinguishable. The encoder minimises InfoNCE − λ · CE(discriminator);
 * the discriminator minimises CE with its own Adam and learning rate.
 *
 * Batches come from the x-y sampler: its groups are drawn without regard to language and each
 * pair's (query, passage) languages uniformly among the group's ordered pairs, so every batch
 * holds a mix of languages — the discriminator sees several classes per batch (an x-x batch would
 * show it one language, which a bias alone predicts) — and the run differs from the x-y strategy
 * in the discriminator alone: with λ = 0 it trains the encoder exactly as x-y does.
 *
 * λ warms up linearly from 0 over `warmupSteps` optimiser steps (the discriminator first learns
 * something worth reversing); the discriminator itself always trains.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DataError } from "../util/errors.js";
import { ADVERSARY_STATE_NAME, readAdversaryState, writeAdversaryState } from "../run-files/adversary-state.js";
import type { Batch } from "../sampling/types.js";
import type { AdversarialSection } from "./config.js";
import type { EmbeddingLoss, StepGradients } from "./grad-cache.js";
import { AdamW, type MomentState } from "./optimizer.js";

export { ADVERSARY_STATE_NAME } from "../run-files/adversary-state.js";

/**
 * The identity forward; backward, the incoming gradient times −λ.
 *
 * @param x any tensor
 * @returns a tensor equal to x whose gradient is −λ times the gradient flowing into it
 */
export function reverseGradient<T extends tf.Tensor>(x: T, lambda: number): T {
  if (!Number.isFinite(lambda) || lambda < 0) throw new RangeError(`reverseGradient: lambda must be a finite number ≥ 0, got ${lambda}`);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: (args[0] as tf.Tensor).clone(),
    gradFunc: (dy: tf.Tensor) => dy.mul(-lambda),
  }));
  return op(x) as T;
}

/** λ at a step (optimiser steps done before it): a linear ramp from 0 over `warmupSteps`, then λ. */
export function lambdaAt(step: number, options: Pick<AdversarialSection, "lambda" | "warmupSteps">): number {
  if (options.warmupSteps === 0 || step >= options.warmupSteps) return options.lambda;
  return (options.lambda * step) / options.warmupSteps;
}

/** Means over the steps since the last `takeInterval`, for the metrics line. */
export interface AdversaryInterval {
  /** The discriminator's cross-entropy. */
  readonly loss: number;
  /** Its accuracy on the batch's sentences (chance: 1 / languages). */
  readonly accuracy: number;
  /** λ of the interval's last step. */
  readonly lambda: number;
}

/**
 * The discriminator and its optimiser: logits = relu(x W1 + b1) W2 + b2, x the [n, dim] sentence
 * embeddings behind the reversal layer, one output per training language.
 *
 * @example
 * const adversary = new LanguageAdversary(config.adversarial, pools.languages, model.dim, config.model.seed);
 * const gradients = (loss, lossVariables) => stepGradients({ model, queries, passages, loss, lossVariables, seed }, chunkSize);
 * const { value, grads } = adversary.variableGrads(gradients, (e) => loss.compute(e.queries, e.passages), batch, step);
 */
export class LanguageAdversary {
  readonly languages: readonly string[];
  private readonly langIndex: Map<string, number>;
  private readonly weights: { readonly w1: tf.Variable; readonly b1: tf.Variable; readonly w2: tf.Variable; readonly b2: tf.Variable };
  private readonly optimizer: AdamW;
  private interval = { loss: 0, correct: 0, rows: 0, steps: 0, lambda: 0 };

  constructor(
    readonly options: AdversarialSection,
    languages: readonly string[],
    readonly dim: number,
    seed: number,
  ) {
    if (languages.length < 2) throw new RangeError(`the adversarial strategy needs training data in two or more languages, got ${languages.join(", ") || "none"}`);
    this.languages = [...languages];
    this.langIndex = new Map(languages.map((l, i) => [l, i]));
    const { hidden } = options;
    const L = languages.length;
    // Glorot-uniform kernels, zero biases; seeded so a run (and its resume) is reproducible.
    const glorot = (rows: number, cols: number, s: number) => tf.randomUniform([rows, cols], -Math.sqrt(6 / (rows + cols)), Math.sqrt(6 / (rows + cols)), "float32", s);
    this.weights = tf.tidy(() => ({
      w1: tf.variable(glorot(dim, hidden, seed * 2 + 1)),
      b1: tf.variable(tf.zeros([hidden])),
      w2: tf.variable(glorot(hidden, L, seed * 2 + 2)),
      b2: tf.variable(tf.zeros([L])),
    }));
    this.optimizer = new AdamW(Object.values(this.weights), { weightDecay: 0 });
  }

  variables(): tf.Variable[] {
    return Object.values(this.weights);
  }

  /** The language index of every sentence of a batch: the queries' languages, then the passages'. */
  labels(batch: Batch): Int32Array {
    const index = (lang: string) => {
      const i = this.langIndex.get(lang);
      if (i === undefined) throw new Error(`the discriminator knows no language '${lang}' (it has ${this.languages.join(", ")})`);
      return i;
    };
    return Int32Array.from([...batch.pairs.map((p) => index(p.queryLang)), ...batch.pairs.map((p) => index(p.passageLang))]);
  }

  /**
   * The discriminator's logits [n, languages] for embeddings [n, dim], through the reversal layer
   * of weight λ.
   */
  logits(embeddings: tf.Tensor2D, lambda: number): tf.Tensor2D {
    const { w1, b1, w2, b2 } = this.weights;
    return tf.tidy(() => tf.relu(reverseGradient(embeddings, lambda).matMul(w1).add(b1)).matMul(w2).add(b2) as tf.Tensor2D);
  }

  /** Mean softmax cross-entropy of the logits against `labels`. */
  loss(logits: tf.Tensor2D, labels: Int32Array): tf.Scalar {
    return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), this.languages.length), logits) as tf.Scalar);
  }

  /**
   * One step's gradients: what `tf.variableGrads` over the encoder's InfoNCE would give, with the
   * reversed discriminator loss added to the encoder's gradients. The discriminator's own
   * gradients are applied here (its Adam, its rate), unless the loss is not finite; the encoder's
   * are returned for the trainer to clip and apply as for any strategy.
   *
   * @param gradients the trainer's step (plain or grad-cached, grad-cache.ts) over a loss of the
   *   [b, dim] query and passage embeddings and the loss's own variables
   * @param contrastive InfoNCE of the query and passage embeddings
   * @param step optimiser steps done before this one (λ's warm-up)
   * @returns value: the InfoNCE loss (what the trainer logs); grads: the encoder's, by variable name
   */
  variableGrads(
    gradients: (loss: EmbeddingLoss, lossVariables: readonly tf.Variable[]) => StepGradients,
    contrastive: EmbeddingLoss,
    batch: Batch,
    step: number,
  ): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const lambda = lambdaAt(step, this.options);
    const labels = this.labels(batch);
    let contrastiveLoss: tf.Scalar | null = null;
    let discriminatorLoss: tf.Scalar | null = null;
    let predicted: tf.Tensor1D | null = null;
    const own = this.variables();
    const { value, grads } = gradients((e) => {
      const nce = contrastive(e);
      const logits = this.logits(tf.concat([e.queries, e.passages], 0), lambda);
      const ce = this.loss(logits, labels);
      contrastiveLoss = tf.keep(nce.clone());
      discriminatorLoss = tf.keep(ce.clone());
      predicted = tf.keep(logits.argMax<tf.Tensor1D>(1));
      // The encoder's gradient of this sum is InfoNCE's minus λ times CE's (the reversal layer);
      // the discriminator's is CE's alone.
      return nce.add(ce);
    }, own);
    value.dispose();
    const ownNames = new Set(own.map((v) => v.name));
    const encoderGrads: tf.NamedTensorMap = {};
    const discriminatorGrads: tf.NamedTensorMap = {};
    for (const [name, g] of Object.entries(grads)) (ownNames.has(name) ? discriminatorGrads : encoderGrads)[name] = g;
    const ce = discriminatorLoss!.dataSync()[0];
    const hits = (predicted! as tf.Tensor1D).dataSync();
    tf.dispose([discriminatorLoss!, predicted!]);
    if (Number.isFinite(ce)) {
      this.optimizer.step(discriminatorGrads, this.options.lr);
      let correct = 0;
      hits.forEach((p, i) => (correct += p === labels[i] ? 1 : 0));
      this.interval.loss += ce;
      this.interval.correct += correct;
      this.interval.rows += labels.length;
      this.interval.steps += 1;
      this.interval.lambda = lambda;
    }
    tf.dispose(Object.values(discriminatorGrads));
    return { value: contrastiveLoss!, grads: encoderGrads };
  }

  /** Means since the last call (null when no step was counted), then starts a new interval. */
  takeInterval(): AdversaryInterval | null {
    const i = this.interval;
    this.interval = { loss: 0, correct: 0, rows: 0, steps: 0, lambda: i.lambda };
    return i.steps === 0 ? null : { loss: i.loss / i.steps, accuracy: i.correct / i.rows, lambda: i.lambda };
  }

  /** Writes adversary.json into a checkpoint directory (run-files/adversary-state.ts). */
  async save(dir: string): Promise<void> {
    const state = await this.optimizer.state();
    const weights: Record<string, Float32Array> = {};
    const moments: Record<string, MomentState> = {};
    for (const [role, variable] of Object.entries(this.weights)) {
      weights[role] = variable.dataSync() as Float32Array;
      const s = state.moments[variable.name];
      if (s !== undefined) moments[role] = s;
    }
    await writeAdversaryState(dir, { languages: this.languages, dim: this.dim, hidden: this.options.hidden, step: state.step, weights, moments });
  }

  /** Loads what {@link save} wrote; a checkpoint of another discriminator shape or language set is refused. */
  async restore(dir: string): Promise<void> {
    const path = join(dir, ADVERSARY_STATE_NAME);
    const file = await readAdversaryState(dir);
    if (file.dim !== this.dim || file.hidden !== this.options.hidden || file.languages.join(",") !== this.languages.join(",")) {
      throw new DataError(path, `a discriminator of dim ${file.dim}, width ${file.hidden} over ${file.languages.join(" ")}; this run's is ${this.dim}, ${this.options.hidden}, ${this.languages.join(" ")}`);
    }
    const moments: Record<string, MomentState> = {};
    for (const [role, variable] of Object.entries(this.weights)) {
      const values = file.weights[role];
      if (values === undefined || values.length !== variable.size) {
        throw new DataError(path, `weights.${role} holds ${values?.length ?? 0} values, the discriminator's ${variable.size}`);
      }
      const t = tf.tensor(values, variable.shape);
      variable.assign(t);
      t.dispose();
      const s = file.moments[role];
      if (s !== undefined) moments[variable.name] = s;
    }
    this.optimizer.restore({ step: file.step, moments });
  }

  dispose(): void {
    this.optimizer.dispose();
    tf.dispose(this.variables());
  }
}
