/**
 * End to end on a real SLURM: `hybrid-ir ablate --emit slurm` writes a job array, `sbatch --wait`
 * runs it on the one-node cluster of scripts/slurm/local-cluster.sh, `--aggregate` reads the
 * finished runs back. Skipped where SLURM is not installed, except in CI, which must run it.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { access, chmod, constants, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { loadDataset } from "../../src/data/lareqa.js";
import { tinyBase } from "./helpers.js";
import { writeTrainingJsonl } from "../../src/train-data/format.js";
import { fromRetrievalDataset } from "../../src/train-data/from-squad.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
/** Compiled to dist/test/ablate/: the repository root is three levels up. */
const CLUSTER = fileURLToPath(new URL("../../../scripts/slurm/local-cluster.sh", import.meta.url));
/** Two tiny trainings on two cores, queued behind whatever else the machine runs: be generous. */
const SBATCH_TIMEOUT_MS = 15 * 60_000;

const NO_SLURM =
  "sbatch is not on PATH: install SLURM (apt-get install slurm-wlm munge) and start the test cluster " +
  "with scripts/slurm/local-cluster.sh start";

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(cwd: string, file: string, args: string[], timeout = 0): Promise<Outcome> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, timeout, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr || e.message };
  }
}

const cli = (cwd: string, ...args: string[]) => exec(cwd, process.execPath, [MAIN, ...args]);

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    try {
      await access(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** `sbatch --wait`: its job id as soon as it is printed (to cancel on timeout), its exit code at the end. */
function sbatchWait(cwd: string, script: string): Promise<Outcome & { jobId: string | null }> {
  return new Promise((resolve) => {
    const child = spawn("sbatch", ["--wait", script], { cwd });
    let stdout = "";
    let stderr = "";
    const jobId = () => /Submitted batch job (\d+)/.exec(stdout)?.[1] ?? null;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\nsbatch --wait still waiting after ${SBATCH_TIMEOUT_MS / 60_000} min: cancelling the job`;
      const id = jobId();
      if (id) spawn("scancel", [id]);
      child.kill();
    }, SBATCH_TIMEOUT_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, jobId: jobId() });
    });
  });
}

/** What to read when the array failed: the tasks' own logs, then what SLURM knows of the job. */
async function slurmReport(cwd: string, logDir: string, jobId: string | null): Promise<string> {
  const parts: string[] = [];
  const names = await readdir(logDir).catch(() => [] as string[]);
  for (const name of names.sort()) parts.push(`----- ${name} -----\n${await readFile(join(logDir, name), "utf8")}`);
  if (names.length === 0) parts.push(`(no task logs in ${logDir})`);
  if (jobId) {
    const job = await exec(cwd, "scontrol", ["show", "job", jobId]);
    parts.push(`----- scontrol show job ${jobId} -----\n${job.stdout}${job.stderr}`);
  }
  const nodes = await exec(cwd, "sinfo", ["-N", "-l"]);
  parts.push(`----- sinfo -N -l -----\n${nodes.stdout}${nodes.stderr}`);
  return parts.join("\n");
}


const haveSbatch = await onPath("sbatch");

describe("hybrid-ir ablate on SLURM", () => {
  let dir: string | undefined;
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test(
    "an emitted job array runs under sbatch --wait and aggregates to one complete row per run",
    { skip: !haveSbatch && !process.env.CI ? NO_SLURM : false, timeout: SBATCH_TIMEOUT_MS + 5 * 60_000 },
    async () => {
      if (!haveSbatch) assert.fail(`CI must run the SLURM test: ${NO_SLURM}`);
      const up = await exec(process.cwd(), CLUSTER, ["start"], 3 * 60_000);
      assert.equal(up.code, 0, `${CLUSTER} start failed:\n${up.stdout}${up.stderr}`);

      dir = await mkdtemp(join(tmpdir(), "hybrid-ir-ablate-slurm-"));
      // slurmd runs the job as the submitting user; the directory must not be private to the test.
      await chmod(dir, 0o755);
      const ds = await loadDataset("mlqa-r", { languages: ["de", "en"], maxQuestionIds: 80 });
      await writeTrainingJsonl(join(dir, "train.jsonl"), fromRetrievalDataset(ds));
      await writeFile(join(dir, "base.json"), JSON.stringify(tinyBase({ comment: "SLURM ablation test" })));
      await writeFile(
        join(dir, "grid.json"),
        JSON.stringify({ base: "base.json", outputRoot: "out", axes: { strategy: ["x-x", "hybrid"], seed: [1] } }),
      );

      const emitted = await cli(dir, "ablate", "--grid", "grid.json", "--emit", "slurm", "--script", "array.sh",
        "--cpus", "1", "--mem", "1G", "--time", "00:30:00");
      assert.equal(emitted.code, 0, emitted.stderr);
      assert.match(emitted.stdout, /sbatch/);
      const script = await readFile(join(dir, "array.sh"), "utf8");
      assert.match(script, /^#SBATCH --array=0-1(%\d+)?$/m, script);

      const logDir = join(dir, "out", "logs");
      const run = await sbatchWait(dir, "array.sh");
      const report = () => slurmReport(dir as string, logDir, run.jobId);
      assert.ok(run.jobId, `sbatch printed no job id:\n${run.stdout}${run.stderr}`);
      if (run.code !== 0) assert.fail(`sbatch --wait exited ${run.code}:\n${run.stderr}\n${await report()}`);

      const aggregated = await cli(dir, "ablate", "--grid", "grid.json", "--aggregate");
      assert.equal(aggregated.code, 0, aggregated.stderr);
      const rows = JSON.parse(await readFile(join(dir, "out", "results.json"), "utf8")) as {
        strategy: string;
        state: string;
        monoMap: unknown;
      }[];
      assert.equal(rows.length, 2, `results.json: ${JSON.stringify(rows)}\n${await report()}`);
      assert.deepEqual(rows.map((r) => r.strategy).sort(), ["hybrid", "x-x"]);
      for (const row of rows) {
        assert.equal(row.state, "complete", `${JSON.stringify(row)}\n${await report()}`);
        assert.equal(typeof row.monoMap, "number", JSON.stringify(row));
        assert.ok(Number.isFinite(row.monoMap), JSON.stringify(row));
      }

      // Each array task logged to <outputRoot>/logs/slurm-<job>_<task>.log.
      const logs = (await readdir(logDir)).filter((name) => name.startsWith("slurm-")).sort();
      assert.deepEqual(logs, [`slurm-${run.jobId}_0.log`, `slurm-${run.jobId}_1.log`]);
      for (const log of logs) assert.notEqual((await readFile(join(logDir, log), "utf8")).trim(), "", `${log} is empty`);
    },
  );
});
