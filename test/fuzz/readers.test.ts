/**
 * Issue 15: the input readers as a class. Seeded random damage (truncations, byte flips, lying
 * lengths, shapes and offsets, wrong types, non-finite numbers, blank and odd lines) to real
 * files of each format; every reader must either accept the input or raise a DataError (never
 * another exception: that is a stack trace at the CLI), and what it accepts must be what the
 * bytes say (no prefix read as a whole, no misaligned values, no number that is not finite).
 * A few hundred cases per reader: seconds, not minutes, on one core.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseTextInputs } from "../../src/cli/embed.js";
import { DataError } from "../../src/util/errors.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { formatNpy, parseNpy } from "../../src/data/npy.js";
import { parseEncoderConfig } from "../../src/model/config.js";
import { parseSafetensors } from "../../src/model/safetensors.js";
import { decodeTokenizerJson, tokenizerFromJson } from "../../src/tokenize/hf-tokenizer.js";
import { parseTrainerState } from "../../src/run-files/trainer-state.js";
import { resolveRunConfig, runConfigToJson } from "../../src/train/config.js";
import { parseResultsSummary } from "../../src/run-files/results.js";
import { RunDir } from "../../src/train/run-dir.js";
import { formatTrainingJsonl, parseTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { mulberry32, type Random } from "../../src/util/random.js";

const SEED = 15;
const ROUNDS = 250;
const TINY_BERT = fileURLToPath(new URL("../../../test/fixtures/parity/tiny-bert", import.meta.url));

const int = (rand: Random, n: number) => Math.floor(rand() * n);
const pick = <T>(rand: Random, xs: readonly T[]): T => xs[int(rand, xs.length)];
const encode = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

/** Tokens that are valid JSON (or nearly) of the wrong type or value; 1e999 parses to Infinity. */
const ODD_VALUES = ["null", '""', '"x"', "-1", "0", "1.5", "1e999", "-1e999", "[]", "{}", "true", "NaN", '"NaN"', "9007199254740993"];
/** What goes between lines of a text file: blank and odd lines. */
const ODD_LINES = ["", " ", "\t", "\r", "\uFEFF", "\u00a0", "null", "{}", "[]", '"text"', "0", "{", "}"];

interface Damage {
  readonly kind: string;
  readonly bytes: Uint8Array;
}

function truncate(rand: Random, bytes: Uint8Array, below = bytes.length): Damage {
  return { kind: "truncate", bytes: bytes.slice(0, int(rand, below)) };
}

function flip(rand: Random, bytes: Uint8Array, from = 0, to = bytes.length): Damage & { at: number } {
  const out = bytes.slice();
  const at = from + int(rand, to - from);
  out[at] = (out[at] + 1 + int(rand, 255)) & 0xff;
  return { kind: `flip byte ${at}`, bytes: out, at };
}

/** One decimal number in the text region [from, to) replaced by a different one. */
function lie(rand: Random, bytes: Uint8Array, from = 0, to = bytes.length): Damage | null {
  const text = decode(bytes.subarray(from, to));
  const numbers = [...text.matchAll(/\d+/g)];
  if (numbers.length === 0) return null;
  const m = pick(rand, numbers);
  const old = Number(m[0]);
  const value = pick(rand, [old + 1, Math.max(0, old - 1), old * 2, old + 1000, 0, 2 ** 40]);
  if (value === old) return null;
  const replaced = text.slice(0, m.index) + String(value) + text.slice(m.index! + m[0].length);
  return { kind: `number ${old}→${value} at ${from + m.index!}`, bytes: new Uint8Array([...bytes.subarray(0, from), ...encode(replaced), ...bytes.subarray(to)]) };
}

