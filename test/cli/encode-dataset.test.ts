/**
 * `hybrid-ir encode-dataset`: its flags. The command encodes a whole benchmark (minutes), so the
 * encoding itself is left to encodeDataset's tests (test/model/encode-dataset.test.ts,
 * test/eval/trec-check.test.ts); here the flags it checks are shown to be checked before the
 * benchmark is loaded or a model started.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { run, usage } from "../../src/cli/encode-dataset.js";

/** The flags every case starts from; none of them can be reached (no such model, no such folder). */
const OK = ["--dataset", "mlqa-r", "--model", "/nonexistent/model", "--out", "/nonexistent/out"];

const usageError = (argv: string[], message: string | RegExp) =>
  assert.rejects(
    run(argv),
    (e: unknown) => e instanceof UsageError && (typeof message === "string" ? e.message === message : message.test(e.message)),
    argv.join(" "),
  );

test("the dataset, the model and the output folder are required, in that order", async () => {
  await usageError(["--model", "mini", "--out", "x"], `a dataset is required (xquad-r or mlqa-r)\n\n${usage}`);
  await usageError(["--dataset", "squad", "--model", "mini", "--out", "x"], `unknown dataset 'squad' (expected xquad-r or mlqa-r)\n\n${usage}`);
  await usageError(["--dataset", "mlqa-r", "--out", "x"], `--model and --out are required\n\n${usage}`);
  await usageError(["--dataset", "mlqa-r", "--model", "mini"], `--model and --out are required\n\n${usage}`);
  await usageError(["--dataset", "mlqa-r", "--model", "mini", "--out", "x", "--langs", "en"], /^Unknown option '--langs'/);
});

test("numbers, lengths, backend, threads and seed are checked before anything is loaded", async () => {
  await usageError([...OK, "--batch-size", "0"], "--batch-size takes a whole number >= 1, got '0'");
  await usageError([...OK, "--max-query-length", "1"], "--max-query-length takes a whole number >= 2, got '1'");
  await usageError([...OK, "--max-passage-length", "64.5"], "--max-passage-length takes a whole number >= 2, got '64.5'");
  await usageError([...OK, "--backend", "tpu"], /^unknown backend 'tpu' \(expected one of: /);
  await usageError([...OK, "--threads", "0"], "--threads takes a whole number >= 1, got '0'");
  await usageError([...OK, "--seed=-1"], "--seed takes a whole number >= 0, got '-1'");
});
