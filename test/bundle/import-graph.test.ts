/**
 * The import scan the bundle relies on to prove the CLI never loads a notebook-only package:
 * which specifiers count, and the chain reported for a package reached through lazy imports.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { importGraph, moduleSpecifiers, packageName } from "../../scripts/bundle/import-graph.js";

describe("moduleSpecifiers", () => {
  test("static imports and re-exports are eager; import() and require() lazy; comments and computed names are not imports", () => {
    const code = [
      `import * as tf from "@tensorflow/tfjs";`,
      `import { a, b } from './a.js';`,
      `import "./side-effect.js";`,
      `export { c } from "./c.js";`,
      `export * from "./d.js";`,
      `const x = await import("./lazy.js");`,
      `const y = require('tslab');`,
      `/** e.g. await import("in-a-comment") */`,
      `  // import x from "line-comment";`,
      `const z = await import(specifier);`,
      `const s = "import nothing from 'a string'";`,
    ].join("\n");
    assert.deepEqual(moduleSpecifiers(code), [
      { specifier: "@tensorflow/tfjs", lazy: false },
      { specifier: "./a.js", lazy: false },
      { specifier: "./side-effect.js", lazy: false },
      { specifier: "./c.js", lazy: false },
      { specifier: "./d.js", lazy: false },
      { specifier: "./lazy.js", lazy: true },
      { specifier: "tslab", lazy: true },
    ]);
  });

  test("packageName keeps the scope and drops deep paths", () => {
    assert.equal(packageName("@tensorflow/tfjs-core/dist/index.js"), "@tensorflow/tfjs-core");
    assert.equal(packageName("lodash/fp"), "lodash");
  });
});

describe("importGraph", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "hybrid-ir-graph-"));
    await mkdir(join(root, "dist/cli"), { recursive: true });
    await writeFile(join(root, "dist/cli/main.js"), `import { f } from "../lib.js";\nconst m = await import("./cmd.js");\n`);
    await writeFile(join(root, "dist/lib.js"), `import * as tf from "@tensorflow/tfjs";\nimport { readFile } from "node:fs";\nimport path from "path";\nexport const f = 1;\n`);
    await writeFile(join(root, "dist/cli/cmd.js"), `export async function show() { return import("tslab"); }\nexport const g = (n) => import(n);\n`);
    await writeFile(join(root, "dist/unreached.js"), `import "danfojs-node";\n`);
    await writeFile(join(root, "dist/broken.js"), `import { gone } from "./gone.js";\n`);
  });
  after(async () => rm(root, { recursive: true, force: true }));

  test("follows local modules from the entry points, reports packages with their chains", () => {
    const g = importGraph(root, [join(root, "dist/cli/main.js")]);
    assert.deepEqual(g.files, ["dist/cli/cmd.js", "dist/cli/main.js", "dist/lib.js"]);
    assert.deepEqual(
      g.packages.map((p) => [p.name, p.lazy, p.chain]),
      [
        ["@tensorflow/tfjs", false, ["dist/cli/main.js", "dist/lib.js"]],
        ["tslab", true, ["dist/cli/main.js", "dist/cli/cmd.js"]],
      ],
    );
    assert.deepEqual([...g.computed], [["dist/cli/cmd.js", 1]]);
  });

  test("a missing local module is an error that says to rebuild", () => {
    assert.throws(() => importGraph(root, [join(root, "dist/broken.js")]), /dist\/broken\.js imports '\.\/gone\.js', which does not exist .*rebuild/);
  });
});
