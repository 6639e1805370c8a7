import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readResultsFile, readResultsFileIfExists, RESULTS_SCHEMA_VERSION, writeResultsFile, type RunResults } from "../../src/run-files/results.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const mean = (map: number | null) => ({ map, mrr: map, recall: { "1": map }, queries: 2 });

/** A results.json as hybrid-ir wrote it before versions (no schemaVersion): two languages. */
function resultsV1(): Omit<RunResults, "schemaVersion"> {
  const setting = { mean: mean(0.5), perLanguage: [{ lang: "de", ...mean(0.4) }, { lang: "en", ...mean(0.6) }] };
  return {
    dataset: "xquad-r",
    run: {
      outputDir: "/runs/a",
      status: "completed",
      model: "mini",
      sampler: { name: "x-x", batchSize: 8, seed: 1, alpha: 0.5 } as RunResults["run"]["sampler"],
      steps: 30,
      checkpoint: "best",
      checkpointStep: 20,
      bestValLoss: 2.5,
      gitCommit: null,
    },
    languages: ["de", "en"],
    recallKs: [1],
    numQueries: 2,
    numCandidates: 4,
    mono: setting,
    cross: { ...setting, matrix: { languages: ["de", "en"], map: [], recallAt1: [], queries: [] } },
    multi: setting,
    languageBias: { mean: 3, perLanguage: [], queries: 0 },
  } as unknown as Omit<RunResults, "schemaVersion">;
}

describe("results.json", () => {
  const dir = tempDir("hybrid-ir-results-");

  test("write → read round-trips, with the current schemaVersion", async () => {
    const path = join(dir(), "results.json");
    const written = await writeResultsFile(path, resultsV1());
    assert.equal(written.schemaVersion, RESULTS_SCHEMA_VERSION);
    assert.deepEqual(await readResultsFile(path), written);
    assert.deepEqual(JSON.parse(await readFile(path, "utf8")), written);
  });

  test("an old file without schemaVersion reads as version 1", async () => {
    const path = join(dir(), "old.json");
    await writeFile(path, JSON.stringify(resultsV1()));
    const read = await readResultsFile(path);
    assert.equal(read.schemaVersion, undefined);
    assert.equal(read.run.checkpointStep, 20);
    assert.equal(read.mono.mean.map, 0.5);
  });

  test("a bad file is a DataError naming the file and the field", async () => {
    const path = join(dir(), "bad.json");
    const cases: [unknown, RegExp][] = [
      [{ ...resultsV1(), run: { ...resultsV1().run, checkpoint: "first" } }, /^run\.checkpoint must be "last" or "best"/],
      [{ ...resultsV1(), mono: { ...resultsV1().mono, mean: { map: "high" } } }, /^mono\.mean\.map must be a finite number or null/],
      [{ ...resultsV1(), run: 3 }, /^run must be an object/],
      [{ ...resultsV1(), multi: { ...resultsV1().multi, perLanguage: [] } }, /^multi\.perLanguage must be 2 rows/],
      [{ ...resultsV1(), schemaVersion: RESULTS_SCHEMA_VERSION + 1 }, /^schemaVersion 3 is newer/],
      [[1, 2], /must hold a JSON object/],
    ];
    for (const [json, problem] of cases) {
      await writeFile(path, JSON.stringify(json));
      await rejectsNaming(readResultsFile(path), path, problem);
    }
    await writeFile(path, "{\"dataset\":");
    await rejectsNaming(readResultsFile(path), path, /invalid JSON/);
  });

  test("a missing file is null for readResultsFileIfExists", async () => {
    assert.equal(await readResultsFileIfExists(join(dir(), "none.json")), null);
  });
});
