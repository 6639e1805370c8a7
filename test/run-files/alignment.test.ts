import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { AlignmentResult } from "../../src/eval/alignment.js";
import { ALIGNMENT_SCHEMA_VERSION, readAlignmentFile, writeAlignmentFile } from "../../src/run-files/alignment.js";
import { rejectsNaming, tempDir } from "./helpers.js";

describe("alignment.json", () => {
  const dir = tempDir("hybrid-ir-alignment-");

  test("alignment: write → read round-trips; an old file reads; a file without languages names the field", async () => {
    const path = join(dir(), "alignment.json");
    const alignment = { dataset: "xquad-r", languages: ["de", "en"], numCandidates: 4, dim: 8 } as unknown as AlignmentResult;
    await writeAlignmentFile(path, alignment);
    assert.deepEqual(await readAlignmentFile(path), alignment);
    await writeFile(path, JSON.stringify(alignment));
    assert.deepEqual(await readAlignmentFile(path), alignment);
    await writeFile(path, JSON.stringify({ ...alignment, languages: [1] }));
    await rejectsNaming(readAlignmentFile(path), path, /^languages must be an array of language codes/);
  });

  test("the file carries its schema version first, one JSON line; a run without the file reads as null", async () => {
    const path = join(dir(), "versioned.json");
    const alignment = { dataset: "mlqa-r", languages: ["en"], numCandidates: 1, dim: 2, bitext: { pairs: [] } } as unknown as AlignmentResult;
    await writeAlignmentFile(path, alignment);
    const text = await readFile(path, "utf8");
    assert.equal(text, JSON.stringify({ schemaVersion: ALIGNMENT_SCHEMA_VERSION, ...alignment }) + "\n");
    assert.equal(await readAlignmentFile(join(dir(), "none.json")), null);
  });

  test("a newer schema, a missing language list, or a file that is no object is a DataError naming the file", async () => {
    const path = join(dir(), "bad.json");
    const alignment = { dataset: "xquad-r", languages: ["de"], numCandidates: 4, dim: 8 };
    await writeFile(path, JSON.stringify({ schemaVersion: ALIGNMENT_SCHEMA_VERSION + 1, ...alignment }));
    await rejectsNaming(readAlignmentFile(path), path, /^schemaVersion \d+ is newer than this hybrid-ir reads \(\d+\): update hybrid-ir$/);
    await writeFile(path, JSON.stringify({ dataset: "xquad-r" }));
    await rejectsNaming(readAlignmentFile(path), path, /^languages must be an array, got undefined$/);
    await writeFile(path, JSON.stringify({ ...alignment, languages: "de,en" }));
    await rejectsNaming(readAlignmentFile(path), path, /^languages must be an array, got "de,en"$/);
    await writeFile(path, "[1, 2]");
    await rejectsNaming(readAlignmentFile(path), path, /^must hold a JSON object, got \[1,2\]$/);
    await writeFile(path, '{"languages": ');
    await rejectsNaming(readAlignmentFile(path), path, /^invalid JSON/);
  });
});
