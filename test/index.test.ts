import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const INDEX = fileURLToPath(new URL("../src/index.js", import.meta.url));

// tslab (the notebooks' kernel) loads the library with require(), which Node refuses for an ES
// module graph holding a top-level await anywhere: every notebook would fail at its first cell.
test("the library loads through require(), as the notebooks' tslab kernel loads it", () => {
  const run = spawnSync(process.execPath, ["-e", `const lib = require(${JSON.stringify(INDEX)}); console.log(typeof lib.loadDataset)`], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "function");
});

// A notebook's first cell imports dozens of names; one the library does not export fails the
// notebook only when it runs (minutes into npm test). Type-only names are left to the notebook run.
test("every value a notebook imports from the library is exported", async () => {
  const lib = (await import(INDEX)) as Record<string, unknown>;
  const notebooks = join(fileURLToPath(new URL("../../", import.meta.url)), "notebooks");
  const missing: string[] = [];
  let checked = 0;
  for (const file of (await readdir(notebooks)).filter((f) => f.endsWith(".ipynb")).sort()) {
    const nb = JSON.parse(await readFile(join(notebooks, file), "utf8")) as { cells: { cell_type: string; source: string[] | string }[] };
    for (const cell of nb.cells.filter((c) => c.cell_type === "code")) {
      const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*"\.\.\/dist\/src\/index\.js"/g)) {
        for (const name of m[1].split(",").map((n) => n.trim()).filter((n) => n !== "" && !n.startsWith("type "))) {
          checked++;
          if (!(name in lib)) missing.push(`${file}: ${name}`);
        }
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} imports found: the pattern no longer matches the notebooks`);
  assert.deepEqual(missing, []);
});
