/**
 * The gradients of one training step, computed whole or with gradient caching (Gao et al.,
 * "Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup", 2021; Tevatron's
 * GradCache).
 *
 * A contrastive loss couples every row of the batch (each query's negatives are the other rows'
 * passages), so the plain step keeps the activations of the whole batch until the backward pass:
 * memory grows with the batch. Gradient caching splits the step in three:
 *   1. embed the batch chunk by chunk without recording activations (a chunk's are freed as soon
 *      as its embeddings are out);
 *   2. compute the loss on the [b, d] embeddings and its gradient with respect to them (the
 *      "cache"; small);
 *   3. run each chunk again, recording, and backpropagate the chunk's slice of the cached
 *      gradient: ∂L/∂θ = Σ_chunks (∂e_chunk/∂θ)ᵀ · ∂L/∂e_chunk, accumulated over chunks.
 * Peak memory is then that of one chunk's forward and backward, plus the embeddings; the cost is
 * one more forward pass. The gradients are the plain step's, up to float rounding, provided both
 * passes see the same network: dropout masks here depend on (seed, example, token), not on the
 * chunk (src/model/dropout.ts), and each chunk passes its first row's index in the batch.
 *
 * Any loss over a batch's embeddings plugs in ({@link EmbeddingLoss}): it sees the whole batch's
 * embeddings at once, whichever way the gradients are computed. Per-row metadata (languages,
 * groups) is captured by the closure; a loss with trainable variables of its own (an adversary's
 * classifier) lists them in `lossVariables`, and their gradients come back with the encoder's.
 *
 * @example
 * const info = new InfoNceLoss({ scale: 20 });
 * const loss: EmbeddingLoss = ({ queries, passages }) => info.compute(queries, passages);
 * // a second term over the pooled embeddings and the rows' languages:
 * const both: EmbeddingLoss = (e) => tf.add(loss(e), tf.mul(0.1, adversary.loss(e.queries, languages)));
 * const { value, grads } = stepGradients({ model, queries, passages, loss: both, seed, lossVariables: adversary.variables() }, 16);
 */
import * as tf from "@tensorflow/tfjs";
import type { ForwardOptions } from "../model/encoder.js";
import type { EncodedBatch } from "../model/inputs.js";

/** One batch's embeddings: row i of `passages` is the positive of row i of `queries`. */
export interface PairEmbeddings {
  /** [b, d] */
  readonly queries: tf.Tensor2D;
  /** [b, d] */
  readonly passages: tf.Tensor2D;
}

/**
 * A loss over a batch's embeddings: a scalar, differentiable in both inputs. It must not dispose
 * its inputs, and must treat rows alike whichever way the step is computed (it always sees the
 * whole batch).
 */
export type EmbeddingLoss = (embeddings: PairEmbeddings) => tf.Scalar;

/** What a step needs of a model: `SentenceEncoder` is one. */
export interface EmbeddingModel {
  /** Sentence embeddings [batch, dim] of a tokenised batch, differentiable in `variables()`. */
  forward(batch: EncodedBatch, opts: ForwardOptions): tf.Tensor2D;
  variables(): tf.Variable[];
}

export interface StepInputs {
  readonly model: EmbeddingModel;
  readonly queries: EncodedBatch;
  /** As many rows as `queries`. */
  readonly passages: EncodedBatch;
  readonly loss: EmbeddingLoss;
  /** Seeds this step's dropout masks (the query and passage towers draw from different streams). */
  readonly seed: number;
  /** Trainable variables of the loss itself; their gradients are returned too. */
  readonly lossVariables?: readonly tf.Variable[];
  /**
   * Plain steps: run each tower through the encoder in chunks of this many pairs, the pairs sorted
   * by passage length and each chunk padded only to its own longest row, under one gradient tape.
   * The loss sees the rows in the batch's order, so loss and gradients are the whole batch's (up to
   * float rounding; dropout masks follow a row's place in the sorted order). Default: one piece.
   */
  readonly forwardChunk?: number;
}

/** As `tf.variableGrads`: the loss, and one gradient per variable (keyed by its name) that the loss depends on. */
export interface StepGradients {
  readonly value: tf.Scalar;
  readonly grads: tf.NamedTensorMap;
}

/** The query and passage towers' dropout seeds for a step seed. */
function towerSeeds(seed: number): [number, number] {
  return [seed | 0, (Math.imul(seed | 0, 0x2c1b3c6d) + 0x297a2d39) | 0];
}

