/**
 * Tests mirror `src/` (STYLE.md, point 10): every source file with logic of its own has its test
 * file at the same path under `test/`, so the file a test proves is never a guess. Files without
 * logic (types, re-exports, constant tables) are listed here with the reason, and the list is
 * checked against what the compiler emits for them: a listed file that gains a function or a
 * class fails this test until it gets its own test file.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const DIST = fileURLToPath(new URL("../", import.meta.url));

/** Source files (relative to src/) without a test file of their own, and why. */
const WITHOUT_OWN_TEST: Readonly<Record<string, string>> = {
  "data/types.ts": "the dataset records' interfaces and the dataset names",
  "eval/result.ts": "the evaluation result's interfaces",
  "eval/types.ts": "the task and scorer interfaces",
  "model/types.ts": "the encoder config and weight interfaces",
  "sampling/types.ts": "the sampler interfaces",
  "tokenize/types.ts": "the tokenizer interfaces",
};

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const mirrored = (file: string) => join(REPO, "test", file.replace(/\.ts$/, ".test.ts"));

test("every source file with logic of its own has test/<same path>.test.ts", async () => {
  const files = (await sourceFiles(join(REPO, "src"))).map((f) => relative(join(REPO, "src"), f)).sort();
  assert.ok(files.length > 100, `found only ${files.length} source files under ${join(REPO, "src")}`);
  const missing = files.filter((f) => !existsSync(mirrored(f)) && !(f in WITHOUT_OWN_TEST));
  assert.deepEqual(missing, [], "source files with no test/<path>.test.ts and no entry in WITHOUT_OWN_TEST");
});

test("the files listed without a test have no logic: their compiled JavaScript defines no function or class", async () => {
  for (const [file, why] of Object.entries(WITHOUT_OWN_TEST)) {
    assert.ok(why.length > 0, `${file}: give the reason`);
    assert.ok(!existsSync(mirrored(file)), `${file} has a test file now: remove it from WITHOUT_OWN_TEST`);
    const js = await readFile(join(DIST, "src", file.replace(/\.ts$/, ".js")), "utf8");
    // Comments may mention anything; code is what counts.
    const code = js.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    assert.doesNotMatch(code, /\bfunction\b|\bclass\b|=>/, `${file} (${why}) now holds code: give it test/${file.replace(/\.ts$/, ".test.ts")}`);
  }
});
