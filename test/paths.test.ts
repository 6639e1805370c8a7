/**
 * packageRoot() finds the directory of package.json from wherever the module runs, skipping a
 * `dist` that holds a copied package.json; dataDir() is its data/; hybridIrCacheDir() the suite's cache.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dataDir, hybridIrCacheDir, packageRoot } from "../src/paths.js";

/** This test runs from dist/test/paths.test.js: the repository is two levels up. */
const REPO = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const COMPILED = fileURLToPath(new URL("../src/paths.js", import.meta.url));

/** A fresh copy of the compiled module at `dir/paths.mjs` (its own cache), imported. */
async function pathsModuleIn(dir: string): Promise<typeof import("../src/paths.js")> {
  await mkdir(dir, { recursive: true });
  await copyFile(COMPILED, join(dir, "paths.mjs"));
  return import(pathToFileURL(join(dir, "paths.mjs")).href);
}

test("from the build, the root is the repository, and dataDir its vendored data", async () => {
  assert.equal(packageRoot(), REPO);
  assert.equal(packageRoot(), REPO, "the cached answer is the same");
  assert.equal(dataDir(), join(REPO, "data"));
  assert.ok((await readdir(dataDir())).includes("lareqa"));
});

test("a dist/ holding a copy of package.json is skipped for the directory above it", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hybrid-ir-paths-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, "package.json"), "{}");
  await mkdir(join(root, "dist"));
  await writeFile(join(root, "dist", "package.json"), "{}");
  const paths = await pathsModuleIn(join(root, "dist", "src"));
  assert.equal(paths.packageRoot(), root);
  assert.equal(paths.dataDir(), join(root, "data"));
});

test("no package.json in any parent directory is an error naming where the search began", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "hybrid-ir-paths-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const ancestors: string[] = [];
  for (let d = root; dirname(d) !== d; d = dirname(d)) ancestors.push(d);
  ancestors.push("/");
  if (ancestors.some((d) => existsSync(join(d, "package.json")))) {
    t.skip("a package.json above the temporary directory");
    return;
  }
  const start = join(root, "a", "b");
  const paths = await pathsModuleIn(start);
  assert.throws(() => paths.packageRoot(), { message: `no package.json in ${start} or any parent directory` });
});


test("hybridIrCacheDir: under $HYBRID_IR_CACHE, else $XDG_CACHE_HOME/hybrid-ir, else ~/.cache/hybrid-ir", () => {
  const saved = { cache: process.env.HYBRID_IR_CACHE, xdg: process.env.XDG_CACHE_HOME };
  try {
    process.env.HYBRID_IR_CACHE = "/data/cache";
    process.env.XDG_CACHE_HOME = "/xdg";
    assert.equal(hybridIrCacheDir("frozen-states"), "/data/cache/frozen-states");
    delete process.env.HYBRID_IR_CACHE;
    assert.equal(hybridIrCacheDir("frozen-states"), "/xdg/hybrid-ir/frozen-states");
    delete process.env.XDG_CACHE_HOME;
    assert.equal(hybridIrCacheDir("corpus-embeddings"), join(homedir(), ".cache", "hybrid-ir", "corpus-embeddings"));
  } finally {
    for (const [key, value] of [["HYBRID_IR_CACHE", saved.cache], ["XDG_CACHE_HOME", saved.xdg]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});
