/** `hybrid-ir batches`, run as a user would (lives here to stay with the sampler tests it exercises). */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadDataset } from "../../src/data/lareqa.js";
import { buildPools } from "../../src/sampling/pools.js";
import { createSampler } from "../../src/sampling/sampler.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";
import { take } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Line {
  step: number;
  epoch: number;
  batch: number;
  kind: string;
  pairs: { group: string; queryLang: string; passageLang: string }[];
}

describe("hybrid-ir batches", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-batches-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("writes the sampler's batches across epochs, one line per step, from a records file named relative to the config", async () => {
    const records = fromRetrievalDataset(await loadDataset("mlqa-r"));
    await writeTrainingJsonl(join(dir, "data", "train.jsonl"), records);
    const config = join(dir, "run.json");
    await writeFile(config, JSON.stringify({ data: { train: "data/train.jsonl" }, sampler: { alpha: "by-size", batchSize: 100, seed: 3 }, model: { ignored: true } }));
    const out = join(dir, "batches.jsonl");
    const { code, stdout, stderr } = await cli("batches", "--config", config, "--steps", "200", "--out", out);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /4199 monolingual pairs, 11548 cross-lingual pairs/);
    assert.match(stdout, /alpha 0\.2667 \(by-size\), 157 batches per epoch/);
    const lines = (await readFile(out, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l) as Line);
    assert.equal(lines.length, 200);
    assert.deepEqual(lines.map((l) => l.step), [...Array(200).keys()]);
    assert.deepEqual([lines[156].epoch, lines[156].batch, lines[157].epoch, lines[157].batch], [0, 156, 1, 0]);
    const expected = take(createSampler("hybrid", buildPools(records), { batchSize: 100, seed: 3, alpha: "by-size" }), 200);
    assert.deepEqual(
      lines.map((l) => [l.kind, l.pairs]),
      expected.map((b) => [b.kind, b.pairs.map(({ group, queryLang, passageLang }) => ({ group, queryLang, passageLang }))]),
    );
  });

  test("a benchmark as training data, flags over the config, and a start epoch", async () => {
    const config = join(dir, "bench.json");
    await writeFile(config, JSON.stringify({ data: { train: { dataset: "mlqa-r" } } }));
    const out = join(dir, "x-x.jsonl");
    const { code, stderr } = await cli("batches", "--config", config, "--steps", "3", "--out", out, "--sampler", "x-x", "--batch-size", "8", "--epoch", "4");
    assert.equal(code, 0, stderr);
    const lines = (await readFile(out, "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l) as Line);
    assert.deepEqual(lines.map((l) => [l.epoch, l.batch, l.kind, l.pairs.length]), [[4, 0, "mono", 8], [4, 1, "mono", 8], [4, 2, "mono", 8]]);
  });

  test("bad configs and flags are reported, not thrown", async () => {
    const write = async (name: string, json: unknown) => {
      await writeFile(join(dir, name), typeof json === "string" ? json : JSON.stringify(json));
      return join(dir, name);
    };
    const run = async (config: string, ...flags: string[]) => cli("batches", "--config", config, "--steps", "2", "--out", join(dir, "o.jsonl"), ...flags);

    let r = await run(await write("typo.json", { data: { train: { dataset: "mlqa-r" } }, sampler: { batch_size: 8 } }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /typo\.json: unknown key in 'sampler': batch_size \(known: name, batchSize, seed, alpha\)/);
    r = await run(await write("nodata.json", { sampler: {} }));
    assert.match(r.stderr, /nodata\.json: needs "data": \{ "train"/);
    r = await run(await write("badset.json", { data: { train: { dataset: "squad" } } }));
    assert.match(r.stderr, /data\.train must be a path or \{ "dataset": "mlqa-r" \| "xquad-r" \}/);
    r = await run(await write("broken.json", "{"));
    assert.match(r.stderr, /broken\.json: invalid JSON/);
    r = await run(await write("ok.json", { data: { train: { dataset: "mlqa-r" } } }), "--alpha", "2");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /alpha must be a number in \[0, 1\] or "by-size", got 2/);
    r = await run(join(dir, "ok.json"), "--batch-size", "5000");
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ok\.json: hybrid sampler: hybrid with alpha = 0\.5 draws x-x batches, but x-x needs a language/);
    r = await cli("batches", "--config", join(dir, "ok.json"));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--config, --steps and --out are required/);
  });
});
