/**
 * Loading tokenizer.json files (plain or gzip, any model type) behind `TextTokenizer`: what the
 * loader refuses, naming the file; and, for a tokenizer with a real sentencepiece charsmap, that
 * the library's normalizer and float64 Unigram lattice are replaced by sentencepiece's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Tokenizer } from "@huggingface/tokenizers";
import { decodeTokenizerJson, loadTokenizerJson, parseTokenizerJson, readTokenizerJson, tokenizerFromJson } from "../../src/tokenize/hf-tokenizer.js";
import { PrecompiledCharsmap } from "../../src/tokenize/precompiled-charsmap.js";
import type { TokenizerJson } from "../../src/tokenize/types.js";
import { defaultXlmrTokenizerPath, loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";
import { DataError } from "../../src/util/errors.js";

// A tiny BERT-style WordPiece tokenizer.json: the loader is not XLM-R specific.
const wordPieceJson = {
  version: "1.0",
  added_tokens: [
    { id: 0, content: "[PAD]", special: true },
    { id: 1, content: "[UNK]", special: true },
    { id: 2, content: "[CLS]", special: true },
    { id: 3, content: "[SEP]", special: true },
  ],
  normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
  pre_tokenizer: { type: "BertPreTokenizer" },
  post_processor: {
    type: "TemplateProcessing",
    single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
    pair: [],
    special_tokens: {},
  },
  decoder: { type: "WordPiece", prefix: "##", cleanup: true },
  model: {
    type: "WordPiece",
    unk_token: "[UNK]",
    continuing_subword_prefix: "##",
    max_input_chars_per_word: 100,
    vocab: { "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, hello: 4, world: 5, "##s": 6 },
  },
};

test("loads a plain or gzipped WordPiece tokenizer.json", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-tok-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bytes = Buffer.from(JSON.stringify(wordPieceJson));
  await writeFile(join(dir, "tokenizer.json"), bytes);
  await writeFile(join(dir, "tokenizer.json.gz"), gzipSync(bytes));
  for (const name of ["tokenizer.json", "tokenizer.json.gz"]) {
    const wp = await loadTokenizerJson(join(dir, name));
    assert.deepEqual(wp.encode("Hello Worlds xyz").ids, [2, 4, 5, 6, 1, 3], name);
    assert.equal(wp.vocabSize, 7);
    assert.equal(wp.decode([4, 5, 6]), "hello worlds");
  }
});

test("names the file when it is missing or not JSON", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-tok-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = join(dir, "absent", "tokenizer.json.gz");
  await assert.rejects(loadXlmrTokenizer(missing), (err: Error) => err.message.startsWith(missing));

  const broken = join(dir, "broken.json.gz");
  await writeFile(broken, gzipSync(Buffer.from("{not json")));
  await assert.rejects(loadTokenizerJson(broken), (err: Error) => err.message.startsWith(broken) && /not valid JSON/.test(err.message));

  const noModel = join(dir, "no-model.json");
  await writeFile(noModel, "[1, 2]");
  await assert.rejects(loadTokenizerJson(noModel), (err: Error) => err.message.startsWith(noModel) && /"model"/.test(err.message));
});

test("parseTokenizerJson reads bytes already in memory, plain or gzip, as loadTokenizerJson reads the file", async () => {
  const bytes = Buffer.from(JSON.stringify(wordPieceJson));
  for (const b of [bytes, gzipSync(bytes)]) {
    const wp = await parseTokenizerJson(b, "mem.json");
    assert.deepEqual(wp.encode("hello worlds").tokens, ["[CLS]", "hello", "world", "##s", "[SEP]"]);
    assert.deepEqual(wp.encode("hello", { addSpecialTokens: false }).ids, [4]);
    assert.equal(wp.tokenId("##s"), 6);
    assert.equal(wp.tokenId("absent"), undefined);
  }
  // gzip is recognised by its magic bytes: a .gz name on plain JSON is fine, and the reverse too.
  assert.deepEqual(await decodeTokenizerJson(bytes, "t.json.gz"), wordPieceJson);
  assert.deepEqual(await decodeTokenizerJson(gzipSync(bytes), "t.json"), wordPieceJson);
});

/** Asserts a DataError about `file` whose message is exactly `file: problem` (or matches it). */
async function rejectsWith(promise: Promise<unknown>, file: string, problem: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof DataError, `expected DataError, got ${String(err)}`);
    assert.equal(err.file, file);
    if (typeof problem === "string") assert.equal(err.message, `${file}: ${problem}`);
    else assert.match(err.message, problem);
    return true;
  });
}

