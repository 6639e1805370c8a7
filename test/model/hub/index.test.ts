import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { HubError, ModelNotCachedError, resolveModel } from "../../../src/model/hub/index.js";
import { ENCODER, fresh, hub, quiet, serveFakeHub, tempDir } from "./fake-hub.js";

serveFakeHub();

test("a local directory is returned unchanged; a missing one is not mistaken for a hub id", async () => {
  const dir = await tempDir();
  hub.reset();
  assert.equal(await resolveModel(dir, { endpoint: hub.url }), dir);
  await assert.rejects(resolveModel(join(dir, "nope"), { endpoint: hub.url }), /is neither an existing directory nor a hub model id/);
  await assert.rejects(resolveModel("./nope/model", { endpoint: hub.url }), /is neither an existing directory nor a hub model id/);
  assert.equal(hub.requests.length, 0);
});

test("an unknown repo or revision is a clear error naming the id", async () => {
  const cache = await fresh();
  await assert.rejects(resolveModel("nobody/missing", { cacheDir: cache, endpoint: hub.url, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError && !(err instanceof ModelNotCachedError));
    assert.match(err.message, /^nobody\/missing: no such model \(or revision "main"\) at http:\/\/127\.0\.0\.1:\d+, and no local directory of that name; if it is private, set HF_TOKEN \(hub said: Repository not found\)/);
    return true;
  });
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, revision: "v9", ...quiet }), /revision "v9".*Invalid rev id: v9/);
});

test("HF_HUB_CACHE and HF_ENDPOINT are the defaults", async () => {
  const cache = await fresh();
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_ENDPOINT = `${hub.url}/`;
  try {
    const dir = await resolveModel("acme/encoder", quiet);
    assert.equal(dir, join(cache, "models--acme--encoder", "snapshots", ENCODER.sha));
  } finally {
    delete process.env.HF_HUB_CACHE;
    delete process.env.HF_ENDPOINT;
  }
});
