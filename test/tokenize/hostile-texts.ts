/**
 * Texts that stress a sentencepiece normalizer: controls, Unicode spaces, invisible marks,
 * compatibility forms, combining sequences, emoji sequences and long strings. The special-token
 * strings (`<s>`, `<mask>`, ...) are left out: tokenizer.json splits them off as tokens while
 * sentencepiece reads them as text.
 */

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i));

/** Each character alone, between letters, between spaces, doubled, and at both ends. */
function inContexts(chars: readonly string[]): string[] {
  return chars.flatMap((c) => [c, `a${c}b`, `a ${c} b`, `${c}${c}a`, `${c}a b${c}`, `Wort${c}${c}wort ${c}`]);
}

const C0 = range(0x01, 0x1f).concat("\u007f");
const C1 = range(0x80, 0x9f);
const SPACES = ["\u00a0", "\u1680", ...range(0x2000, 0x200a), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u180e", "\u2581"];
const INVISIBLE = ["\u00ad", "\u034f", "\u061c", ...range(0x200b, 0x200f), ...range(0x202a, 0x202e), ...range(0x2060, 0x2064), ...range(0x2066, 0x2069), "\ufeff", "\ufffc", "\ufffd"];

export const HOSTILE_TEXTS: readonly string[] = [
  "",
  " ",
  "   \t\n  ",
  "\u0000a\u0000",
  ...inContexts(C0),
  ...inContexts(C1),
  ...inContexts(SPACES),
  ...inContexts(INVISIBLE),
  // Full-width and half-width forms.
  "Ｈｅｌｌｏ　Ｗｏｒｌｄ！",
  "ＡＢＣ１２３ａｂｃ",
  "価格は～１０００円",
  "ｶﾀｶﾅ ﾊﾞﾊﾟ ｳﾞ",
  "（括弧）「引用」，。：；？！",
  // Ligatures and compatibility characters.
  "ﬁne ﬂow ﬀ ﬃ ﬄ ﬅ ﬆ",
  "Ĳssel ǅemal ǈ ǋ",
  "㎏ ㎞ ℡ ™ ℃ № ½ ¾ ⅓ ① ⑴ ㈱ ㍻ ﷺ ﷻ",
  "x² H₂O ℌ ℍ 𝐀𝐁𝐂 𝔄",
  "Å Ω K ÅΩK",
  // Combining sequences, precomposed or not.
  "e\u0301 é cafe\u0301 café",
  "Ａ\u0301 ａ\u0308 Ｏ\u0303",
  "n\u0303 ñ a\u0300\u0301\u0302\u0303 o\u0336",
  "\u1100\u1161\u11a8 각 \u1112\u1161\u11ab\u1100\u1173\u11af",
  "क\u093c ख़ ড\u09bc ଡ଼",
  "ḳ́ ǘ \u0301a Z̴̡̪͍̈́ͅa̸͈̘͒l̵̨̛g̴o̶",
  "ก\u0e4d\u0e32 ำ ำ",
  "\u0627\u0653 \u0622 \u0648\u0654",
  // Emoji with modifiers, joiners and tags.
  "👍🏽 👋🏿 🧑🏻‍💻",
  "👨‍👩‍👧‍👦 family",
  "🏳️‍🌈 🏴‍☠️ 🏴󠁧󠁢󠁳󠁣󠁴󠁿",
  "🇫🇷🇩🇪 flags",
  "1️⃣ #️⃣ ❤️ ☺︎",
  // Characters outside the vocabulary (鳃, U+E000), alone and in runs.
  "鳃 鳃鳃鳃 a鳃b \ue000\ue001x 鳃\ue000",
  // Long strings (2,000 characters).
  "a".repeat(2000),
  " ".repeat(2000),
  "ﬁ".repeat(2000),
  "\u00a0x".repeat(1000),
  "\u0001 ".repeat(1000),
  "ขณะที่เหลือเวลาอีก".repeat(111).slice(0, 2000),
  "Ｈｅｌｌｏ　".repeat(334).slice(0, 2000),
  "e\u0301".repeat(1000),
  "👍🏽".repeat(500),
];

/**
 * A 2,000-character string drawn from all of the above with a seeded generator, so that
 * unusual characters meet in combinations nobody wrote down.
 */
export function mixedHostileText(seed: number): string {
  const pool = [...C0, ...C1, ...SPACES, ...INVISIBLE, ..."Ｈｅｌｌｏ ﬁﬂ ½ ① e\u0301 Ａ\u0301 👍🏽 ка́к 职业碗 ขณะ ", " ", " ", "a", "b"];
  let s = seed >>> 0;
  let out = "";
  while (out.length < 2000) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out += pool[s % pool.length];
  }
  // Never end in half a surrogate pair.
  return out.slice(0, 2000).replace(/[\ud800-\udbff]$/, "");
}
