/**
 * `npm run lab`'s messages for what it cannot fix itself: no Python, a bad port. (The full path,
 * JupyterLab installed from PyPI and driven in Chromium, is scripts/check-lab.ts in `npm test`.)
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../../scripts/lab.js", import.meta.url));

function lab(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
}

test("without any Python it says what to install, and starts nothing", () => {
  const run = lab(["--no-browser"], { PATH: "/nonexistent", HYBRID_IR_BASE_PYTHON: "/nonexistent/python3" });
  assert.equal(run.status, 1, run.stderr);
  assert.match(run.stderr, /^lab: JupyterLab needs Python 3 with venv/m);
  assert.match(run.stderr, /apt-get install -y python3 python3-venv/);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
});

test("a bad --port is a usage error", () => {
  const run = lab(["--port", "http"]);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /--port http: expected a port number/);
  assert.match(run.stderr, /usage: npm run lab/);
});
