/**
 * The weight list against checkpoints transformers itself wrote (test/fixtures/parity: a BERT
 * and an XLM-R model, 2 layers × 32): the spec names exactly the tensors the encoder needs, with
 * their stored shapes, and IGNORED_WEIGHTS covers the rest.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { readEncoderConfig } from "../../src/model/config.js";
import { readSafetensorsHeader } from "../../src/model/safetensors.js";
import { encoderWeightSpec, IGNORED_WEIGHTS } from "../../src/model/weight-spec.js";
import { TINY } from "./helpers.js";

const PARITY = join(import.meta.dirname, "../../../test/fixtures/parity");
const ignored = (name: string) => IGNORED_WEIGHTS.some((re) => re.test(name));

for (const model of ["tiny-bert", "tiny-xlmr"]) {
  test(`${model}: the spec is the checkpoint's tensors, same shapes, minus the ignored ones`, async () => {
    const dir = join(PARITY, model);
    const config = await readEncoderConfig(dir);
    const { entries } = await readSafetensorsHeader(join(dir, "model.safetensors"));
    const spec = encoderWeightSpec(config);
    const stored = new Map([...entries].map(([name, e]) => [name, e.shape]));
    for (const { name, shape } of spec) assert.deepEqual(stored.get(name), shape, name);
    const rest = [...stored.keys()].filter((name) => !spec.some((w) => w.name === name)).sort();
    assert.deepEqual(rest, ["pooler.dense.bias", "pooler.dense.weight"]);
    assert.ok(rest.every(ignored));
    assert.ok(!spec.some((w) => ignored(w.name)), "a weight the encoder needs is on the ignore list");
  });
}

test("names are unique, torch Linear weights are [out, in], and each layer repeats the same 16 tensors", () => {
  const config = { ...TINY, hiddenSize: 6, intermediateSize: 10, numLayers: 3, vocabSize: 7, maxPositionEmbeddings: 9, typeVocabSize: 1 };
  const spec = encoderWeightSpec(config);
  assert.equal(new Set(spec.map((w) => w.name)).size, spec.length);
  const shape = (name: string) => spec.find((w) => w.name === name)?.shape;
  assert.deepEqual(shape("embeddings.word_embeddings.weight"), [7, 6]);
  assert.deepEqual(shape("embeddings.position_embeddings.weight"), [9, 6]);
  assert.deepEqual(shape("embeddings.token_type_embeddings.weight"), [1, 6]);
  assert.deepEqual(shape("encoder.layer.2.intermediate.dense.weight"), [10, 6]);
  assert.deepEqual(shape("encoder.layer.2.intermediate.dense.bias"), [10]);
  assert.deepEqual(shape("encoder.layer.2.output.dense.weight"), [6, 10]);
  assert.deepEqual(shape("encoder.layer.0.attention.self.key.weight"), [6, 6]);
  assert.equal(shape("encoder.layer.3.output.dense.weight"), undefined);
  const layer = (i: number) => spec.filter((w) => w.name.startsWith(`encoder.layer.${i}.`)).map((w) => w.name.slice(`encoder.layer.${i}.`.length));
  assert.equal(layer(0).length, 16);
  assert.deepEqual(layer(1), layer(0));
  assert.deepEqual(layer(2), layer(0));
  assert.deepEqual(
    encoderWeightSpec({ ...config, numLayers: 0 }).map((w) => w.name),
    spec.filter((w) => w.name.startsWith("embeddings.")).map((w) => w.name),
  );
});

test("the ignore list takes the pooler and the id buffers, and nothing the encoder uses", () => {
  for (const name of ["pooler.dense.weight", "pooler.dense.bias", "embeddings.position_ids", "embeddings.token_type_ids"]) assert.ok(ignored(name), name);
  for (const name of ["embeddings.position_ids.weight", "encoder.pooler.dense.weight", "xembeddings.position_ids"]) assert.ok(!ignored(name), name);
});
