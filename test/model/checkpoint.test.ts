import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readEncoderWeights, writeEncoderWeights } from "../../src/model/checkpoint.js";
import { readSafetensors, writeSafetensors } from "../../src/model/safetensors.js";
import type { EncoderConfig, NamedTensor } from "../../src/model/types.js";
import { encoderWeightSpec } from "../../src/model/weight-spec.js";
import { freshDirs, rejectsData, TINY } from "./helpers.js";

const TINY_XLMR: EncoderConfig = { ...TINY, modelType: "xlm-roberta", family: "xlm-roberta", typeVocabSize: 1, padTokenId: 1 };

/** Distinct, exactly representable values per weight, so any mix-up shows. */
function tinyWeights(config: EncoderConfig): Map<string, NamedTensor> {
  return new Map(
    encoderWeightSpec(config).map((w, k) => {
      const n = w.shape.reduce((a, b) => a * b, 1);
      return [w.name, { shape: w.shape, data: Float32Array.from({ length: n }, (_, i) => k + i / 1024) }];
    }),
  );
}

function assertSameWeights(actual: ReadonlyMap<string, NamedTensor>, expected: ReadonlyMap<string, NamedTensor>): void {
  assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort());
  for (const [name, t] of expected) {
    assert.deepEqual(actual.get(name)!.shape, t.shape, name);
    assert.deepEqual(actual.get(name)!.data, t.data, name);
  }
}


describe("encoder checkpoint", () => {
  const freshDir = freshDirs("checkpoint-");

  test("write → read gives identical weights, stored under bare names", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY);
    await writeEncoderWeights(dir, weights);
    const stored = await readSafetensors(join(dir, "model.safetensors"));
    assert.deepEqual([...stored.tensors.keys()].sort(), [...weights.keys()].sort());
    assert.deepEqual(stored.metadata, { format: "pt" });
    assertSameWeights(await readEncoderWeights(dir, TINY), weights);
  });

  test("a roberta. prefix is stripped; lm_head, pooler and buffers are ignored", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY_XLMR);
    const stored = new Map<string, NamedTensor>([...weights].map(([n, t]) => [`roberta.${n}`, t]));
    const extra = (shape: number[]): NamedTensor => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    stored.set("roberta.pooler.dense.weight", extra([8, 8]));
    stored.set("roberta.pooler.dense.bias", extra([8]));
    stored.set("roberta.embeddings.position_ids", extra([1, 12]));
    stored.set("lm_head.dense.weight", extra([8, 8]));
    stored.set("lm_head.layer_norm.weight", extra([8]));
    stored.set("lm_head.bias", extra([11]));
    await writeSafetensors(join(dir, "model.safetensors"), stored);
    assertSameWeights(await readEncoderWeights(dir, TINY_XLMR), weights);
  });

  test("a bert. prefix with BertForPreTraining's cls.* heads is accepted too", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY);
    const stored = new Map<string, NamedTensor>([...weights].map(([n, t]) => [`bert.${n}`, t]));
    stored.set("cls.predictions.bias", { shape: [11], data: new Float32Array(11) });
    await writeSafetensors(join(dir, "model.safetensors"), stored);
    assertSameWeights(await readEncoderWeights(dir, TINY), weights);
  });

  test("missing, unexpected and mis-shaped weights are reported together in one error", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY);
    for (const name of [...weights.keys()]) if (name.startsWith("encoder.layer.1.")) weights.delete(name);
    weights.delete("embeddings.LayerNorm.bias");
    weights.set("embeddings.word_embeddings.weight", { shape: [12, 8], data: new Float32Array(96) });
    weights.set("encoder.layer.0.attention.self.query.bias", { shape: [4], data: new Float32Array(4) });
    weights.set("decoder.weight", { shape: [1], data: new Float32Array(1) });
    await writeEncoderWeights(dir, weights);
    const file = join(dir, "model.safetensors");
    await rejectsData(
      readEncoderWeights(dir, TINY),
      file,
      /weights do not match config \(bert, 2 layers, hidden 8, vocab 11\)/,
      /17 missing: embeddings\.LayerNorm\.bias, encoder\.layer\.1\.attention\.self\.query\.weight, .*, … and 7 more/,
      /1 unexpected: decoder\.weight/,
      /2 mis-shaped: embeddings\.word_embeddings\.weight \[12, 8\] \(expected \[11, 8\]\), encoder\.layer\.0\.attention\.self\.query\.bias \[4\] \(expected \[8\]\)/,
    );
  });

  test("keys mixing prefixed and bare encoder names are not stripped, so the mismatch shows", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY);
    const stored = new Map<string, NamedTensor>([...weights].map(([n, t]) => [n.startsWith("embeddings.") ? `bert.${n}` : n, t]));
    await writeSafetensors(join(dir, "model.safetensors"), stored);
    await rejectsData(readEncoderWeights(dir, TINY), join(dir, "model.safetensors"), /5 missing: embeddings\./, /5 unexpected: bert\.embeddings\./);
  });

  test("a directory with only pytorch_model.bin says to convert it", async () => {
    const dir = await freshDir();
    await writeFile(join(dir, "pytorch_model.bin"), "not really");
    await rejectsData(
      readEncoderWeights(dir, TINY),
      join(dir, "model.safetensors"),
      /holds only pytorch_model\.bin, and hybrid-ir reads safetensors only/,
      /AutoModel\.from_pretrained\(.*\)\.save_pretrained\(.*, safe_serialization=True\)/,
    );
    const empty = await freshDir();
    await rejectsData(readEncoderWeights(empty, TINY), join(empty, "model.safetensors"), /is missing/);
  });

  test("a sharded checkpoint is read through its index", async () => {
    const dir = await freshDir();
    const weights = tinyWeights(TINY);
    const names = [...weights.keys()];
    const shards = [names.slice(0, 10), names.slice(10)];
    const weightMap: Record<string, string> = {};
    for (const [i, shard] of shards.entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(join(dir, file), new Map(shard.map((n) => [`bert.${n}`, weights.get(n)!])));
      for (const n of shard) weightMap[`bert.${n}`] = file;
    }
    const index = join(dir, "model.safetensors.index.json");
    await writeFile(index, JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    assertSameWeights(await readEncoderWeights(dir, TINY), weights);

    // An index naming a tensor its shard lacks is an error about that shard.
    await writeFile(index, JSON.stringify({ weight_map: { ...weightMap, "bert.extra": "model-00001-of-00002.safetensors" } }));
    await rejectsData(readEncoderWeights(dir, TINY), join(dir, "model-00001-of-00002.safetensors"), /does not hold 'bert\.extra'/);
    await writeFile(index, JSON.stringify({ weight_map: { x: "../elsewhere.safetensors" } }));
    await rejectsData(readEncoderWeights(dir, TINY), index, /is not a file name in the same directory/);
  });
});
