/**
 * Writes the run config's option reference, rendered from its field table
 * (src/train/config-fields.ts), into docs/run-config.md between the generated-options markers.
 * `--write` rewrites the file; without it, exits 1 if the file is stale (as
 * test/train/config-fields.test.ts checks).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { packageRoot } from "../src/paths.js";
import { runConfigReference } from "../src/train/config-fields.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { spliceGenerated } from "../src/util/option-table.js";

const file = join(packageRoot(), "docs", "run-config.md");
const doc = await readFile(file, "utf8");
const fresh = spliceGenerated(doc, runConfigReference());
if (process.argv.includes("--write")) {
  if (fresh !== doc) await writeFileAtomic(file, fresh);
  console.log(fresh === doc ? `${file} is up to date` : `wrote ${file}`);
} else if (fresh !== doc) {
  console.error(`${file} is stale: run node dist/scripts/config-doc.js --write`);
  process.exitCode = 1;
}
