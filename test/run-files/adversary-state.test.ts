import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ADVERSARY_STATE_NAME, readAdversaryState, writeAdversaryState, type AdversaryState } from "../../src/run-files/adversary-state.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const STATE: AdversaryState = {
  languages: ["de", "en"],
  dim: 4,
  hidden: 3,
  step: 7,
  weights: { hidden: new Float32Array([0.5, -1.25, 3e-8]), out: new Float32Array([2]) },
  moments: { hidden: { step: 7, m: new Float32Array([0.1, 0.2, 0.3]), v: new Float32Array([1, 2, 3]) } },
};

describe("adversary.json", () => {
  const dir = tempDir("hybrid-ir-adversary-state-");

  test("write → read round-trips the float32 values exactly", async () => {
    await writeAdversaryState(dir(), STATE);
    assert.deepEqual(await readAdversaryState(dir()), STATE);
  });

  test("a bad file is a DataError naming the file and the field", async () => {
    const path = join(dir(), ADVERSARY_STATE_NAME);
    const json = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    const cases: [unknown, RegExp][] = [
      [{ ...json, dim: "4" }, /^dim must be a whole number/],
      [{ ...json, weights: { hidden: 3 } }, /^weights\.hidden must be base64 float32 values/],
      [{ ...json, format: "hybrid-ir/adversary@9" }, /format 'hybrid-ir\/adversary@9'/],
    ];
    for (const [bad, problem] of cases) {
      await writeFile(path, JSON.stringify(bad));
      await rejectsNaming(readAdversaryState(dir()), path, problem);
    }
  });
});
