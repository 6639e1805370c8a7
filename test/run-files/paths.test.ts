/**
 * The run directory's file list is the one place that says what a run directory holds: the
 * shipped runs hold nothing else, every path helper points into it, and README names each file.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { alignmentPath, configPath, metricsPath, perQueryPath, resultsPath, RUN_FILES } from "../../src/run-files/paths.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

test("every file of the shipped runs is a run file (per-query.json gzipped for shipping), and each helper names one", async () => {
  const root = join(REPO, "results", "small");
  const keys = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.ok(keys.length >= 10, `${keys.length} shipped runs in ${root}`);
  for (const key of keys) {
    for (const name of await readdir(join(root, key))) {
      assert.ok(RUN_FILES.includes(name.replace(/\.gz$/, "")), `${key}/${name} is not in RUN_FILES`);
    }
  }
  assert.equal(new Set(RUN_FILES).size, RUN_FILES.length);
  for (const path of [configPath, metricsPath, resultsPath, perQueryPath, alignmentPath]) {
    const name = basename(path("/runs/r"));
    assert.ok(RUN_FILES.includes(name), name);
    assert.equal(path("/runs/r"), join("/runs/r", name));
  }
});

test("README's description of a run directory names every file it can hold", async () => {
  const readme = await readFile(join(REPO, "README.md"), "utf8");
  for (const name of RUN_FILES) assert.ok(readme.includes(`\`${name}`), `README does not mention \`${name}\``);
});
