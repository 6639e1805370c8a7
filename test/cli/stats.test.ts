/** `hybrid-ir stats`: per-language counts of a benchmark, as JSON or a table. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { run, usage } from "../../src/cli/stats.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { capture } from "./capture.js";
import { cli } from "./run-cli.js";

describe("hybrid-ir stats", () => {
  test("stats --json gives the per-language counts", async () => {
    const { code, stdout } = await cli("stats", "mlqa-r", "--json");
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as { languages: { lang: string; questions: number; candidates: number }[] };
    assert.deepEqual(out.languages.find((r) => r.lang === "en"), { ...out.languages.find((r) => r.lang === "en"), questions: 1148, candidates: 6264 });
    assert.equal(out.languages.length, 7);
  });

  test("the table names the dataset, one row per language, and totals that are the dataset's", async () => {
    const { stdout } = await capture(() => run(["xquad-r"]));
    const ds = await loadDataset("xquad-r");
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines[0], "xquad-r: per-language counts");
    assert.equal(lines.at(-1), `total: ${ds.questions.length} questions, ${ds.candidates.length} candidates`);
    for (const lang of ds.languages) assert.ok(lines.some((l) => new RegExp(`│ +'?${lang}'? +│`).test(l)), `no row for ${lang}:\n${stdout}`);
    assert.match(stdout, /mean sentence chars/);
  });

  test("a missing or unknown dataset and an unknown flag are usage errors", async () => {
    await assert.rejects(run([]), (e: unknown) => e instanceof UsageError && e.message === `a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
    await assert.rejects(run(["squad"]), (e: unknown) => e instanceof UsageError && e.message.startsWith("unknown dataset 'squad'"));

    const flag = await cli("stats", "xquad-r", "--jsn");
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Unknown option '--jsn'/);
  });
});
