/**
 * BM25 over XLM-R sentencepiece pieces: the no-training baseline, so the suite scores something
 * real from day one. It is a `Scorer`, so it goes through the same evaluator as dense models.
 */
import type { Scorer } from "../eval/types.js";

export interface Bm25Options {
  /** Term-frequency saturation. Default 1.2 (Lucene, Anserini). */
  readonly k1?: number;
  /** Length normalisation. Default 0.75. */
  readonly b?: number;
}

/** An inverted index over documents given as term ids (any integer vocabulary). */
export class Bm25Index {
  readonly numDocs: number;
  private readonly postings = new Map<number, { docs: Int32Array; weights: Float32Array }>();

  constructor(docs: readonly (readonly number[])[], options: Bm25Options = {}) {
    const k1 = options.k1 ?? 1.2;
    const b = options.b ?? 0.75;
    if (!(k1 >= 0)) throw new Error(`BM25 k1 must be >= 0, got ${k1}`);
    if (!(b >= 0 && b <= 1)) throw new Error(`BM25 b must be in [0, 1], got ${b}`);
    this.numDocs = docs.length;
    const avgLen = docs.reduce((s, d) => s + d.length, 0) / Math.max(1, docs.length);

    const byTerm = new Map<number, { docs: number[]; tfs: number[] }>();
    docs.forEach((doc, d) => {
      const tf = new Map<number, number>();
      for (const t of doc) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let p = byTerm.get(t);
        if (!p) byTerm.set(t, (p = { docs: [], tfs: [] }));
        p.docs.push(d);
        p.tfs.push(n);
      }
    });
    // Each posting stores its whole BM25 term weight, so scoring a query is only additions.
    for (const [t, p] of byTerm) {
      const df = p.docs.length;
      const idf = Math.log(1 + (this.numDocs - df + 0.5) / (df + 0.5)); // Lucene's idf: never negative
      const weights = new Float32Array(df);
      p.docs.forEach((d, i) => {
        const tf = p.tfs[i];
        const norm = k1 * (1 - b + (b * docs[d].length) / avgLen);
        weights[i] = (idf * tf * (k1 + 1)) / (tf + norm);
      });
      this.postings.set(t, { docs: Int32Array.from(p.docs), weights });
    }
  }

  /** Adds the BM25 scores of `query` against every document into `out` ([numDocs]). */
  scoreInto(query: readonly number[], out: Float32Array): void {
    for (const t of query) {
      const p = this.postings.get(t);
      if (!p) continue;
      for (let i = 0; i < p.docs.length; i++) out[p.docs[i]] += p.weights[i];
    }
  }

  /** A `Scorer` for the evaluator: one row of document scores per query. */
  scorer(queries: readonly (readonly number[])[]): Scorer {
    return {
      numQueries: queries.length,
      numCandidates: this.numDocs,
      scoreBlock: (start, count, out) => {
        out.fill(0, 0, count * this.numDocs);
        for (let i = 0; i < count; i++) this.scoreInto(queries[start + i], out.subarray(i * this.numDocs, (i + 1) * this.numDocs));
      },
    };
  }
}
