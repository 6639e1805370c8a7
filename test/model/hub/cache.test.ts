import assert from "node:assert/strict";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { ModelNotCachedError, resolveModel, selectModelFiles } from "../../../src/model/hub/index.js";
import { ENCODER, SHARDED, WANTED, assertSameFiles, etagOf, fresh, hub, quiet, serveFakeHub, shards, tempDir } from "./fake-hub.js";

serveFakeHub();

test("selects what an encoder needs and nothing else", () => {
  const all = [...ENCODER.files.keys(), ...SHARDED.files.keys(), "tf_model.h5", "flax_model.msgpack", "rust_model.ot", "onnx/config.json", "special_tokens_map.json", "config_sentence_transformers.json"];
  assert.deepEqual(new Set(selectModelFiles(all)), new Set([
    ...WANTED,
    "model.safetensors.index.json",
    ...Object.keys(shards),
    "2_Dense/config.json",
    "2_Dense/model.safetensors",
    "special_tokens_map.json",
    "config_sentence_transformers.json",
  ]));
});

test("a second call is answered from the cache without a single request", async () => {
  const cache = await fresh();
  const first = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), first);
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, revision: ENCODER.sha, ...quiet }), first);
  assert.equal(hub.requests.length, 0);
});

test("sharded weights, a Dense module and a missing tokenizer.json are cached completely", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/sharded", { cacheDir: cache, endpoint: hub.url, ...quiet });
  const expected = ["config.json", "model.safetensors.index.json", ...Object.keys(shards), "modules.json", "1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors"];
  await assertSameFiles(dir, SHARDED, expected);
  assert.equal(hub.resolves("pytorch_model.bin").length, 0);
  hub.reset();
  assert.equal(await resolveModel("acme/sharded", { cacheDir: cache, endpoint: hub.url, offline: true }), dir);
  assert.equal(hub.requests.length, 0);
});

test("offline with an empty cache names the missing files, where to put them, and how to get them", async () => {
  const cache = await fresh();
  const err = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }).then(
    () => assert.fail("resolved offline from an empty cache"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelNotCachedError);
  const target = join(cache, "models--acme--encoder", "snapshots", "main");
  assert.equal(err.snapshotDir, target);
  assert.deepEqual(err.missing, ["config.json", "tokenizer.json", "model.safetensors (or model.safetensors.index.json and its shards)"]);
  assert.match(err.message, /^acme\/encoder: not in the cache, and offline mode is on/);
  assert.ok(err.message.includes(`Put them in: ${target}`));
  assert.ok(err.message.includes("huggingface-cli download acme/encoder --local-dir DIR"));
  assert.equal(hub.requests.length, 0);

  // Following the message works: files dropped in the named folder are found offline.
  const src = await resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: hub.url, ...quiet });
  for (const p of WANTED) {
    await mkdir(dirname(join(target, p)), { recursive: true });
    await copyFile(join(src, p), join(target, p));
  }
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }), target);
  assert.equal(hub.requests.length, 0);
});

test("offline with a complete cache works without requests, also through HF_HUB_OFFLINE", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }), dir);
  process.env.HF_HUB_OFFLINE = "1";
  try {
    assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url }), dir);
    // A deleted blob leaves a dangling link: the snapshot is incomplete, and the error says which file.
    await rm(join(cache, "models--acme--encoder", "blobs", etagOf(ENCODER.files.get("1_Pooling/config.json")!)));
    await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url }), (err: unknown) => {
      assert.ok(err instanceof ModelNotCachedError);
      assert.deepEqual(err.missing, ["1_Pooling/config.json"]);
      assert.equal(err.snapshotDir, dir);
      return true;
    });
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
  assert.equal(hub.requests.length, 0);
  // Online again, only the missing file is fetched.
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), dir);
  assert.deepEqual(hub.requests.filter((r) => r.path.includes("/resolve/")).map((r) => r.path), [`/acme/encoder/resolve/${ENCODER.sha}/1_Pooling/config.json`]);
});
