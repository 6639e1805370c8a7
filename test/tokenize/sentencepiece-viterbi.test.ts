/**
 * The Unigram segmenter on hand-made vocabularies: against a slow exhaustive search over every
 * segmentation (scores that add exactly, so float32 plays no part), then the float32 rounding and
 * the tie rule that make it sentencepiece's rather than a float64 Viterbi's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { sentencepieceSegment, type UnigramVocab } from "../../src/tokenize/sentencepiece-viterbi.js";
import { mulberry32, randomInt } from "../../src/util/random.js";

/** A vocabulary from piece → score (undefined: a piece the lattice must not use). */
function vocab(scores: Record<string, number | undefined>, unkScore = -100): UnigramVocab {
  const pieces = Object.keys(scores);
  return {
    prefixes: (chars, start) => pieces.filter((p) => chars.slice(start).join("").startsWith(p)),
    score: (piece) => scores[piece],
    unkScore,
  };
}

/**
 * Every segmentation, each segment a usable piece or (where no one-character piece starts) a
 * single unknown character; the best total, ties going to the segmentation whose last piece
 * starts earliest, then the one before it, and so on.
 */
function slowSegment(text: string, scores: Record<string, number | undefined>, unkScore: number): string[] {
  const chars = Array.from(text);
  let best: { score: number; starts: number[]; pieces: string[] } | null = null;
  const walk = (at: number, score: number, starts: number[], pieces: string[]): void => {
    if (at === chars.length) {
      const better =
        best === null ||
        score > best.score ||
        (score === best.score && compareFromEnd(starts, best.starts) < 0);
      if (better) best = { score, starts, pieces };
      return;
    }
    let single = false;
    for (let end = at + 1; end <= chars.length; end++) {
      const piece = chars.slice(at, end).join("");
      const s = scores[piece];
      if (s === undefined) continue;
      if (end === at + 1) single = true;
      walk(end, score + s, [...starts, at], [...pieces, piece]);
    }
    if (!single) walk(at + 1, score + unkScore, [...starts, at], [...pieces, chars[at]]);
  };
  walk(0, 0, [], []);
  return best!.pieces;
}

function compareFromEnd(a: number[], b: number[]): number {
  for (let i = a.length - 1, j = b.length - 1; i >= 0 && j >= 0; i--, j--) if (a[i] !== b[j]) return a[i] - b[j];
  return a.length - b.length;
}

test("equals the exhaustive search on 500 random words and vocabularies", () => {
  const rand = mulberry32(5);
  const alphabet = ["a", "b", "c", "é", "🙂"];
  for (let t = 0; t < 500; t++) {
    const scores: Record<string, number | undefined> = {};
    for (let k = 0; k < 12; k++) {
      const piece = Array.from({ length: 1 + randomInt(rand, 3) }, () => alphabet[randomInt(rand, alphabet.length)]).join("");
      // Whole numbers add exactly in float32; now and then a piece the lattice must skip.
      scores[piece] = rand() < 0.1 ? undefined : -1 - randomInt(rand, 8);
    }
    const word = Array.from({ length: 1 + randomInt(rand, 8) }, () => alphabet[randomInt(rand, alphabet.length)]).join("");
    assert.deepEqual(sentencepieceSegment(word, vocab(scores, -20)), slowSegment(word, scores, -20), `${word} over ${JSON.stringify(scores)}`);
  }
});

test("the best path, not the greedy one; a character no piece covers comes back as itself", () => {
  const v = vocab({ "▁new": -5, "▁ne": -2, wyork: -2, "▁newy": -1, ork: -8, "▁": -3 }, -50);
  assert.deepEqual(sentencepieceSegment("▁newyork", v), ["▁ne", "wyork"]);
  assert.deepEqual(sentencepieceSegment("▁new✓", v), ["▁new", "✓"]);
  assert.deepEqual(sentencepieceSegment("", v), []);
});

test("a surrogate pair is one character, for the lattice and for an unknown piece", () => {
  const v = vocab({ "a🙂": -1, a: -3, "🙂": -3 });
  assert.deepEqual(sentencepieceSegment("a🙂a", v), ["a🙂", "a"]);
  assert.deepEqual(sentencepieceSegment("😀a", v), ["😀", "a"]);
});

test("a piece without a score is never used, and its one character then counts as unknown", () => {
  const v = vocab({ ab: -1, a: undefined, b: -1 }, -4);
  assert.deepEqual(sentencepieceSegment("ab", v), ["ab"]);
  assert.deepEqual(sentencepieceSegment("ba", v), ["b", "a"]);
  // Where a usable piece covers the character, the lattice goes round the unknown one.
  assert.deepEqual(sentencepieceSegment("aab", vocab({ aa: -1, ab: -1, a: undefined, b: -1 }, -4)), ["aa", "b"]);
});

test("on equal scores the earliest start of the last piece wins", () => {
  const v = vocab({ a: -1, b: -1, c: -1, ab: -2, bc: -2 });
  // a+bc and ab+c both score −3: the piece ending the word that starts earlier is bc.
  assert.deepEqual(sentencepieceSegment("abc", v), ["a", "bc"]);
  assert.deepEqual(sentencepieceSegment("abc", vocab({ a: -1, b: -1, c: -1, ab: -2, bc: -2.5 })), ["ab", "c"]);
});

test("path scores are stored as float32: a difference below float32 precision is lost, as in sentencepiece", () => {
  // a+bc = −1 − 2⁻³⁰ and ab+c = −1 − 2⁻³¹: in float64 ab+c is better, but a+bc is stored as the
  // float32 −1 first, and −1 − 2⁻³¹ (compared in double) does not beat it.
  const scores = { a: -1, bc: -(2 ** -30), ab: -1, c: -(2 ** -31), b: -100 };
  assert.deepEqual(sentencepieceSegment("abc", vocab(scores)), ["a", "bc"]);
  assert.notDeepEqual(slowSegment("abc", scores, -100), ["a", "bc"], "float64 would choose the other one");
});

test("an unknown character's candidate is rounded to float32 before it is compared", () => {
  // At the end of "ax" the piece ax has stored −1 − 2⁻²³. The unknown x after a (−1) offers
  // −1 + unk: with unk = −7·2⁻²⁶ that is −1 − 0.875·2⁻²³ in double, better than ax, but it
  // rounds to ax's own float32 score and does not beat it.
  const scores = { a: -1, ax: -1 - 2 ** -23 };
  assert.deepEqual(sentencepieceSegment("ax", vocab(scores, -7 * 2 ** -26)), ["ax"]);
  assert.deepEqual(slowSegment("ax", scores, -7 * 2 ** -26), ["a", "x"], "float64 would choose the split");
  // An unknown score that rounds to −1 instead: the split is better in float32 too.
  assert.deepEqual(sentencepieceSegment("ax", vocab(scores, -(2 ** -26))), ["a", "x"]);
});
