import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  EMPTY_INTERVAL,
  readTrainerProgress,
  readTrainerStateFile,
  TRAINER_STATE_FORMAT,
  TRAINER_STATE_NAME,
  writeTrainerStateFile,
} from "../../src/run-files/trainer-state.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const STATE = {
  step: 20,
  sampler: { sampler: "hybrid", seed: 3, epoch: 1, batch: 4 },
  bestValLoss: 2.5,
  bestStep: 10,
  badValidations: 1,
  lastValidationStep: 20,
  stop: { status: "early-stopped", step: 20, message: "no better validation loss" },
  interval: { loss: 1.5, gradNorm: 0.5, steps: 2, pairs: 16, seconds: 0.25 },
  optimizer: { step: 20, file: "optimizer.bin", moments: [{ name: "embeddings.word_embeddings.weight", step: 20, size: 64 }] },
} as const;

describe("trainer-state.json", () => {
  const dir = tempDir("hybrid-ir-trainer-state-");

  test("write → read round-trips", async () => {
    await writeTrainerStateFile(dir(), STATE as unknown as Parameters<typeof writeTrainerStateFile>[1]);
    assert.deepEqual(await readTrainerStateFile(dir()), { format: TRAINER_STATE_FORMAT, ...STATE });
  });

  test("an @1 file (before stop and interval) reads as not stopped, with an empty interval", async () => {
    const { stop: _stop, interval: _interval, ...v1 } = STATE;
    await writeFile(join(dir(), TRAINER_STATE_NAME), JSON.stringify({ ...v1, format: "hybrid-ir/trainer-state@1" }));
    const progress = await readTrainerProgress(dir());
    assert.equal(progress.stop, null);
    assert.deepEqual(progress.interval, EMPTY_INTERVAL);
    assert.equal(progress.step, 20);
  });

  test("a bad file is a DataError naming the file and the field", async () => {
    const path = join(dir(), TRAINER_STATE_NAME);
    const json = { ...STATE, format: TRAINER_STATE_FORMAT };
    const cases: [unknown, RegExp][] = [
      [{ ...json, bestStep: 30 }, /^bestStep must be at most step \(20\)/],
      [{ ...json, sampler: { ...json.sampler, epoch: -1 } }, /^sampler\.epoch must be a whole number/],
      [{ ...json, format: "hybrid-ir/trainer-state@9" }, /format 'hybrid-ir\/trainer-state@9'/],
    ];
    for (const [bad, problem] of cases) {
      await writeFile(path, JSON.stringify(bad));
      await rejectsNaming(readTrainerStateFile(dir()), path, problem);
    }
    assert.ok((await readFile(path, "utf8")).length > 0);
  });
});