test("decodeTokenizerJson: broken gzip, no model object, or a vocabulary, added token or special id that is not a token id", async () => {
  const decode = (json: unknown) => decodeTokenizerJson(Buffer.from(JSON.stringify(json)), "tok.json");
  await rejectsWith(decodeTokenizerJson(Buffer.from([0x1f, 0x8b, 0x78, 0x78]), "tok.json.gz"), "tok.json.gz", /^tok\.json\.gz: is not valid gzip \(.+\)$/);
  await rejectsWith(decode({ model: "Unigram" }), "tok.json", 'is not a tokenizer.json (no "model" object)');
  await rejectsWith(decode({ model: null }), "tok.json", '"model" must be an object');
  const unigram = (vocab: unknown) => ({ model: { type: "Unigram", vocab } });
  await rejectsWith(decode(unigram([["a", -1], ["b", "x"]])), "tok.json", 'model.vocab[1] must be a [piece, score] pair, got ["b","x"]');
  await rejectsWith(decode(unigram([["a", -1, 0]])), "tok.json", 'model.vocab[0] must be a [piece, score] pair, got ["a",-1,0]');
  await rejectsWith(decode(unigram([[1, -1]])), "tok.json", "model.vocab[0] must be a [piece, score] pair, got [1,-1]");
  await rejectsWith(decode(unigram("a b")), "tok.json", "model.vocab must be an object or an array");
  // The unknown piece is what every out-of-vocabulary character encodes to: it must be a piece.
  const withUnk = (unk: unknown) => ({ model: { type: "Unigram", vocab: [["a", -1], ["b", -2]], unk_id: unk } });
  await rejectsWith(decode(withUnk(5)), "tok.json", "model.unk_id must be the id of a piece (0 to 1), got 5");
  await rejectsWith(decode(withUnk(-1)), "tok.json", "model.unk_id must be the id of a piece (0 to 1), got -1");
  await decodeTokenizerJson(Buffer.from(JSON.stringify(withUnk(1))), "tok.json");
  const wordPiece = (vocab: unknown) => ({ model: { type: "WordPiece", vocab } });
  await rejectsWith(decode(wordPiece({ a: 0, b: -1 })), "tok.json", "model.vocab['b'] must be a token id (a whole number >= 0), got -1");
  await rejectsWith(decode(wordPiece({ a: 0.5 })), "tok.json", "model.vocab['a'] must be a token id (a whole number >= 0), got 0.5");
  await rejectsWith(decode(wordPiece({ a: "0" })), "tok.json", 'model.vocab[\'a\'] must be a token id (a whole number >= 0), got "0"');
  const ok = wordPiece({ a: 0 });
  await rejectsWith(decode({ ...ok, added_tokens: { id: 0 } }), "tok.json", "added_tokens must be an array");
  await rejectsWith(
    decode({ ...ok, added_tokens: [{ id: 0, content: "a" }, { id: -2, content: "b" }] }),
    "tok.json",
    'added_tokens[1] needs a token id (a whole number >= 0) and a string content, got {"id":-2,"content":"b"}',
  );
  await rejectsWith(decode({ ...ok, added_tokens: [{ id: 0 }] }), "tok.json", 'added_tokens[0] needs a token id (a whole number >= 0) and a string content, got {"id":0}');
  await rejectsWith(
    decode({ ...ok, post_processor: { type: "TemplateProcessing", special_tokens: { "[CLS]": { id: "[CLS]", ids: [1.5], tokens: ["[CLS]"] } } } }),
    "tok.json",
    "post_processor.special_tokens['[CLS]'].ids must be token ids, got [1.5]",
  );
  await rejectsWith(
    decode({ ...ok, post_processor: { type: "TemplateProcessing", special_tokens: { "</s>": {} } } }),
    "tok.json",
    "post_processor.special_tokens['</s>'].ids must be token ids, got undefined",
  );
  // A model without a vocabulary is left to the library; so is a null post-processor.
  assert.deepEqual(await decode({ model: { type: "Unigram" }, post_processor: null }), { model: { type: "Unigram" }, post_processor: null });
});

test("readTokenizerJson names an unreadable file; tokenizerFromJson names a JSON the library cannot load", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-tok-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await rejectsWith(readTokenizerJson(dir), dir, /^.+: cannot read tokenizer file \(EISDIR: .+\)$/);
  const noVocab = { ...wordPieceJson, model: { type: "Unigram", vocab: [] } } as TokenizerJson;
  assert.throws(
    () => tokenizerFromJson(noVocab, "empty.json"),
    (err: unknown) => err instanceof DataError && err.file === "empty.json" && /^empty\.json: is not a tokenizer\.json this library can load \(.+\)$/.test(err.message),
  );
});

