/** `hybrid-ir embed`: JSONL texts in, one embedding row per line out. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { parseTextInputs, readTextInputs, run, usage } from "../../src/cli/embed.js";
import { parseNpy } from "../../src/data/npy.js";
import { DataError } from "../../src/util/errors.js";
import { pathExists } from "../../src/util/fs.js";
import { cli } from "./run-cli.js";

describe("hybrid-ir embed", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("embed writes one L2-normalised float32 row per input line", async () => {
    const input = join(dir, "in.jsonl");
    await writeFile(input, '{"text": "Hello World!"}\n{"text": "Wie viele?", "context": "Die Panthers."}\n\n{"text": "你好"}\n');
    const out = join(dir, "out.npy");
    const { code, stderr } = await cli("embed", "--model", "mini", "--input", input, "--out", out, "--backend", "wasm");
    assert.equal(code, 0, stderr);
    const m = parseNpy(await readFile(out), out);
    assert.deepEqual([m.rows, m.cols], [3, 256]);
    for (let r = 0; r < 3; r++) assert.ok(Math.abs(Math.hypot(...m.data.subarray(r * 256, (r + 1) * 256)) - 1) < 1e-5);

    await writeFile(input, '{"text": "ok"}\n{"txt": "typo"}\n');
    const bad = await cli("embed", "--model", "mini", "--input", input, "--out", out);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /in\.jsonl: line 2: needs a string "text"/);
    const backend = await cli("embed", "--model", "mini", "--input", input, "--out", out, "--backend", "cuda");
    assert.equal(backend.code, 2);
    assert.match(backend.stderr, /unknown backend 'cuda'/);
  });

  test("a JSON null line exits 1 naming the file and the line, without a stack trace", async () => {
    // Issue 15, case 4: a TypeError from the JSONL reader.
    const input = join(dir, "null.jsonl");
    await writeFile(input, '{"text": "ok"}\nnull\n');
    const embedded = await cli("embed", "--model", "mini", "--input", input, "--out", join(dir, "null.npy"));
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /null\.jsonl: line 2: expected a JSON object, got null/);
    assert.doesNotMatch(embedded.stderr, /\n\s+at /);
  });

  test("missing flags and bad numbers are usage errors, raised before the input is read or a model loaded", async () => {
    const out = join(dir, "never.npy");
    const input = join(dir, "absent.jsonl");
    const usageError = (argv: string[], message: string) =>
      assert.rejects(run(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(" "));
    await usageError(["--input", input, "--out", out], `--model, --input and --out are required\n\n${usage}`);
    await usageError(["--model", "mini", "--out", out], `--model, --input and --out are required\n\n${usage}`);
    await usageError(["--model", "mini", "--input", input, "--out", out, "--batch-size", "0"], "--batch-size takes a whole number >= 1, got '0'");
    await usageError(["--model", "mini", "--input", input, "--out", out, "--max-length", "1"], "--max-length takes a whole number >= 2, got '1'");
    await usageError(["--model", "mini", "--input", input, "--out", out, "--seed=-1"], "--seed takes a whole number >= 0, got '-1'");
    await usageError(["--model", "mini", "--input", input, "--out", out, "--threads", "0"], "--threads takes a whole number >= 1, got '0'");
    // Past the flags, a missing input is an input error naming it.
    await assert.rejects(run(["--model", "mini", "--input", input, "--out", out]), (e: unknown) => e instanceof DataError && e.message === `${input}: file is missing`);
    assert.equal(await pathExists(out), false);
  });
});

describe("parseTextInputs", () => {
  test("text and optional context per line; a BOM, CRLF and blank lines are accepted", () => {
    const text = '\uFEFF{"text": "Hello"}\r\n\r\n  \n{"text": "Wie viele?", "context": "Die Panthers."}\n{"text": ""}';
    assert.deepEqual(parseTextInputs(text, "in.jsonl"), [
      { text: "Hello", context: undefined },
      { text: "Wie viele?", context: "Die Panthers." },
      { text: "", context: undefined },
    ]);
  });

  test("each bad line: a DataError naming the file, the 1-based line and the problem", () => {
    const problem = (text: string, message: string) =>
      assert.throws(() => parseTextInputs(text, "in.jsonl"), (e: unknown) => e instanceof DataError && e.file === "in.jsonl" && e.message === message, message);
    assert.throws(
      () => parseTextInputs('{"text": "a"}\n{"text": "b"', "in.jsonl"),
      (e: unknown) => e instanceof DataError && /^in\.jsonl: line 2: invalid JSON \(.+\)$/.test(e.message),
    );
    problem('{"text": "a"}\n\n[1, 2]', "in.jsonl: line 3: expected a JSON object, got [1,2]");
    problem('"just text"', 'in.jsonl: line 1: expected a JSON object, got "just text"');
    problem('{"context": "c"}', 'in.jsonl: line 1: needs a string "text"');
    problem('{"text": 3}', 'in.jsonl: line 1: needs a string "text"');
    problem('{"text": "a", "ctx": "c", "id": 1}', "in.jsonl: line 1: unknown field 'ctx', 'id' (allowed: text, context)");
    problem('{"text": "a", "context": ["c"]}', 'in.jsonl: line 1: "context" must be a string');
    problem("\n \r\n", "in.jsonl: holds no input lines");
  });

  test("readTextInputs: a file that is not there is a DataError naming it", async () => {
    await assert.rejects(readTextInputs("/nonexistent/in.jsonl"), (e: unknown) => e instanceof DataError && e.message === "/nonexistent/in.jsonl: file is missing");
  });
});
