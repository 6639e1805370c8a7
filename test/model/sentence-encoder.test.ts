import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { createMiniEncoder } from "../../src/model/mini.js";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";

let dir: string;
before(async () => {
  await initBackend("wasm", silentLogger);
  dir = await mkdtemp(join(tmpdir(), "hybrid-ir-st-"));
});
after(async () => rm(dir, { recursive: true, force: true }));

test("mini: trimmed vocabulary, unit-length embeddings, load → embed → save → load gives identical embeddings", async () => {
  const ds = await loadDataset("xquad-r", { languages: ["en", "zh"], maxQuestionIds: 8 });
  const texts = [...ds.questions.map((q) => q.text), ...ds.candidates.slice(0, 24).map((c) => c.text)];
  const model = await createMiniEncoder({ corpus: texts, seed: 3 });
  try {
    assert.ok(model.config.vocabSize < 2000, `vocabulary trimmed to ${model.config.vocabSize}`);
    const inputs = texts.map((text) => ({ text }));
    const a = await model.embed(inputs, { batchSize: 5, prefix: "Query: " });
    assert.equal(a.length, texts.length * 256);
    for (let r = 0; r < texts.length; r++) {
      const norm = Math.hypot(...a.subarray(r * 256, (r + 1) * 256));
      assert.ok(Math.abs(norm - 1) < 1e-5, `row ${r} norm ${norm}`);
    }
    // Batching and order must not matter: one at a time gives the same rows.
    const single = await model.embed(inputs.slice(0, 3), { batchSize: 1, prefix: "Query: " });
    for (let i = 0; i < single.length; i++) assert.ok(Math.abs(single[i] - a[i]) < 1e-5);

    const out = join(dir, "mini");
    await model.save(out);
    assert.deepEqual((await readdir(out)).sort(), [
      "1_Pooling", "2_Normalize", "config.json", "config_sentence_transformers.json", "model.safetensors", "modules.json",
      "sentence_bert_config.json", "tokenizer.json", "tokenizer_config.json",
    ]);
    const loaded = await loadSentenceEncoder(out);
    try {
      const b = await loaded.embed(inputs, { batchSize: 5, prefix: "Query: " });
      assert.deepEqual(b, a);
    } finally {
      loaded.dispose();
    }
  } finally {
    model.dispose();
  }
});
