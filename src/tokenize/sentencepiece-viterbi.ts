/**
 * Unigram segmentation exactly as sentencepiece computes it (unigram_model.cc, EncodeOptimized):
 * a forward pass that keeps, for every end position, the best path's score as a **float32**,
 * preferring the earliest start on a tie. A piece's candidate is float32 score + float32 path
 * score added and compared in double (the `- 0.1` of the user-defined branch makes the
 * expression double) and rounded to float32 when stored; an unknown character's candidate is
 * added in float32. @huggingface/tokenizers and Rust `tokenizers` keep float64 path scores, so
 * where two segmentations come out equal or swapped after rounding (e.g. "." + "..." against
 * "..." + "." late in a long sentence) they pick a different one than sentencepiece does.
 */

/** What the segmenter needs from a Unigram vocabulary. */
export interface UnigramVocab {
  /** The pieces that start at `chars[start]`, in any order. */
  prefixes(chars: readonly string[], start: number): Iterable<string>;
  /** A piece's float32 score, or undefined for a piece the lattice must not use. */
  score(piece: string): number | undefined;
  /** float32(float32(lowest score) − 10), sentencepiece's score for an unknown character. */
  readonly unkScore: number;
}

/**
 * Segments one pre-tokenized word. Returns the pieces; a character no piece covers comes back
 * as itself (callers map it to the unknown id).
 */
export function sentencepieceSegment(text: string, vocab: UnigramVocab): string[] {
  const chars = Array.from(text);
  const n = chars.length;
  if (n === 0) return [];
  // For each end position: the best path's score, where its last piece starts, and that piece.
  const best = new Float32Array(n + 1);
  const startOf = new Int32Array(n + 1).fill(-1);
  const pieceOf: (string | null)[] = new Array<string | null>(n + 1).fill(null);
  startOf[0] = 0;
  for (let start = 0; start < n; start++) {
    const here = best[start];
    let single = false;
    const offer = (end: number, piece: string | null, candidate: number): void => {
      if (startOf[end] === -1 || candidate > best[end]) {
        best[end] = candidate;
        startOf[end] = start;
        pieceOf[end] = piece;
      }
    };
    // sentencepiece walks its trie byte by byte, so a start's pieces come shortest first.
    const found: Array<[length: number, piece: string, score: number]> = [];
    for (const piece of vocab.prefixes(chars, start)) {
      const score = vocab.score(piece);
      if (score === undefined) continue;
      const length = codepoints(piece);
      found.push([length, piece, score]);
      if (length === 1) single = true;
    }
    found.sort((a, b) => a[0] - b[0]);
    for (const [length, piece, score] of found) offer(start + length, piece, score + here);
    if (!single) offer(start + 1, null, Math.fround(vocab.unkScore + here));
  }
  const pieces: string[] = [];
  for (let end = n; end > 0; end = startOf[end]) {
    pieces.push(pieceOf[end] ?? chars.slice(startOf[end], end).join(""));
  }
  return pieces.reverse();
}

function codepoints(s: string): number {
  let count = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) count++;
  }
  return count;
}
