import assert from "node:assert/strict";
import { test } from "node:test";
import { DataError } from "../../src/util/errors.js";

test("a DataError's message starts with the file, then the problem; both are kept as fields", () => {
  const err = new DataError("data/xquad-r/en.json", "line 3: missing id");
  assert.equal(err.message, "data/xquad-r/en.json: line 3: missing id");
  assert.equal(err.file, "data/xquad-r/en.json");
  assert.equal(err.problem, "line 3: missing id");
  assert.equal(err.name, "DataError");
  assert.ok(err instanceof Error);
  assert.match(String(err), /^DataError: data\/xquad-r\/en\.json: line 3: missing id$/);
  assert.ok(err.stack?.startsWith("DataError: data/xquad-r/en.json:"), "the stack's first line names the class and file");
});
