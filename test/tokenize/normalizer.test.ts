import assert from "node:assert/strict";
import { test } from "node:test";
import { compileNormalizer, hasPrecompiledCharsmap } from "../../src/tokenize/normalizer.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";
import { DataError } from "../../src/util/errors.js";

const SOURCE = "fixture/tokenizer.json";
const xlmr = await readTokenizerJson(defaultXlmrTokenizerPath());
const charsmap = (xlmr.normalizer as { normalizers: Array<{ type: string; precompiled_charsmap?: string }> }).normalizers.find((n) => n.type === "Precompiled")!
  .precompiled_charsmap!;
const norm = (node: unknown) => compileNormalizer(node, SOURCE);

test("the vendored XLM-R normalizer: NFKC-like charsmap, runs of spaces collapsed, one space trimmed at each end", () => {
  const n = compileNormalizer(xlmr.normalizer, defaultXlmrTokenizerPath());
  assert.equal(n("Hello World!"), "Hello World!");
  assert.equal(n(" ﬁnal  ＡＢＣ\u00a0x "), "final ABC x");
  // The charsmap maps a tab and a newline to a space; the Replace nodes then collapse the run.
  assert.equal(n("a\t\nb"), "a b");
  // A letter and a combining mark are one key of the charsmap: the longest match wins.
  assert.equal(n("Ａ\u0301"), "Á");
  assert.equal(n(""), "");
});

test("null and undefined are the identity", () => {
  for (const node of [null, undefined]) assert.equal(norm(node)(" Ａ  b "), " Ａ  b ");
});

test("Replace: a String pattern everywhere; a Regex pattern with its content taken literally", () => {
  assert.equal(norm({ type: "Replace", pattern: { String: "ab" }, content: "-" })("abcabab"), "-c--");
  assert.equal(norm({ type: "Replace", pattern: { Regex: "(a)+" }, content: "$1" })("baaac a"), "b$1c $1");
  // A Unicode regex: \p{...} classes work, and a surrogate pair is one character.
  assert.equal(norm({ type: "Replace", pattern: { Regex: "\\p{Lu}." }, content: "#" })("xAyB🙂z"), "x##z");
});

test("Strip: Unicode White_Space on the chosen sides (U+0085 is one, U+FEFF is not)", () => {
  const both = norm({ type: "Strip", strip_left: true, strip_right: true });
  assert.equal(both("\u0085\u3000 a b \u2003\n"), "a b");
  assert.equal(both("\ufeffa\ufeff"), "\ufeffa\ufeff");
  assert.equal(norm({ type: "Strip", strip_left: true, strip_right: false })("  a  "), "a  ");
  assert.equal(norm({ type: "Strip", strip_left: false, strip_right: true })("  a  "), "  a");
});

test("Unicode forms, Lowercase, and Prepend (which leaves an empty text empty)", () => {
  assert.equal(norm({ type: "NFC" })("e\u0301"), "\u00e9");
  assert.equal(norm({ type: "NFD" })("\u00e9"), "e\u0301");
  assert.equal(norm({ type: "NFKC" })("ﬁ①"), "fi1");
  assert.equal(norm({ type: "NFKD" })("ﬁ\u00e9"), "fie\u0301");
  assert.equal(norm({ type: "Lowercase" })("ÀB İ"), "àb i̇");
  const prepend = norm({ type: "Prepend", prepend: "▁" });
  assert.equal(prepend("hi"), "▁hi");
  assert.equal(prepend(""), "");
});

test("Sequence applies its steps in order", () => {
  const steps = [{ type: "Lowercase" }, { type: "Replace", pattern: { String: "a" }, content: "A" }, { type: "Prepend", prepend: "_" }];
  assert.equal(norm({ type: "Sequence", normalizers: steps })("aBa"), "_AbA");
  assert.equal(norm({ type: "Sequence", normalizers: [...steps].reverse() })("aBa"), "_aba");
  assert.equal(norm({ type: "Sequence", normalizers: [] })("aBa"), "aBa");
});

test("every malformed or unsupported node is a DataError naming the file and the node", () => {
  const cases: Array<[unknown, string]> = [
    ["NFKC", 'normalizer "NFKC" is not an object'],
    [[{ type: "NFC" }], 'normalizer [{"type":"NFC"}] is not an object'],
    [{ type: "Sequence" }, "normalizer Sequence: has no normalizers list"],
    [{ type: "Sequence", normalizers: [{ type: "Lowercase" }, { type: "BertNormalizer" }] }, "normalizer BertNormalizer: is not supported beside a Precompiled charsmap"],
    [{ type: "Precompiled", precompiled_charsmap: "" }, "normalizer Precompiled: has no precompiled_charsmap"],
    [{ type: "Precompiled" }, "normalizer Precompiled: has no precompiled_charsmap"],
    [{ type: "Replace", pattern: { String: "a" } }, "normalizer Replace: has no content string"],
    [{ type: "Replace", pattern: {}, content: "" }, "normalizer Replace: has neither a String nor a Regex pattern"],
    [{ type: "Prepend", prepend: 1 }, "normalizer Prepend: has no prepend string"],
    [{ normalizers: [] }, "normalizer undefined: is not supported beside a Precompiled charsmap"],
  ];
  for (const [node, problem] of cases) {
    assert.throws(
      () => norm(node),
      (err: unknown) => err instanceof DataError && err.file === SOURCE && err.message === `${SOURCE}: ${problem}`,
      JSON.stringify(node),
    );
  }
  assert.throws(() => norm({ type: "Replace", pattern: { Regex: "(a" }, content: "" }), (err: unknown) => {
    assert.ok(err instanceof DataError);
    assert.match(err.message, /^fixture\/tokenizer\.json: normalizer Replace: pattern "\(a" is not a regular expression \(.+\)$/);
    return true;
  });
  // A charsmap that is not one: the Precompiled node passes on the reader's error.
  assert.throws(
    () => norm({ type: "Precompiled", precompiled_charsmap: "AAAAAA==" }),
    (err: unknown) => err instanceof DataError && err.message === `${SOURCE}: precompiled_charsmap declares a 0-byte trie in 4 bytes`,
  );
});

test("hasPrecompiledCharsmap: a Precompiled node with a charsmap, alone or anywhere in a Sequence", () => {
  assert.equal(hasPrecompiledCharsmap(xlmr.normalizer), true);
  assert.equal(hasPrecompiledCharsmap({ type: "Precompiled", precompiled_charsmap: charsmap }), true);
  assert.equal(hasPrecompiledCharsmap({ type: "Sequence", normalizers: [{ type: "NFC" }, { type: "Sequence", normalizers: [{ type: "Precompiled", precompiled_charsmap: "x" }] }] }), true);
  for (const node of [
    null,
    undefined,
    "Precompiled",
    { type: "Precompiled", precompiled_charsmap: "" },
    { type: "Precompiled", precompiled_charsmap: null },
    { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Precompiled" }] },
    { type: "Sequence" },
    { type: "BertNormalizer", precompiled_charsmap: "x" },
    [{ type: "Precompiled", precompiled_charsmap: "x" }],
  ]) {
    assert.equal(hasPrecompiledCharsmap(node), false, JSON.stringify(node));
  }
});
