/**
 * Sentence embeddings from an encoder's last hidden state, as sentence-transformers computes
 * them. Pure functions: each runs inside tf.tidy and returns one new tensor.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * Mean of the real tokens' vectors: hidden [batch, seq, hidden], mask [batch, seq] (1 real,
 * 0 padding, any numeric dtype) → [batch, hidden]. A row with no real token divides by 1e-9
 * (giving zeros), as sentence-transformers clamps the count.
 *
 * @example
 * const embeddings = l2Normalize(meanPool(encoder.forward(inputs), inputs.attentionMask));
 */
export function meanPool(hidden: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    // [batch, seq, 1]: broadcasts over hidden.
    const weights = tf.cast(mask, "float32").expandDims(2);
    const sum = tf.sum(tf.mul(hidden, weights), 1);
    const count = tf.maximum(tf.sum(weights, 1), 1e-9);
    return tf.div(sum, count) as tf.Tensor2D;
  });
}

/** The first token's vector ([CLS] / <s>): [batch, seq, hidden] → [batch, hidden]. */
export function clsPool(hidden: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, , size] = hidden.shape;
    return tf.slice(hidden, [0, 0, 0], [batch, 1, size]).reshape([batch, size]) as tf.Tensor2D;
  });
}

/**
 * Rows scaled to unit length: x / max(‖x‖₂, 1e-12) over the last axis, as
 * torch.nn.functional.normalize (so a zero row stays zero).
 */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as T;
  });
}
