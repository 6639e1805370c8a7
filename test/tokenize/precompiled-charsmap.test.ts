/**
 * The charsmap reader on the vendored XLM-R charsmap: the trie walk (`normalize`) against a slow
 * obvious longest-match over the rules `entries()` lists, on LAReQA text and on text built from
 * the rules; and every malformed blob refused with a DataError naming the file.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { PrecompiledCharsmap } from "../../src/tokenize/precompiled-charsmap.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";
import { DataError } from "../../src/util/errors.js";
import { mulberry32, randomInt } from "../../src/util/random.js";

const json = await readTokenizerJson(defaultXlmrTokenizerPath());
const b64 = (json.normalizer as { normalizers: Array<{ type: string; precompiled_charsmap?: string }> }).normalizers.find((n) => n.type === "Precompiled")!
  .precompiled_charsmap!;
const BYTES = Buffer.from(b64, "base64");
const charsmap = new PrecompiledCharsmap(BYTES, "xlmr");
const rules = new Map(charsmap.entries());
const longestKey = [...rules.keys()].reduce((most, k) => Math.max(most, [...k].length), 0);

/** At each codepoint the longest rule key that starts there, else the codepoint itself. */
function slowNormalize(text: string): string {
  const cps = [...text];
  let out = "";
  for (let i = 0; i < cps.length; ) {
    let len = Math.min(longestKey, cps.length - i);
    while (len > 0 && !rules.has(cps.slice(i, i + len).join(""))) len--;
    if (len > 0) {
      out += rules.get(cps.slice(i, i + len).join(""));
      i += len;
    } else {
      out += cps[i++];
    }
  }
  return out;
}

test("entries: thousands of rules, codepoint sequences among them, each key normalizing to its replacement", () => {
  assert.ok(rules.size > 5000, `${rules.size} rules`);
  assert.equal([...charsmap.entries()].length, rules.size, "no key listed twice");
  assert.ok(longestKey > 1, "no rule over a codepoint sequence");
  for (const [key, replacement] of rules) {
    assert.equal(charsmap.normalize(key), replacement, JSON.stringify(key));
  }
  // U+FEFF is a key of its own, not a byte-order mark to drop while decoding the keys.
  assert.equal(rules.get("\ufeff"), " ");
  assert.equal(rules.has(""), false);
  assert.equal(charsmap.normalize("a\ufeffb"), "a b");
  // Well-known NFKC-style rules.
  assert.equal(rules.get("ﬁ"), "fi");
  assert.equal(rules.get("Ａ"), "A");
  assert.equal(rules.get("\u00a0"), " ");
});

test("the longest key wins: a letter with a combining mark is one rule, the letter alone another", () => {
  assert.equal(charsmap.normalize("Ａ"), "A");
  assert.equal(charsmap.normalize("Ａ\u0301"), "Á");
  assert.equal(charsmap.normalize("xＡ\u0301Ａy"), "xÁAy");
});

test("text that starts no key comes back unchanged, whitespace included", () => {
  for (const text of ["", "Hello World!", "  two  spaces  ", "Über größer", "中文", "🙂"]) assert.equal(charsmap.normalize(text), text, JSON.stringify(text));
});

test("a lone surrogate is read as U+FFFD, as sentencepiece's UTF-8 input carries it", () => {
  assert.equal(charsmap.normalize("a\ud800b"), slowNormalize("a\ufffdb"));
  assert.equal(charsmap.normalize("\udfff"), slowNormalize("\ufffd"));
});

test("the trie walk equals the slow longest match on XQuAD-R and MLQA-R questions", async () => {
  let changed = 0;
  let count = 0;
  for (const name of ["xquad-r", "mlqa-r"] as const) {
    const ds = await loadDataset(name, { maxQuestionIds: 12 });
    for (const q of ds.questions) {
      const fast = charsmap.normalize(q.text);
      assert.equal(fast, slowNormalize(q.text), q.text);
      if (fast !== q.text) changed++;
      count++;
    }
  }
  assert.ok(count > 100 && changed > 0, `${changed} of ${count} questions changed`);
});

test("the trie walk equals the slow longest match on random text built from rule keys", () => {
  const keys = [...rules.keys()];
  const plain = [..."abc xyzÉé中🙂\u0301\u3099"];
  const rand = mulberry32(17);
  for (let t = 0; t < 300; t++) {
    const parts = Array.from({ length: 1 + randomInt(rand, 12) }, () => (rand() < 0.5 ? keys[randomInt(rand, keys.length)] : plain[randomInt(rand, plain.length)]));
    const text = parts.join("");
    assert.equal(charsmap.normalize(text), slowNormalize(text), JSON.stringify(text));
  }
});

test("fromBase64 reads the same rules as the bytes", () => {
  const again = PrecompiledCharsmap.fromBase64(b64, "xlmr");
  assert.equal(again.normalize("ﬁ Ａ\u0301"), "fi Á");
});

test("a blob with a bad header, a trie past its end or an unterminated replacement is a DataError naming the file", () => {
  const withHeader = (trieBytes: number) => {
    const b = Buffer.from(BYTES);
    b.writeUInt32LE(trieBytes, 0);
    return b;
  };
  const unterminated = Buffer.from(BYTES);
  unterminated[unterminated.length - 1] = 0x41;
  const cases: Array<[Uint8Array, string]> = [
    [new Uint8Array(3), "has 3 bytes, too few for its header"],
    [new Uint8Array(4), "declares a 0-byte trie in 4 bytes"],
    [withHeader(6), `declares a 6-byte trie in ${BYTES.length} bytes`],
    [withHeader(BYTES.length), `declares a ${BYTES.length}-byte trie in ${BYTES.length} bytes`],
    [unterminated, "does not end its last replacement with NUL"],
  ];
  for (const [bytes, problem] of cases) {
    assert.throws(
      () => new PrecompiledCharsmap(bytes, "tok.json"),
      (err: unknown) => err instanceof DataError && err.file === "tok.json" && err.message === `tok.json: precompiled_charsmap ${problem}`,
      problem,
    );
  }
});
