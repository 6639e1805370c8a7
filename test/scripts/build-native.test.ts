/**
 * The native module's build (the last step of `npm run build`): it compiles, skips what is up to
 * date, and without a compiler or with a broken source says why, exits 0 and leaves no file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildNative } from "../../scripts/build-native.js";
import { packageRoot } from "../../src/paths.js";

const SOURCE = join(packageRoot(), "native", "blas_matmul.cc");
const SCRIPT = fileURLToPath(new URL("../../scripts/build-native.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "hybrid-ir-build-native-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const haveCompiler = spawnSync(process.env.CXX ?? "c++", ["--version"]).status === 0;

test("compiles the module, which loads and has its two functions; a second build sees it up to date", { skip: !haveCompiler && !process.env.CI ? "no C++ compiler here" : false }, () => {
  const out = join(dir, "blas_matmul.node");
  const first = buildNative({ source: SOURCE, out });
  assert.deepEqual(first, { built: true, message: `built ${out}` });
  const module = createRequire(import.meta.url)(out) as Record<string, unknown>;
  assert.deepEqual([typeof module.open, typeof module.matmul], ["function", "function"]);
  const built = statSync(out).mtimeMs;
  assert.deepEqual(buildNative({ source: SOURCE, out }), { built: false, message: "up to date" });
  assert.equal(statSync(out).mtimeMs, built);
});

test("no compiler, or a source that does not compile: a message, and no file left behind", () => {
  const out = join(dir, "none", "blas_matmul.node");
  const missing = buildNative({ source: SOURCE, out, cxx: "/nonexistent/c++" });
  assert.equal(missing.built, false);
  assert.match(missing.message, /^no C\+\+ compiler \(\/nonexistent\/c\+\+: .*\); matrix products stay on XNNPACK/);
  if (haveCompiler) {
    const broken = join(dir, "broken.cc");
    writeFileSync(broken, "this is not C++\n");
    const failed = buildNative({ source: broken, out });
    assert.match(failed.message, /^compiling .*broken\.cc failed \(.+ exited \d+\)/);
  }
  assert.deepEqual(readdirSync(join(dir, "none")), []);
});

test("HYBRID_IR_NATIVE=0 skips the build, and the script exits 0", () => {
  const r = spawnSync(process.execPath, [SCRIPT], { encoding: "utf8", env: { ...process.env, HYBRID_IR_NATIVE: "0" } });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "build-native: skipped (HYBRID_IR_NATIVE=0)\n");
});
