import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadDataset } from "../../src/data/lareqa.js";
import { readTrainerProgress } from "../../src/run-files/trainer-state.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(cwd: string, ...args: string[]): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { cwd, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One 32-wide layer over 160 MLQA-R records: a step takes a few tens of milliseconds. */
function tinyConfig(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    comment: "CLI test",
    model: { ref: "mini", seed: 1, mini: { layers: 1, hidden: 32, heads: 2, intermediate: 64 } },
    data: { train: "train.jsonl", validationFraction: 0.25 },
    sampler: { name: "hybrid", batchSize: 8, seed: 3 },
    optim: { lr: 1e-3, warmupSteps: 2 },
    steps: 10,
    logEvery: 5,
    validateEvery: 5,
    checkpointEvery: 5,
    validationBatches: 2,
    eval: { dataset: "xquad-r", languages: ["de", "en"], maxQuestionIds: 20 },
    backend: "wasm",
    ...overrides,
  };
}

describe("hybrid-ir train", () => {
  let dir: string;
  const write = (name: string, json: unknown) => writeFile(join(dir, name), JSON.stringify(json));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-cli-train-"));
    const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
    await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("trains one config into its run directory and refuses to train over it", async () => {
    await write("one.json", tinyConfig({ outputDir: "runs/one" }));
    const first = await cli(dir, "train", "--config", "one.json");
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^step 5\/10 \| loss \d\.\d{4} \| lr [\d.e+-]+ \| grad [\d.]+ \| [\d.]+ pairs\/s/m);
    assert.match(first.stdout, /step 10: val loss \d\.\d{4}/);
    assert.match(first.stdout, /xquad-r: mono mAP 0\.\d{3} \| cross mAP 0\.\d{3} \| multi mAP 0\.\d{3} \| rank distance \d+/);
    const results = JSON.parse(await readFile(join(dir, "runs/one/results.json"), "utf8"));
    assert.equal(results.run.model, "mini");
    const config = JSON.parse(await readFile(join(dir, "runs/one/config.json"), "utf8"));
    assert.equal(config.outputDir, join(dir, "runs/one"));

    const again = await cli(dir, "train", "--config", "one.json");
    assert.equal(again.code, 1);
    assert.match(again.stderr, /runs\/one: is not empty: pass --resume to continue the run in it, or --overwrite/);
    const changed = await cli(dir, "train", "--config", "one.json", "--resume", "--steps", "12");
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /cannot resume: the given config differs from the run's in steps/);
    // Only the comment edited: the same run, which resumes (here straight into its end).
    await write("one-commented.json", { ...tinyConfig({ outputDir: "runs/one" }), comment: "edited since the run started" });
    const commented = await cli(dir, "train", "--config", "one-commented.json", "--resume");
    assert.equal(commented.code, 0, commented.stderr);
  });

  test("several configs train one after the other and print side by side; so does `compare`", async () => {
    await write("x-x.json", tinyConfig({ sampler: { name: "x-x", batchSize: 8, seed: 3 }, outputDir: "runs/x-x" }));
    await write("x-y.json", tinyConfig({ sampler: { name: "x-y", batchSize: 8, seed: 3 }, outputDir: "runs/x-y" }));
    const both = await cli(dir, "train", "--config", "x-x.json", "--config", "x-y.json");
    assert.equal(both.code, 0, both.stderr);
    const table = both.stdout.slice(both.stdout.lastIndexOf("\nrun "));
    assert.match(table, /run\s+model\s+sampler\s+steps\s+evaluated\s+val loss\s+dataset\s+mono mAP\s+cross mAP\s+multi mAP\s+rank dist/);
    assert.match(table, /runs\/x-x\s+mini\s+x-x\s+10\s+best@\d+\s+\d\.\d{4}\s+xquad-r\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+\d+\.\d/);
    assert.match(table, /runs\/x-y\s+mini\s+x-y\s+10\s+best@\d+/);

    const compared = await cli(dir, "compare", "runs/x-x", "runs/x-y", "--json");
    assert.equal(compared.code, 0, compared.stderr);
    const rows = JSON.parse(compared.stdout) as { sampler: string; mono: number }[];
    assert.deepEqual(rows.map((r) => r.sampler), ["x-x", "x-y"]);
    assert.ok(rows.every((r) => r.mono > 0));
    const missing = await cli(dir, "compare", "nowhere");
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nowhere: is not a run directory/);
  });

  test("Ctrl-C saves checkpoints/last and exits 130; --resume --output finishes the run", async () => {
    await write("long.json", tinyConfig({ steps: 300, logEvery: 10, validateEvery: 0, checkpointEvery: 0, eval: null, outputDir: "runs/long" }));
    const child = spawn(process.execPath, [MAIN, "train", "--config", "long.json"], { cwd: dir });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (/^step 20\/300/m.test(stdout) && !child.killed) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Ctrl-C: finishing this step, then saving checkpoints\/last/);
    const at = Number(/interrupted at step (\d+)/.exec(stdout)?.[1]);
    assert.ok(at >= 20 && at < 300, stdout);
    assert.equal((await readTrainerProgress(join(dir, "runs/long/checkpoints/last"))).step, at);

    const resumed = await cli(dir, "train", "--resume", "--output", "runs/long");
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`resume: from .*checkpoints/last at step ${at}`));
    assert.match(resumed.stdout, /step 300\/300/);
    assert.equal((await readTrainerProgress(join(dir, "runs/long/checkpoints/last"))).step, 300);
  });

  test("two processes on one run directory: one owns it, the other exits 1 naming the owner", async () => {
    // Issue 15, case 2: two starts at once used to both get in (or die on ENOTEMPTY .tmp-last).
    await write("shared.json", tinyConfig({ steps: 300, logEvery: 10, validateEvery: 0, checkpointEvery: 10, eval: null, outputDir: "runs/shared" }));
    const start = () => {
      const child = spawn(process.execPath, [MAIN, "train", "--config", "shared.json"], { cwd: dir });
      const out = { stdout: "", stderr: "", code: new Promise<number | null>((resolve) => child.on("close", resolve)) };
      child.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
      return { child, out };
    };
    const [a, b] = [start(), start()];
    const loser = await Promise.race([a.out.code.then(() => a), b.out.code.then(() => b)]);
    const winner = loser === a ? b : a;
    assert.equal(await loser.out.code, 1, loser.out.stderr);
    assert.match(loser.out.stderr, new RegExp(`runs/shared: is in use by PID ${winner.child.pid} on \\S+ since \\d{4}-`));
    assert.doesNotMatch(loser.out.stderr, /\n\s+at /, "no stack trace");
    // The owner trains on undisturbed; stopped, it leaves a resumable run and no lock.
    let winnerExited = false;
    void winner.out.code.then(() => (winnerExited = true));
    while (!/^step 20\/300/m.test(winner.out.stdout)) {
      assert.ok(!winnerExited, `the owner exited early: ${winner.out.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    winner.child.kill("SIGINT");
    assert.equal(await winner.out.code, 130, winner.out.stderr);
    await assert.rejects(access(join(dir, "runs/shared/run.lock")), "the lock goes with its process");

    // A lock left by a process killed with SIGKILL is stale: reported and taken over.
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.on("close", resolve));
    const { hostname } = await import("node:os");
    await writeFile(join(dir, "runs/shared/run.lock"), JSON.stringify({ pid: dead.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", processStart: null }));
    await writeFile(join(dir, "runs/shared/per-query.json.999999999.tmp"), "half");
    const resumed = await cli(dir, "train", "--resume", "--output", "runs/shared");
    assert.equal(resumed.code, 0, resumed.stderr);
    // Warnings, so on stderr.
    assert.match(resumed.stderr, new RegExp(`^warning: .*removed the stale lock of PID ${dead.pid} on \\S+ since 2026-01-01T00:00:00.000Z: that process is gone$`, "m"));
    assert.match(resumed.stderr, /^warning: .*removed per-query\.json\.999999999\.tmp, left by a killed write$/m);
  });

  test("a corrupt checkpoint is an input error naming its file; the stack only with --debug", async () => {
    // Issue 15, case 4: these were a SyntaxError without a path and a raw read error.
    await write("ckpt.json", tinyConfig({ steps: 4, logEvery: 2, validateEvery: 0, checkpointEvery: 2, eval: null, outputDir: "runs/ckpt" }));
    assert.equal((await cli(dir, "train", "--config", "ckpt.json")).code, 0);
    const { cp, truncate } = await import("node:fs/promises");
    const state = join(dir, "runs/ckpt-state/checkpoints/last/trainer-state.json");
    await cp(join(dir, "runs/ckpt"), join(dir, "runs/ckpt-state"), { recursive: true });
    await writeFile(state, (await readFile(state, "utf8")).slice(0, 40));
    const badState = await cli(dir, "train", "--resume", "--output", "runs/ckpt-state");
    assert.equal(badState.code, 1);
    assert.match(badState.stderr, /runs\/ckpt-state\/checkpoints\/last\/trainer-state\.json: invalid JSON/);
    assert.doesNotMatch(badState.stderr, /\n\s+at /);
    await writeFile(state, JSON.stringify({ ...JSON.parse(await readFile(join(dir, "runs/ckpt/checkpoints/last/trainer-state.json"), "utf8")), step: -3 }));
    const badStep = await cli(dir, "train", "--resume", "--output", "runs/ckpt-state");
    assert.match(badStep.stderr, /trainer-state\.json: step must be a whole number >= 0, got -3/);

    await cp(join(dir, "runs/ckpt"), join(dir, "runs/ckpt-optim"), { recursive: true });
    const optimizer = join(dir, "runs/ckpt-optim/checkpoints/last/optimizer.bin");
    await truncate(optimizer, 1000);
    const badOptim = await cli(dir, "train", "--resume", "--output", "runs/ckpt-optim");
    assert.equal(badOptim.code, 1);
    assert.match(badOptim.stderr, /runs\/ckpt-optim\/checkpoints\/last\/optimizer\.bin: holds 1000 bytes, trainer-state\.json lists \d+/);
    assert.doesNotMatch(badOptim.stderr, /\n\s+at /);
    const debug = await cli(dir, "train", "--resume", "--output", "runs/ckpt-optim", "--debug");
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /\n\s+at .*checkpoint-state\.js/, "--debug shows where it was raised");
  });

  test("config errors name the file and the key; flag errors are usage errors", async () => {
    await write("typo.json", tinyConfig({ optim: { lr: 1e-3, weight_decay: 0.1 }, outputDir: "runs/typo" }));
    const typo = await cli(dir, "train", "--config", "typo.json");
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /typo\.json: unknown key in 'optim': weight_decay \(known: lr, weightDecay/);
    await assert.rejects(access(join(dir, "runs/typo")), "nothing is created for a bad config");

    const usage = await cli(dir, "train", "--config", "one.json", "--steps", "many");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--steps takes an integer ≥ 1, got 'many'/);
    const none = await cli(dir, "train");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--config FILE is required/);
  });

  test("log levels: warnings on stderr survive --quiet, progress is info, --verbose adds debug", async () => {
    await write("log.json", tinyConfig({ steps: 5, eval: null, validateEvery: 0, checkpointEvery: 5 }));
    // A file a killed writer left: removing it is a warning.
    const dead = spawnSync("true").pid!;
    await mkdir(join(dir, "runs/log"), { recursive: true });
    await writeFile(join(dir, "runs/log", `metrics.jsonl.${dead}.tmp`), "{");
    const quiet = await cli(dir, "train", "--config", "log.json", "--output", "runs/log", "--quiet");
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stdout, "", "no progress at --quiet");
    assert.match(quiet.stderr, new RegExp(`^warning: .*runs/log: removed metrics\\.jsonl\\.${dead}\\.tmp, left by a killed write$`, "m"));

    const verbose = await cli(dir, "train", "--config", "log.json", "--output", "runs/log-verbose", "--backend", "auto", "--verbose");
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.match(verbose.stdout, /^step 5\/5 \| loss/m, "progress at info");
    assert.match(verbose.stdout, /^backend \S+: .*; trying the next one$/m, "the backends skipped, at debug");
    const info = await cli(dir, "train", "--config", "log.json", "--output", "runs/log-info", "--backend", "auto");
    assert.match(info.stdout, /^backend \w+ chosen/m);
    assert.doesNotMatch(info.stdout, /trying the next one/);
    // A bad level is a usage error: test/cli/main.test.ts.
  });
});
