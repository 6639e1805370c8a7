import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { packageRoot } from "../../src/paths.js";
import {
  ADVERSARIAL_SECTION,
  EVAL_SECTION,
  PAPER_PREFIXES,
  RUN_CONFIG_FIELDS,
  RUN_CONFIG_TABLE,
  runConfigReference,
  TRAIN_SOURCE,
} from "../../src/train/config-fields.js";
import { DataError } from "../../src/util/errors.js";
import { at, spliceGenerated } from "../../src/util/option-table.js";

const FILE = "/configs/sub/exp.json";

/** The problem of the DataError `fn` throws, after checking that it names FILE. */
function problem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DataError, `expected a DataError, got ${String(err)}`);
    assert.equal(err.file, FILE);
    return err.problem;
  }
  return assert.fail("expected a DataError");
}

/** The whole table read from `json` (what the resolver starts from). */
const read = (json: unknown) => RUN_CONFIG_FIELDS.parse(json, at(FILE, ""));
const MINIMAL = { data: { train: { dataset: "mlqa-r" } } };

describe("TRAIN_SOURCE", () => {
  const train = (value: unknown) => TRAIN_SOURCE.parse(value, at(FILE, "data.train"));

  test("a path is taken from the config file's folder; an absolute one stays; a benchmark is { dataset }", () => {
    assert.equal(train("records/train.jsonl"), "/configs/sub/records/train.jsonl");
    assert.equal(train("../train.jsonl"), "/configs/train.jsonl");
    assert.equal(train("/data/train.jsonl"), "/data/train.jsonl");
    assert.deepEqual(train({ dataset: "xquad-r" }), { dataset: "xquad-r" });
  });

  test("absent, empty, an unknown benchmark or key, or another type: a DataError saying what to give", () => {
    assert.equal(problem(() => TRAIN_SOURCE.absent(at(FILE, "data.train"))), `needs "data": { "train": "records.jsonl" | { "dataset": "mlqa-r" | "xquad-r" } }`);
    assert.equal(problem(() => train("  ")), "data.train must not be empty");
    assert.equal(problem(() => train({ dataset: "squad" })), `data.train must be a path or { "dataset": "mlqa-r" | "xquad-r" }, got {"dataset":"squad"}`);
    assert.equal(problem(() => train(42)), `data.train must be a path or { "dataset": "mlqa-r" | "xquad-r" }, got 42`);
    assert.match(problem(() => train({ dataset: "mlqa-r", file: "x" })), /^unknown key in 'data\.train': file \(known: dataset\)/);
  });
});

describe("RUN_CONFIG_FIELDS", () => {
  test("what depends on the model preset is left for the resolver; outputDir defaults to runs/<config name>, unresolved", () => {
    const input = read(MINIMAL);
    assert.deepEqual([input.maxQueryLength, input.maxPassageLength, input.prefixes], [undefined, undefined, undefined]);
    assert.equal(input.outputDir, "runs/exp");
    assert.equal(read({ ...MINIMAL, maxQueryLength: 3 }).maxQueryLength, 3);
    assert.equal(problem(() => read({ ...MINIMAL, maxPassageLength: 2 })), "maxPassageLength must be an integer ≥ 3, got 2");
  });

  test("a run's provenance and schemaVersion are ignored on reading; any other extra key is refused", () => {
    assert.deepEqual(read({ ...MINIMAL, schemaVersion: 2, provenance: { gitCommit: "abc" } }), read(MINIMAL));
    assert.match(problem(() => read({ ...MINIMAL, version: 2 })), /^unknown key in the config: version \(known: comment, .*, provenance, schemaVersion\)/);
  });

  test("warm-up: a ratio of 0.1 unless given in steps; null means the default; both is refused", () => {
    const optim = (o: Record<string, unknown>) => read({ ...MINIMAL, optim: o }).optim;
    assert.deepEqual([optim({}).warmupSteps, optim({}).warmupRatio], [null, 0.1]);
    assert.deepEqual([optim({ warmupSteps: 5 }).warmupSteps, optim({ warmupSteps: 5 }).warmupRatio], [5, null]);
    assert.deepEqual([optim({ warmupSteps: null, warmupRatio: null }).warmupSteps, optim({ warmupSteps: null, warmupRatio: null }).warmupRatio], [null, 0.1]);
    assert.equal(optim({ warmupRatio: 0.25 }).warmupRatio, 0.25);
    assert.equal(problem(() => optim({ warmupSteps: 0, warmupRatio: 0 })), "optim: give warmupSteps (0) or warmupRatio (0), not both");
    assert.equal(problem(() => optim({ warmupRatio: 1.5 })), "optim.warmupRatio must be a finite number ≥ 0 and ≤ 1, got 1.5");
  });

  test('prefixes: true is the paper\'s, false none, an object sets either; anything else is refused', () => {
    const prefixes = (value: unknown) => read({ ...MINIMAL, prefixes: value }).prefixes;
    assert.deepEqual(prefixes(true), PAPER_PREFIXES);
    assert.deepEqual(prefixes(false), { query: "", passage: "" });
    assert.deepEqual(prefixes({ passage: "p: " }), { query: "", passage: "p: " });
    assert.equal(problem(() => prefixes({ passage: 3 })), "prefixes.passage must be a string, got 3");
    assert.match(problem(() => prefixes({ queries: "q: " })), /^unknown key in 'prefixes': queries \(known: query, passage\)/);
    assert.equal(problem(() => prefixes("Query: ")), `prefixes must be true, false or { "query": "...", "passage": "..." }, got "Query: "`);
  });

  test("model.mini: the heads divide the hidden size, and it goes with the mini preset only", () => {
    assert.deepEqual(read({ ...MINIMAL, model: { mini: { hidden: 64, heads: 2 } } }).model.mini?.hidden, 64);
    assert.equal(read({ ...MINIMAL, model: { ref: "labse", mini: null } }).model.mini, null);
    assert.equal(problem(() => read({ ...MINIMAL, model: { mini: { hidden: 64, heads: 3 } } })), "model.mini.hidden (64) must be a multiple of model.mini.heads (3)");
    assert.equal(problem(() => read({ ...MINIMAL, model: { ref: "e5-small", mini: {} } })), "model.mini sets the architecture of the mini preset, but model.ref is 'e5-small'");
  });
});