/** A JSON value in the text replaced by an odd one. */
function retype(rand: Random, text: string): Damage | null {
  const values = [...text.matchAll(/:\s*("(?:[^"\\]|\\.)*"|-?[\d.eE+-]+|true|false|null)/g)];
  if (values.length === 0) return null;
  const m = pick(rand, values);
  const value = pick(rand, ODD_VALUES);
  const at = m.index! + m[0].indexOf(m[1]);
  return { kind: `value ${m[1].slice(0, 20)}→${value}`, bytes: encode(text.slice(0, at) + value + text.slice(at + m[1].length)) };
}

function oddLine(rand: Random, text: string): Damage {
  const lines = text.split("\n");
  const at = int(rand, lines.length + 1);
  const line = pick(rand, ODD_LINES);
  lines.splice(at, 0, line);
  return { kind: `line ${at + 1} = ${JSON.stringify(line)}`, bytes: encode(lines.join("\n")) };
}

/** What one reader did with one damaged input. */
type Outcome<T> = { readonly accepted: true; readonly value: T } | { readonly accepted: false };

/**
 * Runs `read` on `rounds` damaged inputs; a non-DataError is a crash, collected with the case
 * that caused it; `check` is called on every accepted value.
 */
async function fuzz<T>(
  name: string,
  rounds: number,
  damage: (rand: Random, round: number) => Damage | null,
  read: (bytes: Uint8Array) => T | Promise<T>,
  check: (value: T, damage: Damage) => void,
): Promise<{ accepted: number; rejected: number }> {
  const rand = mulberry32(SEED + name.length * 7919);
  const crashes: string[] = [];
  let accepted = 0;
  let rejected = 0;
  for (let round = 0; round < rounds; round++) {
    const d = damage(rand, round);
    if (d === null) continue;
    let outcome: Outcome<T>;
    try {
      outcome = { accepted: true, value: await read(d.bytes) };
    } catch (err) {
      if (!(err instanceof DataError)) {
        crashes.push(`${name} round ${round} (${d.kind}): ${(err as Error).name}: ${(err as Error).message}`);
        continue;
      }
      assert.ok(err.message.startsWith(err.file), "a DataError names its file first");
      outcome = { accepted: false };
    }
    if (outcome.accepted) {
      accepted += 1;
      check(outcome.value, d);
    } else rejected += 1;
  }
  assert.deepEqual(crashes, [], `${name}: inputs that crashed instead of a DataError`);
  return { accepted, rejected };
}

function allFinite(value: unknown, where: string): void {
  if (typeof value === "number") assert.ok(Number.isFinite(value), `${where} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => allFinite(v, `${where}[${i}]`));
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) allFinite(v, `${where}.${k}`);
}

describe("fuzz: input readers accept only what their format allows, and fail only with a DataError", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-fuzz-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test(".npy", async () => {
    const rows = 6;
    const cols = 4;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => i / 8 - 1);
    const good = formatNpy({ data, rows, cols });
    const dataStart = good.length - data.byteLength;
    const stats = await fuzz(
      "npy",
      ROUNDS * 2,
      (rand, round) => {
        switch (round % 4) {
          case 0:
            return truncate(rand, good);
          case 1:
            return flip(rand, good, 0, dataStart);
          case 2:
            return lie(rand, good, 10, dataStart);
          default:
            return flip(rand, good, dataStart);
        }
      },
      (bytes) => parseNpy(bytes, "fuzz.npy"),
      (m, d) => {
        assert.notEqual(d.kind, "truncate", "a truncated .npy is never whole");
        assert.ok(!d.kind.startsWith("number"), `a lying header was accepted: ${d.kind}`);
        assert.deepEqual([m.rows, m.cols, m.data.length], [rows, cols, rows * cols], d.kind);
        allFinite(Array.from(m.data), "value");
        // A flipped data byte changes its own value and no other (no misaligned read).
        const view = new DataView(d.bytes.buffer, d.bytes.byteOffset);
        for (let i = 0; i < rows * cols; i++) assert.equal(m.data[i], view.getFloat32(dataStart + 4 * i, true), `${d.kind}: value ${i}`);
      },
    );
    assert.ok(stats.accepted > 0 && stats.rejected > 0, JSON.stringify(stats));
  });

  test("safetensors", async () => {
    const good = new Uint8Array(await readFile(join(TINY_BERT, "model.safetensors")));
    const headerEnd = 8 + Number(new DataView(good.buffer, good.byteOffset).getBigUint64(0, true));
    const whole = parseSafetensors(good, "model.safetensors");
    const stats = await fuzz(
      "safetensors",
      ROUNDS,
      (rand, round) => {
        switch (round % 4) {
          case 0:
            return truncate(rand, good);
          case 1:
            return flip(rand, good, 0, headerEnd);
          case 2:
            return lie(rand, good, 8, headerEnd);
          default:
            return flip(rand, good, headerEnd);
        }
      },
      (bytes) => parseSafetensors(bytes, "model.safetensors"),
      (contents, d) => {
        assert.notEqual(d.kind, "truncate", "a truncated safetensors file is never whole");
        // A lie that is accepted can only be one the tensors cannot tell (a digit in a name or metadata).
        assert.equal(contents.tensors.size, whole.tensors.size, d.kind);
        for (const t of contents.tensors.values()) assert.equal(t.data.length, t.shape.reduce((a, b) => a * b, 1), d.kind);
      },
    );
    assert.ok(stats.rejected > 0, JSON.stringify(stats));
  });

  test("training JSONL and embed inputs", async () => {
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 6 });
    const records = fromRetrievalDataset(ds);
    const text = formatTrainingJsonl(records);
    const damage = (rand: Random, round: number): Damage | null => {
      switch (round % 4) {
        case 0:
          return truncate(rand, encode(text));
        case 1:
          return oddLine(rand, text);
        case 2:
          return retype(rand, text);
        default:
          return flip(rand, encode(text));
      }
    };
    await fuzz("training JSONL", ROUNDS, damage, (bytes) => parseTrainingJsonl(decode(bytes), "train.jsonl"), (got, d) => {
      // Whatever is accepted is the records the file holds: all of them, or (cut at a line end) the first ones.
      if (d.kind === "truncate") assert.deepEqual(got, records.slice(0, got.length), d.kind);
      else if (d.kind.startsWith("line")) assert.deepEqual(got, records, d.kind);
      for (const r of got) for (const k of ["group", "lang", "query", "positive"] as const) assert.ok(typeof r[k] === "string" && r[k].trim() !== "", d.kind);
    });
    const inputs = records.map((r) => JSON.stringify({ text: r.query, context: r.context })).join("\n") + "\n";
    const expected = records.map((r) => ({ text: r.query, context: r.context }));
    await fuzz(
      "embed inputs",
      ROUNDS,
      (rand, round) => (round % 2 === 0 ? oddLine(rand, inputs) : round % 4 === 1 ? truncate(rand, encode(inputs)) : retype(rand, inputs)),
      (bytes) => parseTextInputs(decode(bytes), "in.jsonl"),
      (got, d) => {
        if (d.kind === "truncate") assert.deepEqual(got, expected.slice(0, got.length), d.kind);
        else if (d.kind.startsWith("line")) assert.deepEqual(got, expected, d.kind);
        for (const i of got) assert.equal(typeof i.text, "string", d.kind);
      },
    );
  });

  test("run config, trainer state, results and metrics of a run directory", async () => {
    const config = {
      model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 64, heads: 2, intermediate: 128 } },
      data: { train: "train.jsonl", validationFraction: 0.25 },
      sampler: { name: "hybrid", batchSize: 8, seed: 3, alpha: 0.5 },
      optim: { lr: 1e-3, warmupSteps: 2 },
      steps: 30,
      logEvery: 5,
      validateEvery: 10,
      earlyStopping: { patience: 2 },
      eval: { dataset: "xquad-r", languages: ["de", "en"], maxQuestionIds: 40 },
      backend: "wasm",
      outputDir: "run",
    };
    const configText = JSON.stringify(config, null, 2);
    const parseJson = (bytes: Uint8Array, file: string): unknown => {
      try {
        return JSON.parse(decode(bytes));
      } catch (err) {
        throw new DataError(file, `invalid JSON (${(err as Error).message})`);
      }
    };
    await fuzz(
      "run config",
      ROUNDS,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(configText), configText.lastIndexOf("}")) : retype(rand, configText)),
      (bytes) => resolveRunConfig(parseJson(bytes, "config.json"), join(dir, "config.json"), {}, dir),
      (resolved, d) => {
        assert.notEqual(d.kind, "truncate");
        allFinite(runConfigToJson(resolved), "config");
        // What is accepted reads back as itself (no value silently dropped or coerced on the way).
        assert.deepEqual(resolveRunConfig(runConfigToJson(resolved), join(dir, "config.json"), {}, dir), resolved, d.kind);
      },
    );

    const state = {
      format: "hybrid-ir/trainer-state@2",
      step: 20,
      sampler: { sampler: "hybrid", seed: 3, epoch: 1, batch: 4 },
      bestValLoss: 2.5,
      bestStep: 10,
      badValidations: 1,
      lastValidationStep: 20,
      stop: { status: "early-stopped", step: 20, message: "no better validation loss" },
      interval: { loss: 1.5, gradNorm: 0.5, steps: 2, pairs: 16, seconds: 0.25 },
      optimizer: { step: 20, file: "optimizer.bin", moments: [{ name: "embeddings.word_embeddings.weight", step: 20, size: 64 }] },
    };
    const stateText = JSON.stringify(state, null, 2);
    await fuzz(
      "trainer state",
      ROUNDS,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(stateText), stateText.lastIndexOf("}")) : retype(rand, stateText)),
      (bytes) => parseTrainerState(parseJson(bytes, "trainer-state.json"), "trainer-state.json"),
      (parsed, d) => {
        assert.notEqual(d.kind, "truncate");
        allFinite(parsed, "state");
        for (const n of [parsed.step, parsed.badValidations, parsed.sampler.epoch, parsed.sampler.batch, parsed.optimizer.step]) assert.ok(Number.isSafeInteger(n) && n >= 0, d.kind);
      },
    );

    const results = {
      dataset: "xquad-r",
      run: { outputDir: "run", status: "completed", steps: 30, checkpoint: "best", checkpointStep: 20, bestValLoss: 2.5 },
      mono: { mean: { map: 0.5 } },
      cross: { mean: { map: 0.25 } },
      multi: { mean: { map: null } },
      languageBias: { mean: 12.5 },
    };
    const resultsText = JSON.stringify(results, null, 2);
    await fuzz(
      "results",
      ROUNDS,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(resultsText), resultsText.lastIndexOf("}")) : retype(rand, resultsText)),
      (bytes) => parseResultsSummary(parseJson(bytes, "results.json"), "results.json"),
      (parsed, d) => {
        assert.notEqual(d.kind, "truncate");
        allFinite(parsed, "results");
      },
    );

    const lines = [
      { type: "val", step: 0, valLoss: 3, best: true },
      { type: "train", step: 5, loss: 2.5, lr: 0.001, gradNorm: 1, pairsPerSec: 9, secPerStep: 1, epoch: 0 },
      { type: "event", step: 5, event: "resumed" },
      { type: "val", step: 10, valLoss: 2.5, best: true },
    ];
    const metricsText = lines.map((l) => JSON.stringify(l) + "\n").join("");
    const run = new RunDir(join(dir, "metrics-run"));
    await fuzz(
      "metrics",
      ROUNDS / 2,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(metricsText)) : round % 3 === 1 ? oddLine(rand, metricsText) : retype(rand, metricsText)),
      async (bytes) => {
        await writeFile(join(dir, "metrics.jsonl"), bytes);
        return new RunDir(dir).readMetrics();
      },
      (got, d) => {
        // A killed append leaves a cut last line, which is dropped; nothing else is.
        if (d.kind === "truncate" || d.kind.startsWith("line")) assert.deepEqual(got, lines.slice(0, got.length), d.kind);
        if (d.kind.startsWith("line")) assert.equal(got.length, lines.length, d.kind);
        for (const l of got) assert.ok(Number.isSafeInteger(l.step), d.kind);
      },
    );
    assert.ok(run.dir.endsWith("metrics-run"));
  });

  test("model config.json and tokenizer.json", async () => {
    const configText = await readFile(join(TINY_BERT, "config.json"), "utf8");
    const parseJson = (bytes: Uint8Array): unknown => {
      try {
        return JSON.parse(decode(bytes));
      } catch (err) {
        throw new DataError("config.json", `invalid JSON (${(err as Error).message})`);
      }
    };
    await fuzz(
      "encoder config",
      ROUNDS,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(configText), configText.lastIndexOf("}")) : retype(rand, configText)),
      (bytes) => parseEncoderConfig(parseJson(bytes), "config.json"),
      (parsed, d) => {
        assert.notEqual(d.kind, "truncate");
        allFinite(parsed, "config");
      },
    );
    const tokenizerText = await readFile(join(TINY_BERT, "tokenizer.json"), "utf8");
    await fuzz(
      "tokenizer.json",
      ROUNDS / 2,
      (rand, round) => (round % 3 === 0 ? truncate(rand, encode(tokenizerText), tokenizerText.lastIndexOf("}")) : retype(rand, tokenizerText)),
      async (bytes) => {
        const tokenizer = tokenizerFromJson(await decodeTokenizerJson(Buffer.from(bytes), "tokenizer.json"), "tokenizer.json");
        return tokenizer.encode("Hello world, wie viele?");
      },
      (encoded, d) => {
        assert.notEqual(d.kind, "truncate");
        assert.ok(encoded.ids.every((id) => Number.isSafeInteger(id) && id >= 0), d.kind);
      },
    );
  });
});
