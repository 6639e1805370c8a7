import assert from "node:assert/strict";
import { test } from "node:test";
import { DataError } from "../../src/util/errors.js";
import { at, boolean, group, integer, oneOf, orNull, renderOptionTable, required, spliceGenerated } from "../../src/util/option-table.js";

interface Inner {
  readonly size: number;
}
interface Outer {
  readonly on: boolean;
  readonly kind: "a" | "b";
  readonly inner: Inner | null;
}

const TABLE = group<Outer>(
  {
    on: boolean(true, "Switch."),
    kind: oneOf(["a", "b"] as const, "kind", "a", "Which one."),
    inner: orNull(group<Inner>({ size: required(integer(1, 0, "Size."), `inner needs "size"`) }, "Nested.")),
  },
  "Root.",
);

const problem = (json: unknown): string => {
  try {
    TABLE.parse(json, at("f.json", ""));
  } catch (err) {
    assert.ok(err instanceof DataError && err.file === "f.json");
    return err.problem;
  }
  return assert.fail("expected a DataError");
};

test("a table fills defaults, reads nested groups and nulls, and names the key path of every problem", () => {
  assert.deepEqual(TABLE.parse({}, at("f.json", "")), { on: true, kind: "a", inner: null });
  assert.deepEqual(TABLE.parse({ kind: "b", inner: { size: 3 } }, at("f.json", "")), { on: true, kind: "b", inner: { size: 3 } });
  assert.deepEqual(TABLE.parse({ inner: null }, at("f.json", "")).inner, null);
  assert.equal(problem({ on: 1 }), "on must be true or false, got 1");
  assert.equal(problem({ kind: "c" }), "kind: unknown kind 'c' (known: a, b)");
  assert.equal(problem({ inner: {} }), `inner needs "size"`);
  assert.equal(problem({ inner: { size: 0 } }), "inner.size must be an integer ≥ 1, got 0");
  assert.equal(problem({ inner: [] }), "'inner' must be a JSON object, got []");
  assert.equal(problem({ inner: { sise: 2 } }), "unknown key in 'inner': sise (known: size); did you mean sise → size?");
});

test("the reference has one row per key path, pipes escaped", () => {
  const rows = renderOptionTable(TABLE).split("\n").slice(2);
  assert.deepEqual(
    rows.map((r) => r.split(" | ")[0]),
    ["| `on`", "| `kind`", "| `inner`", "| `inner.size`"],
  );
  assert.match(rows[1], /"a" \\\| "b"/);
  assert.match(rows[3], /\| required \|/);
  assert.throws(() => spliceGenerated("no markers", "x"), /no generated-options markers/);
});
