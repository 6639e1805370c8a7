import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const INDEX = fileURLToPath(new URL("../src/index.js", import.meta.url));

// tslab (the notebooks' kernel) loads the library with require(), which Node refuses for an ES
// module graph holding a top-level await anywhere: every notebook would fail at its first cell.
test("the library loads through require(), as the notebooks' tslab kernel loads it", () => {
  const run = spawnSync(process.execPath, ["-e", `const lib = require(${JSON.stringify(INDEX)}); console.log(typeof lib.loadDataset)`], {
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), "function");
});
