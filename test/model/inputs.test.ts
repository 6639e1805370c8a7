import assert from "node:assert/strict";
import { before, test } from "node:test";
import { encodeBatch, encodeInput, specialLayout } from "../../src/model/inputs.js";
import type { TextTokenizer } from "../../src/tokenize/types.js";
import { loadXlmrTokenizer } from "../../src/tokenize/xlmr-tokenizer.js";

let tok: TextTokenizer;
before(async () => {
  tok = await loadXlmrTokenizer();
});

const question = "Which NFL team represented the AFC at Super Bowl 50?";
const sentence = "The American Football Conference (AFC) champion Denver Broncos defeated the National Football Conference (NFC) champion Carolina Panthers 24–10 to earn their third Super Bowl title.";
const paragraph = "Super Bowl 50 was an American football game to determine the champion of the National Football League (NFL) for the 2015 season.";

test("without truncation, single inputs and pairs equal the tokenizer's own template", () => {
  const layout = specialLayout(tok);
  const opts = { maxLength: 512, padId: 1 };
  assert.deepEqual(encodeInput(tok, layout, { text: question }, opts).ids, tok.encode(question).ids);
  const pair = encodeInput(tok, layout, { text: sentence, context: paragraph }, opts);
  assert.deepEqual(pair.ids, tok.encode(sentence, { pair: paragraph }).ids);
  assert.ok(pair.types.every((t) => t === 0), "XLM-R has one token type");
});

test("the prefix goes before the text only", () => {
  const layout = specialLayout(tok);
  const withPrefix = encodeInput(tok, layout, { text: sentence, context: paragraph }, { maxLength: 512, padId: 1, prefix: "Passage: " });
  assert.deepEqual(withPrefix.ids, tok.encode(`Passage: ${sentence}`, { pair: paragraph }).ids);
});

test("truncation keeps the specials and cuts the longer segment first", () => {
  const layout = specialLayout(tok);
  const single = encodeInput(tok, layout, { text: sentence }, { maxLength: 10, padId: 1 });
  assert.equal(single.ids.length, 10);
  assert.deepEqual(single.ids, [0, ...tok.encode(sentence, { addSpecialTokens: false }).ids.slice(0, 8), 2]);

  const a = tok.encode(question, { addSpecialTokens: false }).ids;
  const pair = encodeInput(tok, layout, { text: question, context: paragraph }, { maxLength: 24, padId: 1 });
  assert.equal(pair.ids.length, 24);
  // 24 − 4 specials = 20 tokens: the paragraph is longer, so it is cut until both reach 10.
  assert.equal(a.length > 10, true);
  assert.deepEqual(pair.ids.slice(0, 12), [0, ...a.slice(0, 10), 2]);
});

test("a batch is padded to its longest row with the pad id and a zero mask", () => {
  const b = encodeBatch(tok, [{ text: "Hello World!" }, { text: question }], { maxLength: 64, padId: 1 });
  const long = tok.encode(question).ids.length;
  assert.equal(b.seqLen, long);
  assert.deepEqual([...b.inputIds.subarray(0, 5)], [0, 35378, 6661, 38, 2]);
  assert.ok([...b.inputIds.subarray(5, long)].every((id) => id === 1));
  assert.deepEqual([...b.attentionMask.subarray(0, long)], [1, 1, 1, 1, 1, ...Array(long - 5).fill(0)]);
  assert.ok([...b.attentionMask.subarray(long)].every((m) => m === 1));
});
