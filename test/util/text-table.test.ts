import assert from "node:assert/strict";
import { test } from "node:test";
import { textTable } from "../../src/util/text-table.js";

test("labels left, numbers right, two spaces between columns, a rule as wide as each column", () => {
  const out = textTable(
    ["lang", "mAP", "R@1"],
    [
      ["en", "0.712", "0.5"],
      ["de-long", "0.6", "0.25"],
    ],
    { rule: true },
  );
  assert.equal(out, ["lang       mAP   R@1", "-------  -----  ----", "en       0.712   0.5", "de-long    0.6  0.25"].join("\n"));
});

test("the documented example", () => {
  assert.equal(textTable(["lang", "mAP"], [["en", "0.712"]], { rule: true }), "lang    mAP\n----  -----\nen    0.712");
});

test("no rule by default; leftColumns sets how many columns align left; trailing spaces are trimmed", () => {
  assert.equal(textTable(["a", "bb"], [["xyz", "1"]]), "a    bb\nxyz   1");
  assert.equal(textTable(["setting", "lang", "n"], [["mono", "en", "10"], ["cross", "de", "7"]], { leftColumns: 2 }), "setting  lang   n\nmono     en    10\ncross    de     7");
  // The last column left-aligned: its padding is trimmed off the end of each line.
  assert.equal(textTable(["k", "name"], [["1", "x"]], { leftColumns: 2 }), "k  name\n1  x");
});

test("a row shorter than the header is laid out with the cells it has; no rows is the header alone", () => {
  assert.equal(textTable(["lang", "mAP"], [["en"]]), "lang  mAP\nen");
  assert.equal(textTable(["lang", "mAP"], [], { rule: true }), "lang  mAP\n----  ---");
});
