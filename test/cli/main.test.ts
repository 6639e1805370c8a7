/**
 * `hybrid-ir <command>`: the dispatcher, run as a user runs it (main.js runs on import). Exit
 * codes: 0 done, 1 an input error or a failure (one line, the stack only with --debug), 2 a usage
 * error. Each case here is a process start (about a second), so they are few.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { usage as statsUsage } from "../../src/cli/stats.js";
import { cli, cliWith } from "./run-cli.js";

const BEIR_TINY = fileURLToPath(new URL("../../../test/fixtures/collections/beir-tiny", import.meta.url));

describe("hybrid-ir main", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-main-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("--help lists the commands with a summary each; <command> --help prints that command's usage", async () => {
    const help = await cli("--help");
    assert.equal(help.code, 0, help.stderr);
    const lines = help.stdout.split("\n");
    assert.equal(lines[0], "usage: hybrid-ir <command> [options]");
    const commands = lines.flatMap((l) => /^ {2}([a-z][a-z0-9-]*) +\S/.exec(l)?.[1] ?? []);
    for (const name of ["stats", "evaluate", "bm25", "embed", "encode-dataset", "batches", "ablate", "export-qrels", "export-collection"]) {
      assert.ok(commands.includes(name), `${name} missing from:\n${help.stdout}`);
    }
    assert.match(help.stdout, /--log-level L/);

    const stats = await cli("stats", "--help");
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(stats.stdout, `${statsUsage}\n`);
  });

  test("an unknown command exits 2 naming it, with the list of commands", async () => {
    const command = await cli("fly");
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'fly'/);
    assert.match(command.stderr, /^usage: hybrid-ir <command> \[options\]$/m);
  });

  test("a bad log level, from the flag or from HYBRID_IR_LOG_LEVEL, is a usage error", async () => {
    const bad = await cli("train", "--config", "log.json", "--log-level", "loud");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-level: unknown log level 'loud' \(expected one of: debug, info, warn, error, silent\)/);

    const env = await cliWith({ env: { HYBRID_IR_LOG_LEVEL: "chatty" } }, "stats", "--help");
    assert.equal(env.code, 2);
    assert.equal(env.stdout, "", "nothing runs");
    assert.match(env.stderr, /^hybrid-ir: HYBRID_IR_LOG_LEVEL: unknown log level 'chatty'/);
  });

  test("a failure that is not an input error: exit 1, one line naming the command and the error; its stack only with --debug", async () => {
    // The output's folder is a file: the qrels writer's mkdir fails with an fs error.
    const file = join(dir, "a-file");
    await writeFile(file, "");
    const args = ["export-qrels", "--collection", BEIR_TINY, "--out", join(file, "x.qrels")];
    const plain = await cli(...args);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^hybrid-ir export-qrels: Error: E[A-Z]+: .*a-file/m);
    assert.match(plain.stderr, /^\(rerun with --debug for the stack trace\)$/m);
    assert.doesNotMatch(plain.stderr, /\n\s+at /);

    const debug = await cli(...args, "--debug");
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /^hybrid-ir export-qrels: Error: E[A-Z]+: /m);
    assert.match(debug.stderr, /\n\s+at /, "the stack");
    assert.doesNotMatch(debug.stderr, /rerun with --debug/);
  });
});
