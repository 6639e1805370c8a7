import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { isPlainObject, object, readJsonFile, readJsonFileIfExists, unknownKeys } from "../../src/util/json-fields.js";

/** Asserts that `f` throws a DataError naming `file` whose problem is exactly `problem`. */
function throwsData(f: () => unknown, file: string, problem: string | RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.equal(err.file, file);
    if (typeof problem === "string") assert.equal(err.problem, problem);
    else assert.match(err.problem, problem);
    return true;
  });
}

test("isPlainObject: objects yes; arrays, null and scalars no", () => {
  assert.equal(isPlainObject({}), true);
  assert.equal(isPlainObject({ a: 1 }), true);
  assert.equal(isPlainObject(Object.create(null)), true);
  for (const v of [[], [1], null, undefined, "x", 1, true]) assert.equal(isPlainObject(v), false, JSON.stringify(v));
});

test("object: the value itself, or a DataError saying what must be an object and what it got", () => {
  const v = { lr: 1e-4 };
  assert.equal(object(v, "the config", "run.json"), v);
  throwsData(() => object([1, 2], "the config", "run.json"), "run.json", "the config must be a JSON object, got [1,2]");
  throwsData(() => object(null, "grid.axes", "grid.json"), "grid.json", "grid.axes must be a JSON object, got null");
  throwsData(() => object("x", "model", "run.json"), "run.json", 'model must be a JSON object, got "x"');
});

test("unknownKeys: known keys pass; unknown ones are listed with the known ones", () => {
  unknownKeys({ lr: 1, seed: 2 }, ["lr", "seed", "steps"], "the config", "run.json");
  unknownKeys({}, [], "the config", "run.json");
  throwsData(() => unknownKeys({ lr: 1, zzzzzz: 2 }, ["lr", "seed"], "the config", "run.json"), "run.json", "unknown key in the config: zzzzzz (known: lr, seed)");
  throwsData(
    () => unknownKeys({ qqqqqq: 1, xxxxxx: 2 }, ["lr"], "grid.axes", "grid.json"),
    "grid.json",
    "unknown keys in grid.axes: qqqqqq, xxxxxx (known: lr)",
  );
});

test("unknownKeys: a near key is guessed, ignoring case, '_' and '-'; the nearest wins", () => {
  throwsData(
    () => unknownKeys({ weight_decay: 0.1 }, ["weightDecay", "lr"], "the config", "run.json"),
    "run.json",
    "unknown key in the config: weight_decay (known: weightDecay, lr); did you mean weight_decay → weightDecay?",
  );
  throwsData(() => unknownKeys({ "WARMUP-STEPS": 1 }, ["warmupSteps"], "x", "f"), "f", /did you mean WARMUP-STEPS → warmupSteps\?$/);
  // "sted" is one edit from "seed", two from "steps".
  throwsData(() => unknownKeys({ sted: 1 }, ["steps", "seed"], "x", "f"), "f", /did you mean sted → seed\?$/);
  // Guesses only for the keys that have one.
  throwsData(() => unknownKeys({ sed: 1, zzzzzz: 2 }, ["seed"], "x", "f"), "f", "unknown keys in x: sed, zzzzzz (known: seed); did you mean sed → seed?");
});

test("unknownKeys: how far a guess may be depends on the known key's length", () => {
  const guess = (key: string, known: string) => {
    try {
      unknownKeys({ [key]: 1 }, [known], "x", "f");
    } catch (err) {
      return /did you mean/.test((err as Error).message);
    }
    throw new Error("no error");
  };
  // A key of up to 3 letters: one edit.
  assert.equal(guess("lx", "lr"), true);
  assert.equal(guess("xy", "lr"), false);
  // Longer: two edits, or a third of the letters ("warmupsteps", 11: three).
  assert.equal(guess("sed", "seed"), true);
  assert.equal(guess("sd", "seed"), true);
  assert.equal(guess("d", "seed"), false);
  assert.equal(guess("wrmpstps", "warmupSteps"), true);
  assert.equal(guess("wrmpstp", "warmupSteps"), false);
});

test("readJsonFile / readJsonFileIfExists: the parsed value; a missing or broken file is a DataError naming it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-json-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, "good.json");
  const bad = join(dir, "bad.json");
  const missing = join(dir, "missing.json");
  await writeFile(good, '{"a": [1, 2], "b": null}');
  await writeFile(bad, '{"a": 1,}');
  assert.deepEqual(await readJsonFile(good), { a: [1, 2], b: null });
  assert.deepEqual(await readJsonFileIfExists(good), { a: [1, 2], b: null });
  assert.equal(await readJsonFileIfExists(missing), null);
  for (const read of [readJsonFile, readJsonFileIfExists]) {
    await assert.rejects(read(bad), (err: unknown) => err instanceof DataError && err.file === bad && /^invalid JSON \(/.test(err.problem));
  }
  await assert.rejects(readJsonFile(missing), (err: unknown) => err instanceof DataError && err.file === missing && /^cannot read \(ENOENT/.test(err.problem));
  await assert.rejects(readJsonFile(dir), (err: unknown) => err instanceof DataError && err.file === dir && /^cannot read \(EISDIR/.test(err.problem));
});
