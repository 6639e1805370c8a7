/**
 * `hybrid-ir ablate`, in process: emitting a grid as a SLURM array and aggregating a grid nothing
 * has trained yet, and the flag combinations it refuses. Training grids (resume, signals,
 * failures, --dry-run, --task) is checked through the CLI in test/ablate/runner.test.ts.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { readGrid, type Grid } from "../../src/ablate/grid.js";
import * as ablate from "../../src/cli/ablate.js";
import { UsageError } from "../../src/cli/args.js";
import { DataError } from "../../src/util/errors.js";
import { pathExists } from "../../src/util/fs.js";
import { capture } from "./capture.js";

describe("hybrid-ir ablate", () => {
  let dir: string;
  let file: string;
  let grid: Grid;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-ablate-cli-"));
    file = join(dir, "grid.json");
    const base = { model: { ref: "mini", seed: 1 }, data: { train: { dataset: "mlqa-r" } }, steps: 4, eval: null };
    await writeFile(file, JSON.stringify({ base, outputRoot: join(dir, "out"), axes: { strategy: ["x-x", "hybrid"] } }));
    grid = await readGrid(file);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("--aggregate before anything ran: an input error naming the output folder", async () => {
    await assert.rejects(
      ablate.run(["--grid", file, "--aggregate"]),
      (e: unknown) => e instanceof DataError && e.message === `${join(dir, "out")}: no such directory: nothing has been run into it yet`,
    );
  });

  test("--emit slurm: the manifest, the logs folder and an executable array script with the options given", async () => {
    const script = join(dir, "array.sh");
    const { stdout } = await capture(() =>
      ablate.run(["--grid", file, "--emit", "slurm", "--script", script, "--concurrency", "1", "--partition", "gpu", "--cpus", "2", "--time", "1:00:00", "--mem", "4G"]),
    );
    const manifest = join(dir, "out", "grid.json");
    // Paths are shown relative to the working directory when under it.
    const shown = /^wrote (\S+) \(2 runs\) and the SLURM array script (\S+); submit it with:\n  sbatch (\S+)\n$/.exec(stdout);
    assert.ok(shown, stdout);
    assert.deepEqual(shown.slice(1).map((p) => resolve(p)), [manifest, script, script]);
    assert.deepEqual(
      (JSON.parse(await readFile(manifest, "utf8")) as { runs: { index: number; key: string }[] }).runs.map((r) => [r.index, r.key]),
      grid.runs.map((r) => [r.index, r.key]),
    );
    assert.ok((await stat(join(dir, "out", "logs"))).isDirectory(), "sbatch needs the --output folder to exist");
    assert.equal((await stat(script)).mode & 0o777, 0o755);
    const text = await readFile(script, "utf8");
    for (const line of ["#SBATCH --array=0-1%1", "#SBATCH --partition=gpu", "#SBATCH --time=1:00:00", "#SBATCH --cpus-per-task=2", "#SBATCH --mem=4G"]) {
      assert.ok(text.split("\n").includes(line), `${line} missing from:\n${text}`);
    }
    assert.match(text, new RegExp(`ablate --grid ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} --task "\\$SLURM_ARRAY_TASK_ID"`));
  });

  test("--aggregate of runs never started: one 'new' row per run in results.csv and results.json", async () => {
    await mkdir(join(dir, "out"), { recursive: true });
    const { stdout } = await capture(() => ablate.run(["--grid", file, "--aggregate"]));
    const [csv, json] = ["results.csv", "results.json"].map((n) => join(dir, "out", n));
    const shown = /\n\n2 runs \(2 never started\): (\S+), (\S+)\n$/.exec(stdout);
    assert.ok(shown, stdout);
    assert.deepEqual(shown.slice(1).map((p) => resolve(p)), [csv, json]);
    const rows = JSON.parse(await readFile(json, "utf8")) as { key: string; state: string; strategy: string }[];
    assert.deepEqual(rows.map((r) => [r.key, r.state]).sort(), grid.runs.map((r) => [r.key, "new"]).sort());
    assert.equal((await readFile(csv, "utf8")).trimEnd().split("\n").length, 3, "a header and two rows");
  });

  test("flags that do not go together, and a stray argument: usage errors, nothing written", async () => {
    const usage = (argv: string[], re: RegExp) =>
      assert.rejects(ablate.run(argv), (e: unknown) => e instanceof UsageError && re.test(e.message), argv.join(" "));
    await usage(["--grid", file, "extra"], /^unexpected argument 'extra'\n\nusage: hybrid-ir ablate/);
    await usage(["--grid", file, "--script", join(dir, "s.sh")], /^--script goes with --emit slurm/);
    await usage(["--grid", file, "--aggregate", "--mem", "1G"], /^--mem goes with --emit slurm/);
    await usage(["--grid", file, "--aggregate", "--retry-diverged"], /^--retry-diverged goes with a grid run or --task, not --aggregate$/);
    await usage(["--grid", file, "--emit", "slurm", "--ship", join(dir, "ship")], /^give one of --emit, --ship, not several/);
    await usage(["--grid", file, "--emit", "slurm", "--script", join(dir, "s.sh"), "--cpus", "0"], /^--cpus takes a whole number >= 1, got '0'$/);
    assert.equal(await pathExists(join(dir, "s.sh")), false);
    assert.equal(await pathExists(join(dir, "ship")), false);
  });
});
