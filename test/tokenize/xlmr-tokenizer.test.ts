import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultXlmrTokenizerPath, loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";

// Loading builds a 250k-piece trie (~1 s), so every test shares one instance.
const tok = await loadXlmrTokenizer();

test("matches xlm-roberta-base on English", () => {
  assert.deepEqual(tok.encode("Hello World!").ids, [0, 35378, 6661, 38, 2]);
  assert.deepEqual(tok.encode("Hello World!").tokens, ["<s>", "▁Hello", "▁World", "!", "</s>"]);
  assert.deepEqual(tok.encode("Hello world").ids, [0, 35378, 8999, 2]);
  assert.deepEqual(tok.encode("This is a test").ids, [0, 3293, 83, 10, 3034, 2]);
  assert.deepEqual(tok.encode("Hello World!", { addSpecialTokens: false }).ids, [35378, 6661, 38]);
});

// Expected ids from transformers' own XLM-R tests (tests/models/xlm_roberta/
// test_tokenization_xlm_roberta.py, and the shared sentences of tests/test_tokenization_common.py),
// where they pin the Hugging Face tokenizers to fairseq's xlmr.encode.
test("matches the transformers test-suite encodings", () => {
  assert.deepEqual(tok.encode("The quick brown fox jumps over the lazy dog.").ids, [
    0, 581, 63773, 119455, 6, 147797, 88203, 7, 645, 70, 21, 3285, 10269, 5, 2,
  ]);
  assert.deepEqual(
    tok.encode(
      "BERT is designed to pre-train deep bidirectional representations from unlabeled text by jointly " +
        "conditioning on both left and right context in all layers.",
    ).ids,
    [
      0, 20080, 618, 83, 82775, 47, 479, 9, 1517, 73, 53894, 333, 80581, 110117, 18811, 5256, 1295, 51, 152526, 297,
      7986, 390, 124416, 538, 35431, 214, 98, 15044, 25737, 136, 7108, 43701, 23, 756, 135355, 7, 5, 2,
    ],
  );
  // "to <unk>," keeps no "▁" before <unk> only because the section before it is stripped.
  const hard =
    'This is a very long text with a lot of weird characters, such as: . , ~ ? ( ) " [ ] ! : - . Also we will' +
    " add words that should not exsist and be tokenized to <unk>, such as saoneuhaoesuth";
  assert.deepEqual(tok.encode(hard).ids, [
    0, 3293, 83, 10, 4552, 4989, 7986, 678, 10, 5915, 111, 179459, 124850, 4, 6044, 237, 12, 6, 5, 6, 4, 6780, 705,
    15, 1388, 44, 378, 10114, 711, 152, 20, 6, 5, 22376, 642, 1221, 15190, 34153, 450, 5608, 959, 1119, 57702, 136,
    186, 47, 1098, 29367, 47, 3, 6, 4, 6044, 237, 6284, 50901, 528, 31, 90, 34, 927, 2,
  ]);
});

test("trims and collapses whitespace as sentencepiece does", () => {
  const ids = tok.encode("Hello World!").ids;
  for (const text of ["  Hello World! ", "Hello   World!", "Hello\tWorld!", "Hello\u00a0World!", "Hello\nWorld!"]) {
    assert.deepEqual(tok.encode(text).ids, ids, JSON.stringify(text));
  }
});

test("lays out a pair as <s> A </s></s> B </s>", () => {
  const pair = tok.encode("Hello World!", { pair: "This is a test" });
  assert.deepEqual(pair.ids, [0, 35378, 6661, 38, 2, 2, 3293, 83, 10, 3034, 2]);
  assert.deepEqual(tok.encode("Hello World!", { pair: "This is a test", addSpecialTokens: false }).ids, [
    35378, 6661, 38, 3293, 83, 10, 3034,
  ]);
});

test("has the special tokens at their XLM-R ids", () => {
  assert.equal(tok.vocabSize, 250002);
  const specials: Array<[string, number]> = [["<s>", 0], ["<pad>", 1], ["</s>", 2], ["<unk>", 3], ["<mask>", 250001]];
  for (const [token, id] of specials) assert.equal(tok.tokenId(token), id, token);
  // <mask> strips the space before it, so no lone "▁" piece appears.
  assert.deepEqual(tok.encode("a <mask> b").tokens, ["<s>", "▁a", "<mask>", "▁b", "</s>"]);
  assert.equal(tok.decode([0, 35378, 6661, 38, 2]), "<s> Hello World!</s>");
});

test("maps a character outside the vocabulary to <unk>", () => {
  // 鳃 (gill) is absent from the XLM-R vocabulary; it occurs in XQuAD-R zh.
  assert.deepEqual(tok.encode("鳃", { addSpecialTokens: false }).ids, [6, 3]);
});

// Sentences from XQuAD-R (data/lareqa/xquad-r/*.json). Decoding gives back the NFKC form: the
// Chinese full-width commas come back as ASCII commas.
const sentences: Array<{ lang: string; text: string; decoded?: string }> = [
  {
    lang: "zh",
    text: "职业碗防守截锋卡万·肖特以 11 分领先于全队，同时还有三次迫使掉球和两次重新接球。",
    decoded: "职业碗防守截锋卡万·肖特以 11 分领先于全队,同时还有三次迫使掉球和两次重新接球。",
  },
  { lang: "hi", text: "पैटन मैनिंग दो अलग-अलग टीमों को मल्टीपल सुपर बाउल में लीड लड़ने वाले पहले क्वार्टरबैक बने।" },
  { lang: "th", text: "ขณะที่เหลือเวลาอีก 4:51 นาทีแคโรไลนาได้ครองลูกบอลที่เส้น 24 หลาในเขตของตัวเอง" },
  { lang: "ar", text: "أصبح بايتون مانينغ أول ظهير رباعي على الإطلاق يقود فريقين مختلفين لألقاب سوبر بول متعددة." },
  { lang: "ru", text: "Он также самый старый защитник, когда-либо игравший в Суперкубке в возрасте 39 лет." },
  { lang: "el", text: "Είναι επίσης ο παλαιότερος πασαδόρος που έπαιξε ποτέ σε Σούπερ Μπόουλ σε ηλικία 39 ετών." },
];

for (const { lang, text, decoded } of sentences) {
  test(`round-trips a ${lang} sentence without <unk>`, () => {
    const { ids } = tok.encode(text);
    assert.ok(!ids.includes(3), `unexpected <unk> in ${JSON.stringify(tok.encode(text).tokens)}`);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), decoded ?? text);
  });
}

test("encodeBatch equals encode per text", () => {
  const texts = sentences.map((s) => s.text);
  assert.deepEqual(
    tok.encodeBatch(texts),
    texts.map((t) => tok.encode(t)),
  );
  assert.equal(tok.decode([]), "");
});

test("default path points at the vendored gzip file", () => {
  assert.match(defaultXlmrTokenizerPath(), /data[\\/]tokenizers[\\/]xlm-roberta-base[\\/]tokenizer\.json\.gz$/);
});
