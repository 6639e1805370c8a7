import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fieldsOf, readJsonObject, readJsonObjectIfExists, schemaVersionOf } from "../../src/run-files/schema.js";
import { DataError } from "../../src/util/errors.js";
import { rejectsNaming, tempDir } from "./helpers.js";

/** Asserts that `f` throws a DataError naming `file` whose problem is exactly `problem`. */
function throwsNaming(f: () => unknown, file: string, problem: string): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.problem, problem);
    return true;
  });
}

describe("schemaVersionOf", () => {
  test("no schemaVersion is version 1; a version up to the current one is returned", () => {
    assert.equal(schemaVersionOf({}, "f.json", 3), 1);
    assert.equal(schemaVersionOf({ schemaVersion: 1 }, "f.json", 3), 1);
    assert.equal(schemaVersionOf({ schemaVersion: 2 }, "f.json", 3), 2);
    assert.equal(schemaVersionOf({ schemaVersion: 3 }, "f.json", 3), 3);
  });

  test("a version that is no whole number >= 1, or one newer than this reader, names the file (and the line)", () => {
    for (const v of [0, -1, 1.5, "2", null, true]) {
      throwsNaming(() => schemaVersionOf({ schemaVersion: v }, "f.json", 3), "f.json", `schemaVersion must be a whole number >= 1, got ${JSON.stringify(v)}`);
    }
    throwsNaming(() => schemaVersionOf({ schemaVersion: 4 }, "f.json", 3), "f.json", "schemaVersion 4 is newer than this hybrid-ir reads (3): update hybrid-ir");
    throwsNaming(() => schemaVersionOf({ schemaVersion: 0 }, "metrics.jsonl", 2, "line 3: "), "metrics.jsonl", "line 3: schemaVersion must be a whole number >= 1, got 0");
    throwsNaming(() => schemaVersionOf({ schemaVersion: 9 }, "metrics.jsonl", 2, "line 3: "), "metrics.jsonl", "line 3: schemaVersion 9 is newer than this hybrid-ir reads (2): update hybrid-ir");
  });
});

describe("fieldsOf", () => {
  const file = "run/results.json";
  const f = fieldsOf(file);
  const doc = { run: { steps: 30, checkpoint: "best", bestValLoss: null, seeds: [1, 2], sampler: { alpha: 0.5 } }, map: 0.25, name: "x" };

  test("values at dotted paths, each checked for its kind", () => {
    assert.equal(f.at(doc, "run.sampler.alpha"), 0.5);
    assert.equal(f.at(doc, "run.missing"), undefined);
    assert.equal(f.int(doc, "run.steps"), 30);
    assert.equal(f.int({ n: 0 }, "n"), 0);
    assert.equal(f.score(doc, "map"), 0.25);
    assert.equal(f.score(doc, "run.bestValLoss"), null);
    assert.equal(f.text(doc, "run.checkpoint"), "best");
    assert.deepEqual(f.array(doc, "run.seeds"), [1, 2]);
    assert.equal(f.object(doc, "run.sampler"), doc.run.sampler);
    assert.equal(f.object(doc, ""), doc, "'' is the file itself");
  });

  test("a wrong value names the field, what it must be and what it is", () => {
    throwsNaming(() => f.int(doc, "map"), file, "map must be a whole number >= 0, got 0.25");
    throwsNaming(() => f.int({ n: -1 }, "n"), file, "n must be a whole number >= 0, got -1");
    throwsNaming(() => f.int({ n: "3" }, "n"), file, 'n must be a whole number >= 0, got "3"');
    throwsNaming(() => f.int({}, "n"), file, "n must be a whole number >= 0, got undefined");
    throwsNaming(() => f.int({ n: 2 ** 53 }, "n"), file, `n must be a whole number >= 0, got ${2 ** 53}`);
    throwsNaming(() => f.score({ s: "0.5" }, "s"), file, 's must be a finite number or null, got "0.5"');
    throwsNaming(() => f.score({}, "s"), file, "s must be a finite number or null, got undefined");
    throwsNaming(() => f.text({ t: "" }, "t"), file, 't must be a non-empty string, got ""');
    throwsNaming(() => f.text({ t: 3 }, "t"), file, "t must be a non-empty string, got 3");
    throwsNaming(() => f.array({ a: { 0: 1 } }, "a"), file, 'a must be an array, got {"0":1}');
    throwsNaming(() => f.object(doc, "run.seeds"), file, "run.seeds must be a JSON object, got [1,2]");
    throwsNaming(() => f.object([1], ""), file, "the file must be a JSON object, got [1]");
    throwsNaming(() => f.fail("x.y", "a language code", 7), file, "x.y must be a language code, got 7");
  });

  test("a path through something that is no object names the part walked so far", () => {
    throwsNaming(() => f.int(doc, "run.steps.value"), file, "run.steps must be an object, got 30");
    throwsNaming(() => f.text({ run: null }, "run.checkpoint"), file, "run must be an object, got null");
    throwsNaming(() => f.at([doc], "run"), file, 'the file must be an object, got [{"run":{"steps":30,"checkpoint":"best","bestValLoss":null,"seeds":[1,2],"sampler":{"alpha":0.5}},"map":0.25,"name":"x"}]');
  });

  test("a hint is appended to every message", () => {
    const hinted = fieldsOf(file, " (re-run the evaluation)");
    throwsNaming(() => hinted.int({}, "n"), file, "n must be a whole number >= 0, got undefined (re-run the evaluation)");
    throwsNaming(() => hinted.at({ a: 1 }, "a.b"), file, "a must be an object, got 1 (re-run the evaluation)");
  });
});

describe("readJsonObject / readJsonObjectIfExists", () => {
  const dir = tempDir("hybrid-ir-schema-");

  test("an object is returned; a missing file is null for IfExists, a DataError otherwise", async () => {
    const path = join(dir(), "ok.json");
    await writeFile(path, '{"schemaVersion": 2, "a": [1]}');
    assert.deepEqual(await readJsonObject(path), { schemaVersion: 2, a: [1] });
    assert.deepEqual(await readJsonObjectIfExists(path), { schemaVersion: 2, a: [1] });
    const missing = join(dir(), "missing.json");
    assert.equal(await readJsonObjectIfExists(missing), null);
    await rejectsNaming(readJsonObject(missing), missing, /^cannot read \(ENOENT/);
  });

  test("valid JSON that is no object names the file and what it holds (shortened)", async () => {
    const path = join(dir(), "list.json");
    await writeFile(path, "[1, 2]");
    for (const read of [readJsonObject, readJsonObjectIfExists]) await rejectsNaming(read(path), path, /^must hold a JSON object, got \[1,2\]$/);
    await writeFile(path, "null");
    await rejectsNaming(readJsonObject(path), path, /^must hold a JSON object, got null$/);
    await writeFile(path, JSON.stringify("x".repeat(200)));
    await rejectsNaming(readJsonObjectIfExists(path), path, new RegExp(`^must hold a JSON object, got "${"x".repeat(79)}$`));
    await writeFile(path, "{");
    await rejectsNaming(readJsonObjectIfExists(path), path, /^invalid JSON/);
  });
});
