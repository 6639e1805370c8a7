import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { packageRoot } from "../../src/paths.js";
import { runConfigReference } from "../../src/train/config-fields.js";
import { spliceGenerated } from "../../src/util/option-table.js";

test("docs/run-config.md's option reference is the one the field table renders (regenerate: node dist/scripts/config-doc.js --write)", async () => {
  const doc = await readFile(join(packageRoot(), "docs", "run-config.md"), "utf8");
  assert.equal(doc, spliceGenerated(doc, runConfigReference()));
});

test("a reference edited by hand, or left behind by a table change, is stale", async () => {
  const doc = await readFile(join(packageRoot(), "docs", "run-config.md"), "utf8");
  const edited = doc.replace("| `steps` | integer ≥ 1 | 1000 |", "| `steps` | integer ≥ 1 | 999 |");
  assert.notEqual(edited, doc, "the steps row is in the document");
  assert.notEqual(spliceGenerated(edited, runConfigReference()), edited);
  assert.throws(() => spliceGenerated("# no markers\n", runConfigReference()), /no generated-options markers/);
});