/**
 * A step's dropout seed from the run's seed and the step number: a run replays the same masks
 * when resumed.
 */
export function stepSeed(runSeed: number, step: number): number {
  let h = Math.imul(runSeed ^ 0x5bd1e995, 0x01000193) ^ step;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return (h ^ (h >>> 12)) | 0;
}

function checkInputs({ queries, passages }: StepInputs): void {
  if (queries.batch !== passages.batch || queries.batch === 0) {
    throw new Error(`a training step needs as many passages as queries (≥ 1), got ${queries.batch} queries and ${passages.batch} passages`);
  }
}

/** The gradients with the whole batch in one forward and backward pass. */
export function plainGradients(inputs: StepInputs): StepGradients {
  checkInputs(inputs);
  const { model, loss, seed } = inputs;
  const [querySeed, passageSeed] = towerSeeds(seed);
  const chunk = inputs.forwardChunk;
  if (chunk === undefined || chunk >= inputs.queries.batch) {
    return tf.variableGrads(
      () =>
        loss({
          queries: model.forward(inputs.queries, { training: true, seed: querySeed }),
          passages: model.forward(inputs.passages, { training: true, seed: passageSeed }),
        }),
      [...model.variables(), ...(inputs.lossVariables ?? [])],
    );
  }
  if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError(`forward chunk must be an integer ≥ 1, got ${chunk}`);
  const order = byLength(inputs.passages);
  const inverse = new Int32Array(order.length);
  order.forEach((row, i) => (inverse[row] = i));
  const towers = [
    { batch: pickRows(inputs.queries, order), seed: querySeed },
    { batch: pickRows(inputs.passages, order), seed: passageSeed },
  ];
  const ranges = chunkRanges(order.length, chunk);
  const embed = ({ batch, seed }: (typeof towers)[number]) =>
    tf.gather(tf.concat(ranges.map(([start, end]) => model.forward(sliceBatch(batch, start, end), { training: true, seed, rowOffset: start })), 0), tf.tensor1d(inverse, "int32"));
  return tf.variableGrads(() => loss({ queries: embed(towers[0]) as tf.Tensor2D, passages: embed(towers[1]) as tf.Tensor2D }), [
    ...model.variables(),
    ...(inputs.lossVariables ?? []),
  ]);
}

/** Row indices by real length, longest first (ties in row order). */
function byLength(batch: EncodedBatch): number[] {
  const lengths = Array.from({ length: batch.batch }, (_, r) => {
    let n = 0;
    for (let t = 0; t < batch.seqLen; t++) n += batch.attentionMask[r * batch.seqLen + t] !== 0 ? 1 : 0;
    return n;
  });
  return lengths.map((_, r) => r).sort((a, b) => lengths[b] - lengths[a] || a - b);
}

/** Rows `order` of a batch, in that order, at the batch's padding (sliceBatch then trims it per chunk). */
export function pickRows(batch: EncodedBatch, order: readonly number[]): EncodedBatch {
  const take = (a: Int32Array) => {
    const out = new Int32Array(order.length * batch.seqLen);
    order.forEach((row, i) => out.set(a.subarray(row * batch.seqLen, (row + 1) * batch.seqLen), i * batch.seqLen));
    return out;
  };
  return { batch: order.length, seqLen: batch.seqLen, inputIds: take(batch.inputIds), attentionMask: take(batch.attentionMask), tokenTypeIds: take(batch.tokenTypeIds) };
}

/**
 * Rows [start, end) of a batch, padded only to the longest of them: a chunk of short queries
 * costs what short queries cost. Padding is trailing (inputs.ts), so the dropped columns hold no
 * real token and the positions of the real ones are unchanged.
 */
export function sliceBatch(batch: EncodedBatch, start: number, end: number): EncodedBatch {
  const rows = end - start;
  let seqLen = 1;
  for (let r = start; r < end; r++) {
    for (let t = batch.seqLen - 1; t >= seqLen; t--) {
      if (batch.attentionMask[r * batch.seqLen + t] !== 0) {
        seqLen = t + 1;
        break;
      }
    }
  }
  const take = (a: Int32Array) => {
    const out = new Int32Array(rows * seqLen);
    for (let r = 0; r < rows; r++) out.set(a.subarray((start + r) * batch.seqLen, (start + r) * batch.seqLen + seqLen), r * seqLen);
    return out;
  };
  return { batch: rows, seqLen, inputIds: take(batch.inputIds), attentionMask: take(batch.attentionMask), tokenTypeIds: take(batch.tokenTypeIds) };
}