describe("EVAL_SECTION", () => {
  const evalSection = (value: unknown) => EVAL_SECTION.parse(value, at(FILE, "eval"));

  test("languages are checked against the chosen benchmark's, naming the ones it has", () => {
    assert.deepEqual(evalSection({ dataset: "xquad-r", languages: ["el", "ru"] }).languages, ["el", "ru"]);
    assert.equal(problem(() => evalSection({ dataset: "mlqa-r", languages: ["de", "el", "ru"] })), "eval.languages: mlqa-r has no el, ru (it has: ar, de, en, es, hi, vi, zh)");
    assert.equal(evalSection({ dataset: "mlqa-r" }).languages, null, "all of them");
  });

  test("bad languages, a schedule other than the end, and bad sizes are refused with the key", () => {
    assert.equal(problem(() => evalSection({ languages: [] })), "eval.languages must be a non-empty array of language codes, got []");
    assert.equal(problem(() => evalSection({ languages: ["en", 3] })), `eval.languages must be a non-empty array of language codes, got ["en",3]`);
    assert.match(problem(() => evalSection({ every: "epoch" })), /^eval\.every: only "end" is supported .*, got "epoch"$/);
    assert.equal(problem(() => evalSection({ maxQuestionIds: 0 })), "eval.maxQuestionIds must be an integer ≥ 1, got 0");
    assert.equal(problem(() => evalSection({ dataset: "squad" })), "eval.dataset: unknown dataset 'squad' (known: xquad-r, mlqa-r)");
  });
});

describe("ADVERSARIAL_SECTION", () => {
  test("keys left out keep their defaults; bounds are checked with the key path", () => {
    const adversarial = (value: unknown) => ADVERSARIAL_SECTION.parse(value, at(FILE, "adversarial"));
    const defaults = ADVERSARIAL_SECTION.absent(at(FILE, "adversarial"));
    assert.deepEqual(adversarial({ lambda: 0.5 }), { ...defaults, lambda: 0.5 });
    assert.deepEqual(adversarial({ lambda: 0 }).lambda, 0, "0 trains the encoder as x-y does");
    assert.equal(problem(() => adversarial({ lambda: -0.1 })), "adversarial.lambda must be a finite number ≥ 0, got -0.1");
    assert.equal(problem(() => adversarial({ lr: 0 })), "adversarial.lr must be a finite number > 0, got 0");
    assert.equal(problem(() => adversarial({ hidden: 0 })), "adversarial.hidden must be an integer ≥ 1, got 0");
  });
});

describe("runConfigReference", () => {
  test("a row for every option of the table, nested ones under their section", () => {
    const paths = runConfigReference()
      .split("\n")
      .slice(2)
      .map((row) => /^\| `([^`]+)` \|/.exec(row)?.[1]);
    assert.ok(paths.every((p) => p !== undefined));
    for (const key of Object.keys(RUN_CONFIG_TABLE)) assert.ok(paths.includes(key), key);
    for (const key of ["model.mini.heads", "data.train", "optim.warmupRatio", "gradCache.chunkSize", "adversarial.lambda", "eval.languages", "earlyStopping.patience"]) {
      assert.ok(paths.includes(key), key);
    }
    assert.equal(new Set(paths).size, paths.length, "no key path twice");
  });

  test("docs/run-config.md's option reference is the one the field table renders (regenerate: node dist/scripts/config-doc.js --write)", async () => {
    const doc = await readFile(join(packageRoot(), "docs", "run-config.md"), "utf8");
    assert.equal(doc, spliceGenerated(doc, runConfigReference()));
  });

  test("a reference edited by hand, or left behind by a table change, is stale", async () => {
    const doc = await readFile(join(packageRoot(), "docs", "run-config.md"), "utf8");
    const edited = doc.replace("| `steps` | integer ≥ 1 | 1000 |", "| `steps` | integer ≥ 1 | 999 |");
    assert.notEqual(edited, doc, "the steps row is in the document");
    assert.notEqual(spliceGenerated(edited, runConfigReference()), edited);
    assert.throws(() => spliceGenerated("# no markers\n", runConfigReference()), /no generated-options markers/);
  });
});
