import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { test } from "node:test";
import { packageRoot } from "../../src/paths.js";
import { resolveCases } from "./config-cases.js";

// The oracle: what the hand-written resolver (replaced in #18 by the option table) made of every
// config and grid in configs/ and of inline configs setting every option, captured once from it.
/**
 * Messages the option table words better than the hand-written resolver did, each checked here
 * instead of the fixture's: the path quoted as in every other section's message, the key named
 * before the problem, the value shown.
 */
const IMPROVED: Readonly<Record<string, unknown>> = {
  "inline/bad-mini-type": { error: "DataError: <root>/configs/inline.json: 'model.mini' must be a JSON object, got 4" },
  "inline/bad-backend": { error: "DataError: <root>/configs/inline.json: backend: unknown backend 'gpu' (known: auto, tensorflow, webgpu, wasm, cpu)" },
  "inline/bad-sampler-type": { error: "DataError: <root>/configs/inline.json: 'sampler' must be a JSON object, got 3" },
};

/** Config files added after the oracle was captured; their own tests (test/train/config.test.ts) cover them. */
const ADDED_SINCE = /^configs\/(pretrained-e5\.json|grids\/pretrained\.json)/;

/** Options added after the oracle: absent from its configs, so they resolve to their "off" value, which is left out here. */
function withoutLaterOptions(cases: Record<string, unknown>): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "forwardChunk") {
        if (v !== null) throw new Error(`a config the oracle knows sets forwardChunk ${String(v)}`);
        continue;
      }
      if (key === "model" && typeof v === "object" && v !== null && "trainLayers" in v) {
        const { trainLayers, ...model } = v as Record<string, unknown>;
        if (trainLayers !== null) throw new Error(`a config the oracle knows sets model.trainLayers ${String(trainLayers)}`);
        out[key] = model;
      } else {
        out[key] = strip(v);
      }
    }
    return out;
  };
  return Object.fromEntries(Object.entries(cases).filter(([name]) => !ADDED_SINCE.test(name)).map(([name, v]) => [name, strip(v)]));
}

test("every config and grid in configs/ (and every option, under flags) resolves as before the option table", async () => {
  const root = packageRoot();
  const captured = JSON.parse(await readFile(join(root, "test", "fixtures", "run-configs", "resolved.json"), "utf8")) as Record<string, unknown>;
  const fixture = { ...captured, ...IMPROVED };
  const now = withoutLaterOptions(await resolveCases(root));
  assert.deepEqual(Object.keys(now).sort(), Object.keys(fixture).sort());
  const differ = Object.keys(fixture).filter((name) => !isDeepStrictEqual(now[name], fixture[name]));
  assert.deepEqual(
    differ.map((name) => ({ name, now: now[name] })),
    [],
  );
});