/**
 * A tiny sentencepiece-style Unigram tokenizer whose segmentations of "abc" differ only through
 * float32: ▁a + bc scores −1 − 2⁻³⁰ and ▁ab + c −1 − 2⁻³¹, equal in float32.
 */
const xlmr = await readTokenizerJson(defaultXlmrTokenizerPath());
const CHARSMAP = (xlmr.normalizer as { normalizers: Array<{ type: string; precompiled_charsmap?: string }> }).normalizers.find((n) => n.type === "Precompiled")!
  .precompiled_charsmap!;
const METASPACE = { type: "Metaspace", replacement: "▁", add_prefix_space: true, prepend_scheme: "always" };
function unigramJson(normalizer: unknown): TokenizerJson {
  return {
    added_tokens: ["<s>", "<pad>", "</s>", "<unk>"].map((content, id) => ({ id, content, special: true, normalized: false })),
    normalizer,
    pre_tokenizer: METASPACE,
    post_processor: null,
    decoder: METASPACE,
    model: {
      type: "Unigram",
      unk_id: 3,
      vocab: [["<s>", 0], ["<pad>", 0], ["</s>", 0], ["<unk>", 0], ["▁a", -1], ["bc", -(2 ** -30)], ["▁ab", -1], ["c", -(2 ** -31)], ["b", -100]],
    },
  };
}

test("with a Precompiled charsmap the lattice is sentencepiece's float32 one; without, the library's float64 one", () => {
  const precompiled = unigramJson({ type: "Precompiled", precompiled_charsmap: CHARSMAP });
  assert.deepEqual(tokenizerFromJson(precompiled, "spm.json").encode("abc").tokens, ["▁a", "bc"]);
  // The library alone, on the very same JSON, takes the float64 winner.
  assert.deepEqual(new Tokenizer(precompiled as object, {}).encode("abc").tokens, ["▁ab", "c"]);
  assert.deepEqual(tokenizerFromJson(unigramJson(null), "plain.json").encode("abc").tokens, ["▁ab", "c"]);
  // Full-width letters reach the lattice through the charsmap.
  assert.deepEqual(tokenizerFromJson(precompiled, "spm.json").encode("ａｂｃ").ids, [4, 5]);
});

test("with a Precompiled charsmap the normalizer is the charsmap's, not the library's approximation", () => {
  // U+200D ZERO WIDTH JOINER: the vendored charsmap keeps it, the library's Precompiled maps it to a space.
  const text = "x\u200dy";
  assert.equal(PrecompiledCharsmap.fromBase64(CHARSMAP, "xlmr").normalize(text), text);
  const base = unigramJson({ type: "Sequence", normalizers: [{ type: "Precompiled", precompiled_charsmap: CHARSMAP }] });
  const vocab = [...(base.model.vocab as Array<[string, number]>), ["▁x", -1], ["▁y", -1], ["y", -1], ["\u200d", -1]];
  const json = { ...base, model: { ...base.model, vocab } };
  assert.deepEqual(tokenizerFromJson(json, "spm.json").encode(text).tokens, ["▁x", "\u200d", "y"]);
  assert.deepEqual(new Tokenizer(json as object, {}).encode(text).tokens, ["▁x", "▁y"]);
});

test("an added token marked normalized beside a Precompiled charsmap is refused", () => {
  const json = unigramJson({ type: "Precompiled", precompiled_charsmap: CHARSMAP });
  const added = json.added_tokens!.map((t, i) => (i === 3 ? { ...t, normalized: true } : t));
  assert.throws(
    () => tokenizerFromJson({ ...json, added_tokens: added }, "spm.json"),
    (err: unknown) => err instanceof DataError && err.message === 'spm.json: added tokens with "normalized": true beside a Precompiled charsmap are not supported',
  );
  // Without a charsmap the library handles such tokens itself.
  assert.equal(tokenizerFromJson({ ...unigramJson(null), added_tokens: added }, "plain.json").vocabSize, 9);
});

test("vocabSize is the highest id + 1, added tokens included; an empty id list decodes to \"\"", () => {
  const tok = tokenizerFromJson({ ...unigramJson(null), added_tokens: [...unigramJson(null).added_tokens!, { id: 20, content: "<extra>", special: true }] }, "x.json");
  assert.equal(tok.vocabSize, 21);
  assert.equal(tok.tokenId("<extra>"), 20);
  assert.equal(tok.decode([]), "");
  assert.equal(tok.decode([4, 5]), "abc");
  assert.deepEqual(tok.encodeBatch(["abc", "c"], { addSpecialTokens: false }), [tok.encode("abc", { addSpecialTokens: false }), tok.encode("c", { addSpecialTokens: false })]);
});
