/**
 * The top k of a score row in trec_eval's order, so that a TREC run we write, the metrics we
 * compute from it, and what trec_eval computes from the file all see one ranking.
 *
 * trec_eval ignores a run's rank column and re-sorts each query's lines by score descending,
 * then by document id descending (`strcmp`, i.e. byte order of the UTF-8 ids); we rank the
 * same way: higher score first, and among equal scores the greater id first. Byte order of
 * UTF-8 is code-point order, which `compareCodePoints` implements (JS `<` compares UTF-16
 * units, which differs above U+FFFF).
 */

/** Code-point order of two strings: negative, zero or positive. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

export class TrecRanker {
  /** Per candidate: its position in ascending id order; a greater one wins a tie. */
  private readonly idOrder: Int32Array;
  private heap: Int32Array = new Int32Array(0);

  /** @param ids candidate ids in score-row order, unique */
  constructor(ids: readonly string[]) {
    const order = Array.from({ length: ids.length }, (_, i) => i).sort((a, b) => compareCodePoints(ids[a], ids[b]));
    this.idOrder = new Int32Array(ids.length);
    order.forEach((c, position) => (this.idOrder[c] = position));
  }

  /**
   * The k best candidates of `row[offset + c]`, best first, into a new Int32Array of candidate
   * indices (fewer when fewer candidates). With `subset`, only those candidates compete.
   * O(n log k): a min-heap of the k best seen so far.
   */
  topK(row: ArrayLike<number>, offset: number, numCandidates: number, k: number, subset?: ArrayLike<number>): Int32Array {
    const n = subset === undefined ? numCandidates : subset.length;
    const size = Math.min(k, n);
    if (this.heap.length < size) this.heap = new Int32Array(size);
    const heap = this.heap;
    const { idOrder } = this;
    // a ranks below b: lower score, or equal score and smaller id.
    const below = (a: number, b: number): boolean => {
      const sa = row[offset + a];
      const sb = row[offset + b];
      return sa < sb || (sa === sb && idOrder[a] < idOrder[b]);
    };
    const siftDown = (i: number, len: number): void => {
      for (;;) {
        const l = 2 * i + 1;
        if (l >= len) return;
        const r = l + 1;
        const m = r < len && below(heap[r], heap[l]) ? r : l;
        if (!below(heap[m], heap[i])) return;
        const t = heap[m];
        heap[m] = heap[i];
        heap[i] = t;
        i = m;
      }
    };
    let len = 0;
    for (let j = 0; j < n; j++) {
      const c = subset === undefined ? j : subset[j];
      const s = row[offset + c];
      if (Number.isNaN(s)) throw new RangeError(`score of candidate ${c} is NaN`);
      if (len < size) {
        heap[len] = c;
        for (let i = len++; i > 0; ) {
          const p = (i - 1) >> 1;
          if (!below(heap[i], heap[p])) break;
          const t = heap[p];
          heap[p] = heap[i];
          heap[i] = t;
          i = p;
        }
      } else if (size > 0 && below(heap[0], c)) {
        heap[0] = c;
        siftDown(0, len);
      }
    }
    // Pop the worst to the back repeatedly: the array ends up best first.
    const out = new Int32Array(len);
    for (let end = len - 1; end >= 0; end--) {
      out[end] = heap[0];
      heap[0] = heap[end];
      siftDown(0, end);
    }
    return out;
  }
}
