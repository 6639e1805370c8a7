import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, readFile, readlink, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { HubError, ModelNotCachedError, resolveModel } from "../../../src/model/hub/index.js";
import { ENCODER, WANTED, assertSameFiles, etagOf, fresh, hub, quiet, serveFakeHub, tempDir } from "./fake-hub.js";

serveFakeHub();

test("downloads a hub model into the Python-compatible cache, byte-identical", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  const repoDir = join(cache, "models--acme--encoder");
  assert.equal(dir, join(repoDir, "snapshots", ENCODER.sha));
  await assertSameFiles(dir, ENCODER, WANTED);
  assert.equal((await readFile(join(repoDir, "refs", "main"), "utf8")).trim(), ENCODER.sha);
  // Snapshot entries are relative links into blobs/, named by etag, as huggingface_hub lays them out.
  assert.equal(await readlink(join(dir, "model.safetensors")), `../../blobs/${etagOf(ENCODER.files.get("model.safetensors")!)}`);
  assert.equal(await readlink(join(dir, "1_Pooling/config.json")), `../../../blobs/${etagOf(ENCODER.files.get("1_Pooling/config.json")!)}`);
  for (const skipped of ["pytorch_model.bin", "onnx/model.onnx", "sentencepiece.bpe.model", "README.md"]) {
    assert.equal(hub.resolves(skipped).length, 0, `${skipped} was requested`);
    await assert.rejects(stat(join(dir, skipped)));
  }
  assert.equal(hub.requests.length, 2 + WANTED.length, "one info, one listing, one GET per file");
});

test("a connection cut mid-file is resumed with a Range request", async () => {
  const cache = await fresh();
  hub.dropOnce.add("model.safetensors");
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  const gets = hub.resolves("model.safetensors");
  assert.equal(gets.length, 2);
  assert.equal(gets[0].range, undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? "")?.[1]);
  assert.ok(resumedAt > 0 && resumedAt < 200_000, `second request asked for ${gets[1].range}`);
});

test("a partial file left by an earlier run is resumed, not restarted", async () => {
  const cache = await fresh();
  const weights = ENCODER.files.get("model.safetensors")!;
  const part = join(cache, "models--acme--encoder", "blobs", `${etagOf(weights)}.incomplete`);
  await mkdir(dirname(part), { recursive: true });
  await writeFile(part, weights.bytes.subarray(0, 12_345));
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.deepEqual(hub.resolves("model.safetensors").map((r) => r.range), ["bytes=12345-"]);
  await assert.rejects(stat(part));
});

test("a server that ignores Range still ends byte-identical", async () => {
  const cache = await fresh();
  hub.ignoreRange = true;
  hub.dropOnce.add("model.safetensors");
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.equal(hub.resolves("model.safetensors").length, 2);
});

test("bytes that do not match the listed sha256 are rejected and deleted", async () => {
  const cache = await fresh();
  hub.corrupt.add("model.safetensors");
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.match(err.message, /^acme\/encoder: model\.safetensors: downloaded bytes have sha256/);
    return true;
  });
  const blob = join(cache, "models--acme--encoder", "blobs", etagOf(ENCODER.files.get("model.safetensors")!));
  await assert.rejects(stat(blob));
  await assert.rejects(stat(`${blob}.incomplete`));
});

test("an explicit file list replaces the selection", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["config.json", "README.md"], ...quiet });
  await assertSameFiles(dir, ENCODER, ["config.json", "README.md"]);
  assert.equal(hub.resolves("model.safetensors").length, 0);
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["nope.json"], ...quiet }), /acme\/encoder: the repo at main has no nope\.json/);
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["../escape"], ...quiet }), /not a plain relative file path/);
});

test("an unreachable hub fails fast, with the cache hint", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: `http://127.0.0.1:${port}`, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof ModelNotCachedError);
    assert.match(err.message, /could not be reached \(fetch failed: ECONNREFUSED/);
    assert.match(err.message, /Put them in: /);
    return true;
  });
});

// The test's own timeout is only a guard against a hang; the behaviour is the error.
test("a hub that never answers times out instead of hanging", { timeout: 120_000 }, async () => {
  await fresh();
  hub.hang = true;
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: hub.url, timeoutMs: 300, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof ModelNotCachedError);
    assert.match(err.message, /could not be reached \(no response within 0\.3 s\)/);
    return true;
  });
});

test("a download that stalls mid-file gives up after the timeout, keeps its bytes, and resumes later", { timeout: 120_000 }, async () => {
  const cache = await fresh();
  hub.stall.add("model.safetensors");
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, timeoutMs: 200, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.match(err.message, /^acme\/encoder: downloading model\.safetensors failed after 5 attempts \(no data for 0\.2 s\); \d+ of 200000 bytes are kept in .*\.incomplete and the next call resumes from there$/);
    return true;
  });
  // Every attempt delivered half of what was left, and the next one asked for the rest.
  const ranges = hub.resolves("model.safetensors").map((r) => r.range);
  assert.deepEqual(ranges, [undefined, "bytes=100000-", "bytes=150000-", "bytes=175000-", "bytes=187500-"]);
  hub.reset();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.deepEqual(hub.resolves("model.safetensors").map((r) => r.range), ["bytes=193750-"]);
});
