import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { PerQueryResult } from "../../src/eval/result.js";
import { PER_QUERY_SCHEMA_VERSION, readPerQueryFile, writePerQueryFile } from "../../src/run-files/per-query.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const PER_QUERY: PerQueryResult = {
  queryIndex: [0, 1],
  lang: ["de", "en"],
  monoAP: [0.5, null],
  crossAP: [0.25, 1],
  multiAP: [0.1, 0.2],
  rankDistance: [3, null],
  poolRank: [[1, 4], [null, 2]],
};

describe("per-query.json", () => {
  const dir = tempDir("hybrid-ir-per-query-");

  test("per-query: write → read round-trips; an old file without schemaVersion reads; a missing one is null", async () => {
    const path = join(dir(), "per-query.json");
    await writePerQueryFile(path, PER_QUERY);
    assert.equal(JSON.parse(await readFile(path, "utf8")).schemaVersion, PER_QUERY_SCHEMA_VERSION);
    assert.deepEqual(await readPerQueryFile(path), PER_QUERY);
    await writeFile(path, JSON.stringify(PER_QUERY));
    assert.deepEqual(await readPerQueryFile(path), PER_QUERY);
    assert.equal(await readPerQueryFile(join(dir(), "none.json")), null);
  });

  test("per-query: a column of the wrong length or type is a DataError naming the file and the column", async () => {
    const path = join(dir(), "bad.json");
    await writeFile(path, JSON.stringify({ ...PER_QUERY, rankDistance: [1] }));
    await rejectsNaming(readPerQueryFile(path), path, /^rankDistance must be 2 values/);
    await writeFile(path, JSON.stringify({ ...PER_QUERY, lang: "de" }));
    await rejectsNaming(readPerQueryFile(path), path, /^lang must be an array/);
  });
});
