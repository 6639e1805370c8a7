/**
 * The contrastive loss of the paper: InfoNCE over cosine similarity with in-batch negatives
 * (sentence-transformers' MultipleNegativesRankingLoss). Each query's positive is the passage in
 * its own row; every other passage in the batch, and every hard negative, is a negative for it.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Options of {@link InfoNceLoss}. Give `scale` or `temperature` (scale = 1 / temperature), not
 * both; with neither, scale is 20 (temperature 0.05), sentence-transformers' default, since the
 * paper does not state one.
 *
 * @example
 * new InfoNceLoss();                                     // scale 20, query→passage only
 * new InfoNceLoss({ temperature: 0.05, symmetric: true }); // also passage→query
 */
export interface InfoNceOptions {
  /** Multiplies the cosine similarities before the softmax; finite, > 0. */
  readonly scale?: number;
  /** Divides the cosine similarities before the softmax; finite, > 0. */
  readonly temperature?: number;
  /**
   * Also average in the passage→query direction (each positive passage must pick its query out
   * of the batch's queries), as MultipleNegativesSymmetricRankingLoss. Default false.
   */
  readonly symmetric?: boolean;
}

export const DEFAULT_SCALE = 20;

const OPTION_KEYS: readonly string[] = ["scale", "temperature", "symmetric"];

function checkPositive(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new RangeError(`InfoNceLoss: ${name} must be a finite number > 0, got ${String(value)}`);
  }
  return value;
}

function checkShapes(queries: tf.Tensor, passages: tf.Tensor, negatives?: tf.Tensor): void {
  const shape = (t: tf.Tensor) => `[${t.shape.join(", ")}]`;
  if (queries.rank !== 2 || passages.rank !== 2) {
    throw new Error(`infoNceLoss: queries and passages must be [batch, dim], got ${shape(queries)} and ${shape(passages)}`);
  }
  const [b, d] = queries.shape;
  if (b === 0 || passages.shape[0] !== b || passages.shape[1] !== d) {
    throw new Error(`infoNceLoss: passages ${shape(passages)} must match queries ${shape(queries)} (one positive per query, batch >= 1)`);
  }
  if (negatives !== undefined && (negatives.rank !== 2 || negatives.shape[1] !== d)) {
    throw new Error(`infoNceLoss: hard negatives must be [m, ${d}], got ${shape(negatives)}`);
  }
}

/** Rows scaled to unit length; a zero row stays zero (torch's F.normalize, eps 1e-12). */
function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  // Clamping the squared norm (rather than the norm) keeps sqrt's infinite slope at 0 out of the
  // gradient, so an all-zero row gives a zero gradient instead of NaN.
  return x.mul(tf.rsqrt(x.square().sum(1, true).maximum(1e-24)));
}

/** Mean over rows of −log softmax(logits)[i, i]: row i's target is column i. */
function diagonalCrossEntropy(logits: tf.Tensor2D): tf.Scalar {
  const [rows, cols] = logits.shape;
  const target = logits.mul(tf.eye(rows, cols)).sum(1); // [rows]
  return tf.logSumExp(logits, 1).sub(target).mean();
}

/**
 * InfoNCE loss of a batch: the mean over queries i of the cross-entropy of
 * softmax(scale · cos(q_i, [p_1 … p_b, n_1 … n_m])) with target p_i. Every hard negative is shared
 * by all queries (as sentence-transformers concatenates them), so `negatives` may be the batch's
 * [b·k, d] hard negatives in any order. With `symmetric`, the result is the average of that and
 * the passage→query loss, in which passage i picks q_i among the b queries (hard negatives take
 * no part there: they have no query of their own).
 *
 * Pure: the inputs are left as they are and every intermediate is released.
 *
 * @param queries   [b, d] query embeddings (any length; normalised here)
 * @param passages  [b, d] positive passage embeddings, row i the positive of query i
 * @param scale     multiplier of the cosine similarities (1 / temperature)
 * @param negatives [m, d] hard-negative passage embeddings
 * @returns a scalar, differentiable with respect to every input
 */
export function infoNceLoss(
  queries: tf.Tensor2D,
  passages: tf.Tensor2D,
  scale: number,
  negatives?: tf.Tensor2D,
  symmetric = false,
): tf.Scalar {
  checkShapes(queries, passages, negatives);
  checkPositive("scale", scale);
  const b = queries.shape[0];
  return tf.tidy(() => {
    const q = normalizeRows(queries); // [b, d]
    const candidates = negatives === undefined ? passages : tf.concat([passages, negatives], 0); // [b+m, d]
    const c = normalizeRows(candidates);
    const logits: tf.Tensor2D = tf.matMul(q, tf.transpose(c)).mul(scale); // [b, b+m]
    const forward = diagonalCrossEntropy(logits);
    if (!symmetric) return forward;
    const backward = diagonalCrossEntropy(tf.transpose(logits.slice([0, 0], [b, b]))); // [b passages, b queries]
    return forward.add(backward).div(2);
  });
}

/**
 * InfoNCE over cosine similarity with in-batch negatives, options checked once up front.
 *
 * @example
 * const loss = new InfoNceLoss({ scale: 20 });
 * const value = loss.compute(queryEmbeddings, passageEmbeddings); // tf.Scalar
 */
export class InfoNceLoss {
  readonly scale: number;
  readonly symmetric: boolean;

  constructor(options: InfoNceOptions = {}) {
    const unknown = Object.keys(options).filter((key) => !OPTION_KEYS.includes(key));
    if (unknown.length > 0) {
      throw new Error(`InfoNceLoss: unknown option(s) ${unknown.join(", ")} (allowed: ${OPTION_KEYS.join(", ")})`);
    }
    const { scale, temperature, symmetric = false } = options;
    if (scale !== undefined && temperature !== undefined) {
      throw new Error(`InfoNceLoss: give scale (${scale}) or temperature (${temperature}), not both: scale = 1 / temperature`);
    }
    if (typeof symmetric !== "boolean") {
      throw new TypeError(`InfoNceLoss: symmetric must be true or false, got ${String(symmetric)}`);
    }
    this.scale =
      temperature !== undefined ? 1 / checkPositive("temperature", temperature) : scale !== undefined ? checkPositive("scale", scale) : DEFAULT_SCALE;
    this.symmetric = symmetric;
  }

  /**
   * @param queries       [b, d] query embeddings
   * @param passages      [b, d] positive passages, row i the positive of query i
   * @param hardNegatives [m, d] (typically [b·k, d]) extra negatives shared by every query
   * @returns the mean loss over the batch, a scalar the caller disposes
   */
  compute(queries: tf.Tensor2D, passages: tf.Tensor2D, hardNegatives?: tf.Tensor2D): tf.Scalar {
    return infoNceLoss(queries, passages, this.scale, hardNegatives, this.symmetric);
  }
}
