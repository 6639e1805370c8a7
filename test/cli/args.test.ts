/** The shared flag helpers: each bad value is a UsageError saying what is wrong (and, where given, the usage). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backendArg, datasetArg, intArg, parse, threadsArg, UsageError } from "../../src/cli/args.js";

const USAGE = "usage: hybrid-ir demo <xquad-r|mlqa-r> [--json] [--n N]";

/** Asserts that `f` throws a UsageError whose message is exactly `message`. */
function usageError(f: () => unknown, message: string): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof UsageError, String(err));
    assert.equal(err.name, "UsageError");
    assert.equal(err.message, message);
    return true;
  });
}

describe("parse", () => {
  const options = { json: { type: "boolean" }, n: { type: "string" } } as const;

  test("flags and positionals, in any order", () => {
    const { values, positionals } = parse(["--n", "3", "mlqa-r", "--json"], options, USAGE);
    assert.deepEqual({ ...values }, { n: "3", json: true });
    assert.deepEqual(positionals, ["mlqa-r"]);
  });

  test("an unknown flag or a flag missing its value: a UsageError with the usage after a blank line", () => {
    assert.throws(() => parse(["mlqa-r", "--jsn"], options, USAGE), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /^Unknown option '--jsn'/);
      assert.ok(err.message.endsWith(`\n\n${USAGE}`), err.message);
      return true;
    });
    assert.throws(() => parse(["--n"], options, USAGE), (err: unknown) => err instanceof UsageError && /'--n/.test(err.message) && err.message.endsWith(USAGE));
    assert.throws(() => parse(["--json=yes"], options, USAGE), (err: unknown) => err instanceof UsageError && /--json/.test(err.message));
  });
});

describe("datasetArg", () => {
  test("a benchmark name passes through", () => {
    assert.equal(datasetArg("xquad-r", USAGE), "xquad-r");
    assert.equal(datasetArg("mlqa-r", USAGE), "mlqa-r");
  });

  test("missing or unknown: the names allowed, then the usage", () => {
    usageError(() => datasetArg(undefined, USAGE), `a dataset is required (xquad-r or mlqa-r)\n\n${USAGE}`);
    usageError(() => datasetArg("squad", USAGE), `unknown dataset 'squad' (expected xquad-r or mlqa-r)\n\n${USAGE}`);
    usageError(() => datasetArg("XQuAD-R", USAGE), `unknown dataset 'XQuAD-R' (expected xquad-r or mlqa-r)\n\n${USAGE}`);
  });
});

describe("intArg and threadsArg", () => {
  test("whole numbers at or above the minimum", () => {
    assert.equal(intArg("--batch-size", "32", 1), 32);
    assert.equal(intArg("--seed", "0", 0), 0);
    assert.equal(intArg("--max-length", "2", 2), 2);
  });

  test("below the minimum, fractional or not a number: the flag, the minimum and the text given", () => {
    usageError(() => intArg("--batch-size", "0", 1), "--batch-size takes a whole number >= 1, got '0'");
    usageError(() => intArg("--max-length", "1", 2), "--max-length takes a whole number >= 2, got '1'");
    usageError(() => intArg("--seed", "-1", 0), "--seed takes a whole number >= 0, got '-1'");
    usageError(() => intArg("--seed", "1.5", 0), "--seed takes a whole number >= 0, got '1.5'");
    usageError(() => intArg("--seed", "ten", 0), "--seed takes a whole number >= 0, got 'ten'");
    usageError(() => intArg("--seed", "Infinity", 0), "--seed takes a whole number >= 0, got 'Infinity'");
    // Number() reads these as 0, 16 and 1000; a flag does not.
    usageError(() => intArg("--task", "", 0), "--task takes a whole number >= 0, got ''");
    usageError(() => intArg("--task", "0x10", 0), "--task takes a whole number >= 0, got '0x10'");
    usageError(() => intArg("--seed", "1e3", 0), "--seed takes a whole number >= 0, got '1e3'");
  });

  test("--threads: absent is undefined (the environment decides), else a whole number >= 1", () => {
    assert.equal(threadsArg(undefined), undefined);
    assert.equal(threadsArg("3"), 3);
    usageError(() => threadsArg("0"), "--threads takes a whole number >= 1, got '0'");
  });
});

describe("backendArg", () => {
  test("absent is auto; an unknown name lists the names, and every name listed is accepted", () => {
    assert.equal(backendArg(undefined), "auto");
    assert.equal(backendArg("wasm"), "wasm");
    let message = "";
    assert.throws(() => backendArg("cuda"), (err: unknown) => err instanceof UsageError && ((message = err.message), true));
    const listed = /^unknown backend 'cuda' \(expected one of: (.+)\)$/.exec(message)?.[1];
    assert.ok(listed, message);
    const names = listed.split(", ");
    assert.ok(names.includes("auto") && names.includes("wasm") && names.includes("cpu"), listed);
    for (const name of names) assert.equal(backendArg(name), name);
  });
});