/** [start, end) row ranges of `chunkSize` rows, the last one shorter when it does not divide. */
function chunkRanges(rows: number, chunkSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let start = 0; start < rows; start += chunkSize) out.push([start, Math.min(rows, start + chunkSize)]);
  return out;
}

/** Adds `grads` into `sum` (taking ownership of both) and returns the sums. */
function accumulate(sum: tf.NamedTensorMap, grads: tf.NamedTensorMap): tf.NamedTensorMap {
  for (const [name, g] of Object.entries(grads)) {
    const old = sum[name];
    if (old === undefined) sum[name] = g;
    else {
      sum[name] = tf.add(old, g);
      tf.dispose([old, g]);
    }
  }
  return sum;
}

/**
 * The gradients of {@link plainGradients}, computed in chunks of `chunkSize` queries, then
 * `chunkSize` passages, at the memory cost of one chunk (see the module comment). Call it outside
 * any gradient tape (as the trainer does): the first pass relies on no activation being recorded.
 */
export function cachedGradients(inputs: StepInputs, chunkSize: number): StepGradients {
  checkInputs(inputs);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`grad cache chunk size must be an integer ≥ 1, got ${chunkSize}`);
  const { model, loss, seed } = inputs;
  const variables = model.variables();
  const [querySeed, passageSeed] = towerSeeds(seed);
  const towers = [
    { batch: inputs.queries, seed: querySeed },
    { batch: inputs.passages, seed: passageSeed },
  ];
  const ranges = chunkRanges(inputs.queries.batch, chunkSize);
  const chunkOptions = (seed: number, start: number): ForwardOptions => ({ training: true, seed, rowOffset: start });

  // 1. Embeddings, no activations kept beyond a chunk's forward.
  const [queries, passages] = towers.map(({ batch, seed }) =>
    tf.tidy(() => tf.concat(ranges.map(([start, end]) => model.forward(sliceBatch(batch, start, end), chunkOptions(seed, start))), 0)),
  ) as [tf.Tensor2D, tf.Tensor2D];

  // 2. The loss and its gradient with respect to the embeddings (and to the loss's own variables).
  const queryLeaf = tf.variable(queries, true);
  const passageLeaf = tf.variable(passages, true);
  tf.dispose([queries, passages]);
  let value: tf.Scalar;
  let grads: tf.NamedTensorMap;
  try {
    ({ value, grads } = tf.variableGrads(() => loss({ queries: queryLeaf, passages: passageLeaf }), [queryLeaf, passageLeaf, ...(inputs.lossVariables ?? [])]));
  } finally {
    queryLeaf.dispose();
    passageLeaf.dispose();
  }
  const cache = [grads[queryLeaf.name], grads[passageLeaf.name]];
  const sum: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) if (name !== queryLeaf.name && name !== passageLeaf.name) sum[name] = g;

  // 3. Each chunk again, recorded, its embeddings' gradient pushed back into the encoder.
  try {
    towers.forEach(({ batch, seed }, tower) => {
      const upstream = cache[tower];
      if (upstream === undefined) return; // the loss does not depend on this tower
      for (const [start, end] of ranges) {
        const slice = tf.slice(upstream, [start, 0], [end - start, upstream.shape[1] as number]);
        const chunk = sliceBatch(batch, start, end);
        const step = tf.variableGrads(() => tf.sum(tf.mul(model.forward(chunk, chunkOptions(seed, start)), slice)), variables);
        tf.dispose([step.value, slice]);
        accumulate(sum, step.grads);
      }
    });
  } catch (error) {
    tf.dispose([value, sum]);
    throw error;
  } finally {
    tf.dispose(cache.filter((g): g is tf.Tensor => g !== undefined));
  }
  return { value, grads: sum };
}

/** {@link cachedGradients} in chunks of `chunkSize` rows, or {@link plainGradients} when it is null. */
export function stepGradients(inputs: StepInputs, chunkSize: number | null): StepGradients {
  return chunkSize === null ? plainGradients(inputs) : cachedGradients(inputs, chunkSize);
}
