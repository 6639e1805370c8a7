import assert from "node:assert/strict";
import { test } from "node:test";
import { HubApiError } from "@huggingface/hub";
import { apiError, describe, HubError, isUnreachable, ModelNotCachedError, RetryableError } from "../../../src/model/hub/errors.js";
import type { Hub } from "../../../src/model/hub/settings.js";

const HUB: Hub = { repoId: "acme/encoder", endpoint: "https://hub.example", token: undefined, timeoutMs: 2500, onProgress: undefined };
/** A HubApiError as @huggingface/hub's createApiError words it. */
const api = (status: number, said = "Repository not found") => new HubApiError("https://hub.example/api/models/acme/encoder", status, undefined, `${said}. URL: https://hub.example/api/models/acme/encoder`);

test("HubError starts with the repo id and keeps its cause; ModelNotCachedError lists what is missing and where it goes", () => {
  const cause = new Error("socket hang up");
  const err = new HubError("acme/encoder", "went wrong", { cause });
  assert.equal(err.message, "acme/encoder: went wrong");
  assert.deepEqual([err.name, err.repoId, err.cause], ["HubError", "acme/encoder", cause]);

  const missing = new ModelNotCachedError("acme/encoder", "/cache/models--acme--encoder/snapshots/main", ["config.json", "model.safetensors"], "offline mode is on");
  assert.ok(missing instanceof HubError);
  assert.equal(missing.name, "ModelNotCachedError");
  assert.deepEqual(missing.missing, ["config.json", "model.safetensors"]);
  assert.equal(
    missing.message,
    "acme/encoder: not in the cache, and offline mode is on.\n" +
      "  Missing: config.json, model.safetensors\n" +
      "  Put them in: /cache/models--acme--encoder/snapshots/main\n" +
      "  Or, on a machine with network: huggingface-cli download acme/encoder --local-dir DIR\n" +
      '  then copy DIR here and pass its path instead of "acme/encoder".',
  );
});

test("isUnreachable: no answer, a stall, or a hub that is down or throttling; not a refusal or a bug", () => {
  const named = (name: string) => Object.assign(new Error("x"), { name });
  for (const err of [api(500), api(503), api(429), api(408), new TypeError("fetch failed"), new TypeError("terminated"), named("TimeoutError"), named("AbortError")]) {
    assert.equal(isUnreachable(err), true, `${err.name}: ${err.message}`);
  }
  for (const err of [api(404), api(401), api(403), api(400), new TypeError("x is not a function"), new Error("fetch failed"), new RetryableError("cut"), "fetch failed", null]) {
    assert.equal(isUnreachable(err), false, String(err));
  }
});

test("apiError: 404/401 say the model or revision does not exist, with the token hint that fits", () => {
  const e404 = apiError(api(404), HUB, "v2");
  assert.ok(e404 instanceof HubError);
  assert.equal(
    e404.message,
    'acme/encoder: no such model (or revision "v2") at https://hub.example, and no local directory of that name; if it is private, set HF_TOKEN (hub said: Repository not found)',
  );
  const withToken = apiError(api(401, "Invalid credentials"), { ...HUB, token: "hf_x" }, "main");
  assert.match(withToken.message, /revision "main".*; the token sent may lack access to it \(hub said: Invalid credentials\)$/);
  assert.ok(!withToken.message.includes("hf_x"), "the token itself is never shown");
  assert.equal((withToken as HubError).cause instanceof HubApiError, true);
});

test("apiError: 403 is a gated model, any other status is reported as the hub said it", () => {
  assert.equal(
    apiError(api(403, "Access restricted"), HUB, "main").message,
    "acme/encoder: access denied by https://hub.example: the model is gated or private; accept its terms at https://hub.example/acme/encoder and set HF_TOKEN (hub said: Access restricted)",
  );
  assert.equal(apiError(api(500, "Internal error"), HUB, "main").message, "acme/encoder: https://hub.example answered 500: Internal error");
});

test("apiError: anything not from the hub API passes through as an Error", () => {
  const plain = new RangeError("bad");
  assert.equal(apiError(plain, HUB, "main"), plain);
  const wrapped = apiError("oops", HUB, "main");
  assert.ok(wrapped instanceof Error && !(wrapped instanceof HubError));
  assert.equal(wrapped.message, "oops");
});

test("describe: our own errors as worded, a timeout in seconds, a network failure with its code and cause", () => {
  assert.equal(describe(new RetryableError("the connection closed after 3 of 9 bytes"), HUB), "the connection closed after 3 of 9 bytes");
  assert.equal(describe(new HubError("acme/encoder", "gone"), HUB), "acme/encoder: gone");
  assert.equal(describe(Object.assign(new Error("The operation timed out"), { name: "TimeoutError" }), HUB), "no response within 2.5 s");
  const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
  assert.equal(describe(new TypeError("fetch failed", { cause: refused }), HUB), "fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9");
  assert.equal(describe(new TypeError("fetch failed", { cause: new Error("other side closed") }), HUB), "fetch failed: other side closed");
  assert.equal(describe(new Error("plain"), HUB), "plain");
  assert.equal(describe(42, HUB), "42");
});
