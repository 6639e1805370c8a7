import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readGrid } from "../../src/ablate/grid.js";
import { runKey, runState } from "../../src/ablate/run-state.js";
import { runGrid } from "../../src/ablate/runner.js";
import type { AggregateRow } from "../../src/ablate/types.js";
import { readTrainerProgress } from "../../src/run-files/trainer-state.js";
import { CONFIG_NAME, currentProvenance, writeRunConfigFile } from "../../src/run-files/run-config.js";
import { LOCK_NAME, type LockOwner } from "../../src/train/run-lock.js";
import { procStatFields } from "../../src/util/atomic-write.js";
import { UsageError } from "../../src/cli/args.js";
import * as ablate from "../../src/cli/ablate.js";
import { cli, events, parseCsv, processesMentioning, rejectsData, start, tinyBase, waitFor, workspace } from "./helpers.js";
import { silentLogger } from "../../src/util/logger.js";

const exists = (path: string) => access(path).then(
  () => true,
  () => false,
);

/** Every file under `dir` (relative path → content), to show a directory was left untouched. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(dir.length + 1)] = await readFile(join(entry.parentPath, entry.name), "utf8");
  }
  return files;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Lines of the runner's output that start or finish run `index`. */
const runLines = (stdout: string, index: number) => stdout.split("\n").filter((l) => l.startsWith(`[${index}] `));

