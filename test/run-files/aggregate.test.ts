import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { AggregateRow } from "../../src/ablate/types.js";
import { AGGREGATE_JSON, readAggregate, writeAggregate } from "../../src/run-files/aggregate.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const ROW: AggregateRow = {
  key: "3f2a9c1b0d4e",
  dir: "3f2a9c1b0d4e",
  model: "mini 2x128",
  train: "mlqa-r",
  eval: "xquad-r",
  strategy: "hybrid",
  alpha: 0.5,
  seed: 1,
  state: "complete",
  steps: 40,
  checkpointStep: 40,
  bestValLoss: 2.1,
  monoMap: 0.3,
  crossMap: 0.2,
  multiMap: 0.1,
  rankDistance: 12.5,
  pairsPerSec: 30,
  gitCommit: null,
};

describe("a grid's aggregate (results.json beside the run directories)", () => {
  const dir = tempDir("hybrid-ir-aggregate-");

  test("write → read round-trips the rows", async () => {
    await writeAggregate(dir(), [ROW, { ...ROW, key: "b", dir: "b", state: "new", monoMap: null }]);
    assert.deepEqual(await readAggregate(dir()), [ROW, { ...ROW, key: "b", dir: "b", state: "new", monoMap: null }]);
  });

  test("a bad row is a DataError naming the file, the row and the field", async () => {
    const path = join(dir(), AGGREGATE_JSON);
    await writeFile(path, JSON.stringify([ROW, { ...ROW, monoMap: "0.3" }]));
    await rejectsNaming(readAggregate(dir()), path, /^\[1\]\.monoMap must be a number or null/);
    await writeFile(path, JSON.stringify({ rows: [] }));
    await rejectsNaming(readAggregate(dir()), path, /must hold an array of rows/);
  });
});
