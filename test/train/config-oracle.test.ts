import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { packageRoot } from "../../src/paths.js";
import { resolveCases } from "./config-cases.js";

// The oracle: what the hand-written resolver (replaced in #18 by the option table) made of every
// config and grid in configs/ and of inline configs setting every option, captured once from it.
test("every config and grid in configs/ (and every option, under flags) resolves as before the option table", async () => {
  const root = packageRoot();
  const fixture = JSON.parse(await readFile(join(root, "test", "fixtures", "run-configs", "resolved.json"), "utf8")) as Record<string, unknown>;
  const now = await resolveCases(root);
  assert.deepEqual(Object.keys(now).sort(), Object.keys(fixture).sort());
  for (const [name, expected] of Object.entries(fixture)) assert.deepEqual(now[name], expected, name);
});