describe("hybrid-ir ablate", () => {
  const ws = workspace("hybrid-ir-ablate-runner-");

  test("a grid killed midway continues where it stopped: complete runs skipped, the partial one resumed", async () => {
    const dir = ws.dir();
    await ws.write("kill.json", {
      base: tinyBase({ steps: 12, checkpointEvery: 3 }),
      outputRoot: "runs/kill",
      axes: { strategy: ["x-x", "hybrid"], seed: [1, 2] },
    });
    const grid = await readGrid("kill.json", dir);
    assert.equal(grid.runs.length, 4);
    const dirs = grid.runs.map((r) => r.config.outputDir);

    const first = start(dir, ["ablate", "--grid", "kill.json", "--concurrency", "1"], true);
    await waitFor("run 1 to hold a checkpoint", () => exists(join(dirs[1], "checkpoints", "last", "trainer-state.json")));
    process.kill(-first.child.pid!, "SIGKILL");
    assert.equal(await first.exited, null, "killed");
    // The trainer was started in its own process group; it must not outlive its runner.
    await waitFor("the orphaned trainer to die", async () => (await processesMentioning(dir)).length === 0, 30);

    assert.equal(await runState(dirs[0], grid.runs[0].config), "complete");
    assert.equal(await runState(dirs[1], grid.runs[1].config), "partial");
    assert.equal(await exists(join(dirs[1], "results.json")), false);
    assert.equal(await runState(dirs[2], grid.runs[2].config), "new");
    const run0Results = await readFile(join(dirs[0], "results.json"), "utf8");
    const run0Mtime = (await stat(join(dirs[0], "results.json"))).mtimeMs;
    const checkpointStep = (await readTrainerProgress(join(dirs[1], "checkpoints", "last"))).step;
    assert.ok(checkpointStep >= 3 && checkpointStep < 12, `checkpoint at step ${checkpointStep}`);

    // The same command continues; two at a time here.
    const again = await cli(dir, "ablate", "--grid", "kill.json", "--concurrency", "2");
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stdout, /4 runs \(2 new, 1 partial, 1 complete, 0 diverged\), 3 to train, concurrency 2/);
    assert.match(runLines(again.stdout, 0).join("\n"), /complete, skipped/);
    assert.match(runLines(again.stdout, 1).join("\n"), /: partial, resuming[^]*resumed in/);
    for (const i of [2, 3]) assert.match(runLines(again.stdout, i).join("\n"), /: new, training[^]*trained in/);
    // Two runs were training at once: a second start comes before the first training finishes.
    let running = 0;
    let most = 0;
    for (const line of again.stdout.split("\n")) {
      if (/: (new|partial), (training|resuming)/.test(line)) running += 1;
      if (/ (trained|resumed) in /.test(line)) running -= 1;
      most = Math.max(most, running);
    }
    assert.equal(most, 2, again.stdout);

    assert.equal(await readFile(join(dirs[0], "results.json"), "utf8"), run0Results, "run 0 not retrained");
    assert.equal((await stat(join(dirs[0], "results.json"))).mtimeMs, run0Mtime);
    assert.deepEqual(await events(dirs[0]), []);
    assert.deepEqual(await events(dirs[1]), ["resumed"]);
    const log1 = await readFile(join(grid.outputRoot, "logs", `${grid.runs[1].key}.log`), "utf8");
    assert.match(log1, new RegExp(`resume: from .*checkpoints/last at step ${checkpointStep}`));
    for (const i of [2, 3]) assert.deepEqual(await events(dirs[i]), [], `run ${i} trained fresh`);

    // The aggregate: all four runs, complete, in results.json and results.csv.
    const rows = JSON.parse(await readFile(join(grid.outputRoot, "results.json"), "utf8")) as AggregateRow[];
    assert.deepEqual(rows.map((r) => r.key).sort(), grid.runs.map((r) => r.key).sort());
    assert.ok(rows.every((r) => r.state === "complete" && r.steps === 12 && r.monoMap !== null && r.monoMap > 0), JSON.stringify(rows));
    const csv = parseCsv(await readFile(join(grid.outputRoot, "results.csv"), "utf8"));
    assert.equal(csv.length, 5);
    assert.deepEqual(csv.slice(1).map((r) => r[csv[0].indexOf("state")]), ["complete", "complete", "complete", "complete"]);
    assert.match(again.stdout, /tiny-bert\s+train\.jsonl→xquad-r\s+x-x\s+-\s+1\s+complete\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+\d+\.\d/);
    assert.match(again.stdout, /4 runs: runs\/kill\/results\.csv, runs\/kill\/results\.json/);

    // Once more: nothing left to run.
    const logs = await Promise.all(grid.runs.map((r) => readFile(join(grid.outputRoot, "logs", `${r.key}.log`), "utf8")));
    const third = await cli(dir, "ablate", "--grid", "kill.json");
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /4 runs \(0 new, 0 partial, 4 complete, 0 diverged\), 0 to train/);
    assert.equal(third.stdout.match(/complete, skipped/g)?.length, 4);
    assert.doesNotMatch(third.stdout, /training|resuming/);
    assert.deepEqual(await Promise.all(grid.runs.map((r) => readFile(join(grid.outputRoot, "logs", `${r.key}.log`), "utf8"))), logs);
  });

  test("SIGINT stops the runs with their checkpoints saved and exits 130; the same command finishes them", async () => {
    const dir = ws.dir();
    await ws.write("stop.json", {
      base: tinyBase({ steps: 80, logEvery: 5, validateEvery: 0, checkpointEvery: 0, eval: null }),
      outputRoot: "runs/stop",
      axes: { strategy: ["x-y", "hybrid"] },
    });
    const grid = await readGrid("stop.json", dir);
    const dirs = grid.runs.map((r) => r.config.outputDir);
    const running = start(dir, ["ablate", "--grid", "stop.json", "--concurrency", "2"]);
    const trained = async (d: string) => (await readFile(join(d, "metrics.jsonl"), "utf8").catch(() => "")).includes('"type":"train"');
    await waitFor("both runs to log a training step", async () => (await trained(dirs[0])) && (await trained(dirs[1])));
    running.child.kill("SIGINT");
    assert.equal(await running.exited, 130, running.output.stderr);
    assert.match(running.output.stderr, /SIGINT: stopping the runs/);
    assert.equal(running.output.stdout.match(/interrupted after [\d.]+s; resumable/g)?.length, 2, running.output.stdout);
    for (const [i, d] of dirs.entries()) {
      assert.deepEqual(await events(d), ["interrupted"]);
      assert.equal(await runState(d, grid.runs[i].config), "partial");
      const step = (await readTrainerProgress(join(d, "checkpoints", "last"))).step;
      assert.ok(step >= 5 && step < 80, `saved at step ${step}`);
    }

    const resumed = await cli(dir, "ablate", "--grid", "stop.json", "--concurrency", "2");
    assert.equal(resumed.code, 0, resumed.stderr);
    for (const [i, d] of dirs.entries()) {
      assert.deepEqual(await events(d), ["interrupted", "resumed"]);
      assert.equal(await runState(d, grid.runs[i].config), "complete", "no eval section: complete at the last step");
      assert.equal((await readTrainerProgress(join(d, "checkpoints", "last"))).step, 80);
    }
  });

  test("a run whose directory a live process holds is reported in use, naming the PID, and left alone; the others run (issue 15, case 2)", async (t) => {
    const dir = ws.dir();
    await ws.write("busy.json", {
      base: tinyBase({ steps: 4, logEvery: 2, validateEvery: 0, checkpointEvery: 0, eval: null }),
      outputRoot: "runs/busy",
      axes: { seed: [1, 2] },
    });
    const grid = await readGrid("busy.json", dir);
    const [held, free] = grid.runs;
    // Another trainer's run, as run-dir.ts leaves it while training: its config.json (so the
    // runner sees a partial run it would resume) and run.lock naming that process, here a live
    // `sleep` with its real /proc start time (what the lock records to tell a reused PID apart).
    const owner = spawn("sleep", ["600"], { stdio: "ignore" });
    t.after(() => owner.kill());
    const pid = owner.pid!;
    await mkdir(held.config.outputDir, { recursive: true });
    await writeRunConfigFile(join(held.config.outputDir, CONFIG_NAME), held.config, await currentProvenance("wasm"));
    const lock: LockOwner = { pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", processStart: procStatFields(pid)![19] };
    await writeFile(join(held.config.outputDir, LOCK_NAME), JSON.stringify(lock) + "\n");
    const untouched = await snapshot(held.config.outputDir);
    assert.equal(await runState(held.config.outputDir, held.config), "partial");

    const inUse = `in use by PID ${pid} on ${hostname()} since 2026-01-01T00:00:00.000Z`;
    const dry = await cli(dir, "ablate", "--grid", "busy.json", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^0\\s+${held.key}\\s.*\\spartial \\(in use by PID ${pid} on ${escapeRegExp(hostname())}\\)$`, "m"));
    assert.match(dry.stdout, new RegExp(`^1\\s+${free.key}\\s.*\\snew$`, "m"));

    const out = await cli(dir, "ablate", "--grid", "busy.json");
    // Left to its owner, the run is neither a failure nor an error: the command succeeds.
    assert.equal(out.code, 0, out.stderr + out.stdout);
    assert.match(out.stderr, new RegExp(`^warning: \\[0\\] ${held.key} ${escapeRegExp(inUse)}, left to it · 1/2 done`, "m"));
    assert.deepEqual(runLines(out.stdout, 0), [], "run 0 neither started nor resumed");
    assert.match(runLines(out.stdout, 1).join("\n"), /: new, training[^]*trained in/);
    assert.equal(await runState(free.config.outputDir, free.config), "complete");
    // Not trained, not deleted, not written to; no config or log made for it.
    assert.deepEqual(await snapshot(held.config.outputDir), untouched);
    assert.equal(await exists(join(grid.outputRoot, "logs", `${held.key}.log`)), false);
    assert.equal(await exists(join(grid.outputRoot, "configs", `${held.key}.json`)), false);
    const rows = JSON.parse(await readFile(join(grid.outputRoot, "results.json"), "utf8")) as AggregateRow[];
    assert.deepEqual(rows.map((r) => [r.key, r.state]).sort(), [[held.key, "partial"], [free.key, "complete"]].sort());

    // The library's report: "busy" with the owner, not counted as failed; the finished run skipped.
    const summary = await runGrid(grid, { logger: silentLogger, aggregate: false });
    assert.deepEqual(
      summary.runs.map((r) => [r.index, r.outcome, r.exitCode, r.note]),
      [
        [0, "busy", null, inUse],
        [1, "skipped", null, null],
      ],
    );
    assert.deepEqual([summary.failed, summary.interrupted], [0, false]);
    assert.deepEqual(await snapshot(held.config.outputDir), untouched);
  });

  test("--dry-run lists the runs and trains nothing; usage errors exit 2", async () => {
    const dir = ws.dir();
    await ws.write("dry.json", { base: tinyBase(), outputRoot: "runs/dry", axes: { strategy: ["x-x", "hybrid"], alpha: [0.25, 0.75] } });
    const grid = await readGrid("dry.json", dir);
    const dry = await cli(dir, "ablate", "--grid", "dry.json", "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    const lines = dry.stdout.trim().split("\n");
    assert.match(lines[0], /^#\s+key\s+model\s+train→eval\s+strategy\s+α\s+seed\s+state$/);
    assert.match(lines[2], new RegExp(`^0\\s+${grid.runs[0].key}\\s+\\S*tiny-bert\\s+train\\.jsonl→xquad-r\\s+x-x\\s+-\\s+3\\s+new$`));
    assert.match(lines[4], new RegExp(`^2\\s+${grid.runs[2].key}\\s+\\S*tiny-bert\\s+train\\.jsonl→xquad-r\\s+hybrid\\s+0\\.75\\s+3\\s+new$`));
    assert.equal(lines[5], "3 runs into runs/dry");
    assert.equal(await exists(join(dir, "runs", "dry")), false, "nothing written");

    // runGrid's backend option re-keys the runs, as "set": { "backend" } would; only: [] trains none of them
    const summary = await runGrid(grid, { backend: "cpu", only: [], logger: silentLogger });
    assert.deepEqual([summary.runs, summary.failed], [[], 0]);
    // Issue 15, case 6: the aggregate lists the runs never started, not only the directories found.
    assert.deepEqual(
      summary.rows?.map((r) => [r.key, r.state, r.strategy, r.alpha]),
      grid.runs.map((r) => [runKey({ ...r.config, backend: "cpu" }), "new", r.labels.strategy, r.labels.alpha]),
    );
    const manifest = JSON.parse(await readFile(join(dir, "runs", "dry", "grid.json"), "utf8")) as { runs: { key: string; config: { backend: string } }[] };
    assert.deepEqual(
      manifest.runs.map((r) => [r.key, r.config.backend]),
      grid.runs.map((r) => [runKey({ ...r.config, backend: "cpu" }), "cpu"]),
    );
    assert.ok(manifest.runs.every((r, i) => r.key !== grid.runs[i].key));

    const outOfRange = await cli(dir, "ablate", "--grid", "dry.json", "--task", "3");
    assert.equal(outOfRange.code, 2, outOfRange.stderr);
    assert.match(outOfRange.stderr, /hybrid-ir ablate: --task 3 is out of range: .*dry\.json expands to 3 runs \(0-2\)/);
    const usage = async (args: string[], re: RegExp) => assert.rejects(ablate.run(args), (err: Error) => err instanceof UsageError && re.test(err.message));
    const gridFile = join(dir, "dry.json");
    await usage(["--grid", gridFile, "--task", "0", "--dry-run"], /give one of --dry-run, --task, not several/);
    await usage(["--grid", gridFile, "--task", "x"], /--task takes a whole number >= 0, got 'x'/);
    await usage(["--grid", gridFile, "--emit", "pbs"], /--emit: only 'slurm' is supported/);
    await usage(["--grid", gridFile, "--partition", "gpu"], /--partition goes with --emit slurm/);
    await usage(["--grid", gridFile, "--concurrency", "0"], /--concurrency takes a whole number >= 1/);
    await usage(["--grid", gridFile, "--aggregate", "--concurrency", "2"], /--concurrency goes with a grid run or --emit slurm, not --aggregate/);
    await usage(["--dry-run"], /--grid FILE is required/);
    await rejectsData(ablate.run(["--grid", join(dir, "nope.json")]), join(dir, "nope.json"), /cannot read/);
  });

  test("a failing run is reported with its exit code and log, the others still run, and the command fails", async () => {
    const dir = ws.dir();
    await ws.write("fail.json", {
      base: tinyBase(),
      outputRoot: "runs/fail",
      axes: { direction: [{ train: "missing.jsonl", eval: "xquad-r" }, { train: "gone.jsonl", eval: "xquad-r" }] },
    });
    const out = await cli(dir, "ablate", "--grid", "fail.json");
    assert.equal(out.code, 1, out.stdout);
    for (const [i, name] of ["missing", "gone"].entries()) {
      // An error, so on stderr, whatever the progress lines on stdout say.
      const lines = out.stderr.split("\n");
      const at = lines.findIndex((l) => new RegExp(`^error: \\[${i}\\] \\w+ FAILED \\(exit 1\\) after [\\d.]+s · ${i + 1}/2 done`).test(l));
      assert.ok(at >= 0, out.stderr);
      assert.match(lines.slice(at + 1, at + 16).join("\n"), new RegExp(`^    .*${name}\\.jsonl`, "m"), "the log's last lines follow");
    }
    assert.match(out.stderr, /fail\.json: 2 of 2 runs failed: 0 \(\w{12}\), 1 \(\w{12}\); their logs are in runs\/fail\/logs/);
  });
});
