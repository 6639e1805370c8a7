import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { appendMetricsLine, readMetricsFile, writeMetricsFile, type MetricsLine } from "../../src/run-files/metrics.js";
import { rejectsNaming, tempDir } from "./helpers.js";

const LINES: MetricsLine[] = [
  { type: "val", step: 0, valLoss: 3, best: true },
  { type: "train", step: 5, loss: 2.5, lr: 0.001, gradNorm: 1, pairsPerSec: 9, secPerStep: 1, epoch: 0 },
  { type: "event", step: 5, event: "resumed" },
];

describe("metrics.jsonl", () => {
  const dir = tempDir("hybrid-ir-metrics-");

  test("append → read and write → read round-trip; an old file (lines without schemaVersion) reads", async () => {
    const path = join(dir(), "metrics.jsonl");
    for (const line of LINES) await appendMetricsLine(path, line);
    assert.deepEqual(await readMetricsFile(path), LINES);
    await writeMetricsFile(path, LINES.slice(0, 2));
    assert.deepEqual(await readMetricsFile(path), LINES.slice(0, 2));
    assert.deepEqual(await readMetricsFile(join(dir(), "none.jsonl")), []);
  });

  test("a bad line is a DataError naming the file, the line and the field", async () => {
    const path = join(dir(), "bad.jsonl");
    const cases: [string, RegExp][] = [
      [JSON.stringify({ type: "train", step: 5, loss: "low", lr: 0, gradNorm: 0, pairsPerSec: 0, secPerStep: 0 }), /^line 2: a train line needs a number "loss"/],
      [JSON.stringify({ type: "val", step: -1, valLoss: 2 }), /^line 2: "step" must be a whole number/],
      [JSON.stringify({ type: "event", step: 1, event: "x", schemaVersion: 9 }), /^line 2: schemaVersion 9 is newer/],
    ];
    for (const [line, problem] of cases) {
      await writeFile(path, `${JSON.stringify(LINES[0])}\n${line}\n`);
      await rejectsNaming(readMetricsFile(path), path, problem);
    }
  });
});
