/**
 * Scores dense embeddings by dot product (cosine for L2-normalised rows) with a tfjs matMul per
 * block of queries, on whatever backend `initBackend` chose.
 */
import * as tf from "@tensorflow/tfjs";
import type { Scorer } from "./types.js";

export class DenseScorer implements Scorer {
  readonly numQueries: number;
  readonly numCandidates: number;
  /**
   * [dim × numCandidates]: transposed once here because the wasm backend's matMul with
   * transposeB runs about ten times slower than on a pre-transposed operand.
   */
  private candidatesT: tf.Tensor2D | null;

  /**
   * @param queries row-major [numQueries × dim]
   * @param candidates row-major [numCandidates × dim]; copied into the backend, so the array may
   *   be dropped afterwards
   * @example
   * await initBackend();
   * const scorer = new DenseScorer(questions.data, candidates.data, 768);
   * try { result = await evaluate(task, scorer); } finally { scorer.dispose(); }
   */
  constructor(
    private readonly queries: Float32Array,
    candidates: Float32Array,
    readonly dim: number,
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim: ${dim} is not a positive integer`);
    for (const [name, m] of [["queries", queries], ["candidates", candidates]] as const) {
      if (m.length % dim !== 0) throw new RangeError(`${name} has ${m.length} values, not a multiple of dim ${dim}`);
    }
    this.numQueries = queries.length / dim;
    this.numCandidates = candidates.length / dim;
    this.candidatesT = tf.tidy(() => tf.tensor2d(candidates, [this.numCandidates, dim]).transpose<tf.Tensor2D>());
  }

  scoreBlock(start: number, count: number, out: Float32Array): void {
    if (this.candidatesT === null) throw new Error("DenseScorer used after dispose()");
    if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= this.numQueries)) {
      throw new RangeError(`block ${start}+${count} is outside [0, ${this.numQueries})`);
    }
    if (out.length < count * this.numCandidates) {
      throw new RangeError(`out holds ${out.length} values, the block needs ${count * this.numCandidates}`);
    }
    const candidatesT = this.candidatesT;
    const block = this.queries.subarray(start * this.dim, (start + count) * this.dim);
    // [count × dim] · [dim × numCandidates] → [count × numCandidates]
    const scores = tf.tidy(() => tf.matMul(tf.tensor2d(block, [count, this.dim]), candidatesT));
    try {
      out.set(scores.dataSync());
    } finally {
      scores.dispose();
    }
  }

  /** Frees the backend copy of the candidates. */
  dispose(): void {
    this.candidatesT?.dispose();
    this.candidatesT = null;
  }
}
