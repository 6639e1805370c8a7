/**
 * The dependency closure on a hand-made node_modules tree: nested copies, hoisting, npm
 * aliases, optional and excluded packages, type-only packages, and code-derived requirements.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { aliasTarget, dependencyClosure, resolvePackageDir } from "../../scripts/bundle/closure.js";

async function pkg(root: string, dir: string, manifest: Record<string, unknown>): Promise<void> {
  await mkdir(join(root, dir), { recursive: true });
  await writeFile(join(root, dir, "package.json"), JSON.stringify(manifest));
}

describe("dependencyClosure", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hybrid-ir-closure-"));
    await pkg(root, ".", {
      name: "app",
      dependencies: { a: "^1", b: "npm:real-b@^1", notebook: "^1" },
      optionalDependencies: { "opt-present": "^1", "opt-missing": "^1" },
      devDependencies: { dev: "^1" },
    });
    await pkg(root, "node_modules/a", { name: "a", version: "1.0.0", license: "MIT", dependencies: { c: "^2", "@types/t": "^1" } });
    await pkg(root, "node_modules/a/node_modules/c", { name: "c", version: "2.0.0" });
    await pkg(root, "node_modules/c", { name: "c", version: "1.0.0", license: { type: "ISC" } });
    await pkg(root, "node_modules/b", { name: "real-b", version: "3.0.0", dependencies: { c: "^1" } });
    await pkg(root, "node_modules/notebook", { name: "notebook", version: "1.0.0", dependencies: { "only-notebook": "^1" } });
    await pkg(root, "node_modules/only-notebook", { name: "only-notebook", version: "1.0.0" });
    await pkg(root, "node_modules/opt-present", { name: "opt-present", version: "1.0.0", peerDependencies: { c: "^1", absent: "^1" } });
    await pkg(root, "node_modules/dev", { name: "dev", version: "1.0.0" });
    await pkg(root, "node_modules/@types/t", { name: "@types/t", version: "1.0.0", dependencies: { "types-only-dep": "^1" } });
    await pkg(root, "node_modules/types-only-dep", { name: "types-only-dep", version: "1.0.0" });
  });
  after(async () => rm(root, { recursive: true, force: true }));

  test("resolves as Node does: own node_modules first, then each parent's", () => {
    assert.equal(resolvePackageDir(root, join(root, "node_modules/a"), "c"), join(root, "node_modules/a/node_modules/c"));
    assert.equal(resolvePackageDir(root, join(root, "node_modules/b"), "c"), join(root, "node_modules/c"));
    assert.equal(resolvePackageDir(root, join(root, "node_modules/b"), "nothing"), undefined);
  });

  test("aliasTarget reads npm: specs", () => {
    assert.equal(aliasTarget("npm:@tensorflow/tfjs@^4.22.0"), "@tensorflow/tfjs");
    assert.equal(aliasTarget("npm:real-b"), "real-b");
    assert.equal(aliasTarget("^1.0.0"), undefined);
  });

  test("walks production dependencies, nested and aliased, leaving out excluded, dev, missing optional and type-only ones", () => {
    const closure = dependencyClosure(root, { exclude: new Set(["notebook"]), skip: (n) => n.startsWith("@types/") });
    assert.deepEqual(
      closure.map((p) => [p.dir, p.realName, p.version, p.license]),
      [
        ["node_modules/a", "a", "1.0.0", "MIT"],
        ["node_modules/a/node_modules/c", "c", "2.0.0", "UNKNOWN"],
        ["node_modules/b", "real-b", "3.0.0", "UNKNOWN"],
        ["node_modules/c", "c", "1.0.0", "ISC"],
        ["node_modules/opt-present", "opt-present", "1.0.0", "UNKNOWN"],
      ],
    );
    assert.deepEqual(closure.find((p) => p.dir === "node_modules/c")?.via, ["b", "c"]);
    assert.equal(closure.find((p) => p.dir === "node_modules/b")?.name, "b");
  });

  test("a bundled package that needs an excluded one is an error naming the chain", () => {
    assert.throws(() => dependencyClosure(root, { exclude: new Set(["notebook", "c"]) }), /a → c: 'c' is excluded from the bundle but required by a/);
  });

  test("a required package that is not installed is an error", async () => {
    await pkg(root, "node_modules/a/node_modules/broken", { name: "broken", version: "1.0.0", dependencies: { gone: "^1" } });
    try {
      assert.throws(() => dependencyClosure(root, { exclude: new Set(["notebook"]), requires: (p) => (p.name === "a" ? new Set(["broken"]) : undefined) }), /a → broken → gone: 'gone' \(\^1\) is not installed/);
    } finally {
      await rm(join(root, "node_modules/a/node_modules/broken"), { recursive: true });
    }
  });

  test("requires replaces a package's declared dependencies, undeclared hoisted ones included", () => {
    const closure = dependencyClosure(root, {
      exclude: new Set(["notebook"]),
      requires: (p) => (p.name === "a" ? new Set(["dev"]) : undefined),
    });
    const dirs = closure.map((p) => p.dir);
    assert.ok(dirs.includes("node_modules/dev"), "a requires dev without declaring it");
    assert.ok(!dirs.includes("node_modules/a/node_modules/c"), "a declares c but does not require it");
    assert.ok(!dirs.includes("node_modules/@types/t"));
  });
});
