/**
 * Copies the released XQuAD-R / MLQA-R files and the paper's result tables into data/, with
 * licenses, and writes the checksum manifest the loader verifies. Run once by a maintainer
 * (`npm run vendor-data -- --from ../shared`); users get the vendored copy with the clone.
 */
import { copyFile, mkdir, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { MANIFEST_NAME, formatManifest, parseManifest, sha256 } from "../src/data/manifest.js";
import { dataDir } from "../src/paths.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";

const { values } = parseArgs({ options: { from: { type: "string", default: "../shared" } } });
const shared = resolve(values.from ?? "../shared");
const srcLareqa = join(shared, "data", "lareqa");
const dstLareqa = join(dataDir(), "lareqa");

// Checking against the source's own manifest catches a corrupt source before it is vendored.
const sourceSums = parseManifest(await readFile(join(shared, "data", MANIFEST_NAME), "utf8"), join(shared, "data", MANIFEST_NAME));
const entries = new Map<string, string>();
for (const dataset of ["xquad-r", "mlqa-r"]) {
  await mkdir(join(dstLareqa, dataset), { recursive: true });
  for (const name of (await readdir(join(srcLareqa, dataset))).sort()) {
    const rel = `${dataset}/${name}`;
    const bytes = await readFile(join(srcLareqa, rel));
    const hash = sha256(bytes);
    const expected = sourceSums.get(`lareqa/${rel}`);
    if (expected !== undefined && expected !== hash) {
      throw new Error(`${join(srcLareqa, rel)}: sha256 ${hash} differs from the source manifest (${expected})`);
    }
    await copyFile(join(srcLareqa, rel), join(dstLareqa, rel));
    entries.set(rel, hash);
  }
}
await writeFileAtomic(join(dstLareqa, MANIFEST_NAME), formatManifest(entries));

const refName = "paper-2408.10536-results.json";
const refBytes = await readFile(join(shared, "reference", refName));
await mkdir(join(dataDir(), "reference"), { recursive: true });
await writeFileAtomic(join(dataDir(), "reference", refName), refBytes);
await writeFileAtomic(
  join(dataDir(), "reference", MANIFEST_NAME),
  formatManifest(new Map([[refName, sha256(refBytes)]])),
);
console.log(`vendored ${entries.size} files into ${dstLareqa} and ${refName} into ${join(dataDir(), "reference")}`);
