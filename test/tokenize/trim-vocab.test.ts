import assert from "node:assert/strict";
import { test } from "node:test";
import { loadDataset } from "../../src/data/lareqa.js";
import { readTokenizerJson, tokenizerFromJson } from "../../src/tokenize/hf-tokenizer.js";
import { trimTokenizerJson } from "../../src/tokenize/trim-vocab.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";

test("a trimmed XLM-R tokenizer segments its corpus exactly as the full one, renumbered", async () => {
  const json = await readTokenizerJson(defaultXlmrTokenizerPath());
  const full = tokenizerFromJson(json, "full");
  const ds = await loadDataset("xquad-r", { languages: ["de", "th", "zh"], maxQuestionIds: 40 });
  const corpus = [...ds.questions.map((q) => q.text), ...ds.candidates.slice(0, 400).map((c) => c.text)];
  const used = new Set(corpus.flatMap((t) => full.encode(t).ids));

  const trimmed = trimTokenizerJson(json, used);
  const small = tokenizerFromJson(trimmed.json, "trimmed");
  assert.ok(small.vocabSize < 10000, `kept ${small.vocabSize} of ${full.vocabSize}`);
  assert.equal(small.vocabSize, trimmed.oldIds.length);
  for (const text of corpus) {
    const before = full.encode(text);
    const after = small.encode(text);
    assert.deepEqual(after.tokens, before.tokens, text);
    assert.deepEqual(Array.from(after.ids, (id) => trimmed.oldIds[id]), before.ids, text);
  }
  // Specials survive and keep their order at the front; <mask> is kept though the corpus never uses it.
  assert.deepEqual(["<s>", "<pad>", "</s>", "<unk>"].map((t) => small.tokenId(t)), [0, 1, 2, 3]);
  assert.equal(trimmed.oldIds[small.tokenId("<mask>")!], 250001);
  assert.deepEqual(small.encode("x", { pair: "y" }).ids.filter((id) => id <= 3), [0, 2, 2, 2]);
});

test("a WordPiece vocabulary is trimmed by id, and out-of-range ids are refused", () => {
  const json = {
    added_tokens: [{ id: 0, content: "[PAD]", special: true }, { id: 1, content: "[UNK]", special: true }],
    post_processor: { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] },
    model: { type: "WordPiece", unk_token: "[UNK]", vocab: { "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, a: 4, b: 5, "##c": 6 } },
  };
  const t = trimTokenizerJson(json, [2, 3, 6]);
  assert.deepEqual(t.json.model.vocab, { "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "##c": 4 });
  assert.deepEqual(t.json.post_processor, { type: "BertProcessing", sep: ["[SEP]", 3], cls: ["[CLS]", 2] });
  assert.deepEqual([...t.newIdOf], [0, 1, 2, 3, -1, -1, 4]);
  assert.throws(() => trimTokenizerJson(json, [7]), /token id 7 is outside the vocabulary \(size 7\)/);
});
