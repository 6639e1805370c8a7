/**
 * Executes notebooks/*.ipynb headless, in name order, and writes reports/<name>.html (offline,
 * self-contained) plus reports/index.html linking them.
 *
 *   node dist/scripts/run-notebooks.js [--only NAME]... [--timeout SECONDS] [--reports DIR]
 *
 * --reports writes the reports and their index into DIR instead of reports/ (CI renders the
 * pretrained preset's notebooks into reports/pretrained beside the default preset's).
 *
 * The tslab kernel and an nbconvert template are registered in the git-ignored .jupyter/ of
 * this checkout, and Jupyter is pointed there through its environment variables, so the
 * user's own Jupyter set-up is neither read nor changed. HYBRID_IR_PRESET (default small)
 * passes through to the kernels; HYBRID_IR_PYTHON picks the Python with nbconvert
 * (default /usr/bin/python3, Debian's, where apt installs nbconvert).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/paths.js";
import { presetFromEnv, readPresetGrid } from "../src/presets.js";
import { loadGridReport, originLine } from "../src/report/grid-report.js";
import { escapeHtml as esc } from "../src/report/display.js";
import { writeFileAtomic } from "../src/util/atomic-write.js";
import { CELL_ERROR_BEGIN, CELL_ERROR_END, KERNEL_NAME, registerJupyter, TEMPLATE_NAME } from "./jupyter-home.js";
import { jupyterPython } from "./jupyter-python.js";

interface NotebookResult {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly preset: string;
  readonly commit: string;
  readonly finishedAt: string;
}

const values = parseOptions();
const timeoutS = Number(values.timeout);
if (!Number.isFinite(timeoutS) || timeoutS <= 0) {
  fail(`--timeout ${values.timeout}: expected a positive number of seconds`);
}
const preset = presetFromEnv().name;
const root = packageRoot();
const notebooksDir = join(root, "notebooks");
const reportsDir = resolve(values.reports ?? join(root, "reports"));
let python: string;
try {
  python = jupyterPython(join(root, ".jupyter"));
} catch (err) {
  fail((err as Error).message);
}
const env = registerJupyter(join(root, ".jupyter"), preset);
const names = selectNotebooks(values.only ?? []);
const commit = gitCommit(root);
try {
  mkdirSync(reportsDir, { recursive: true });
} catch (err) {
  fail(`--reports ${reportsDir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
}
console.log(`notebooks: ${names.length} (preset ${preset}, commit ${commit}, timeout ${timeoutS} s each)`);

let current: ReturnType<typeof spawn> | undefined;
let stopping = false;
// CI cancels with SIGTERM; SIGINT is the signal nbconvert answers by shutting its kernel down
// (on SIGTERM it dies and leaves the kernel running).
process.on("SIGTERM", () => {
  stopping = true;
  current?.kill("SIGINT");
});

const results: NotebookResult[] = [];
for (const name of names) {
  if (stopping) break;
  const result = await runNotebook(name);
  results.push(result);
}
await writeIndex(results);
const failed = results.filter((r) => !r.ok).map((r) => r.name);
if (stopping) {
  console.error("stopped by SIGTERM");
  process.exitCode = 143;
} else if (failed.length > 0) {
  console.error(`failed: ${failed.join(", ")}`);
  process.exitCode = 1;
}

function parseOptions(): { only?: string[]; timeout?: string; reports?: string } {
  try {
    return parseArgs({
      options: {
        only: { type: "string", multiple: true },
        timeout: { type: "string", default: "1800" },
        reports: { type: "string" },
      },
    }).values;
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\nusage: run-notebooks [--only NAME]... [--timeout SECONDS] [--reports DIR]`);
  }
}

async function runNotebook(name: string): Promise<NotebookResult> {
  const started = performance.now();
  const out = join(reportsDir, `${name}.html`);
  const run = await nbconvert(`${name}.ipynb`);
  let error = run.error;
  if (error === undefined) {
    const remote = remoteResources(run.html);
    if (remote.length > 0) error = `the HTML loads resources from the network:\n  ${remote.join("\n  ")}`;
  }
  const seconds = (performance.now() - started) / 1000;
  const result = { name, ok: error === undefined, seconds, preset, commit, finishedAt: new Date().toISOString() };
  if (error === undefined) {
    await writeFileAtomic(out, run.html);
    const mb = (Buffer.byteLength(run.html) / 1e6).toFixed(1);
    console.log(`${name}  ok  ${seconds.toFixed(1)} s  -> ${relative(process.cwd(), out) || out} (${mb} MB)`);
  } else {
    // A report from an earlier run beside a failed one would read as current.
    rmSync(out, { force: true });
    console.error(`${name}  FAILED  ${seconds.toFixed(1)} s\n${indent(error)}`);
  }
  return result;
}

function nbconvert(file: string): Promise<{ html: string; error?: string }> {
  const args = [
    "-m", "nbconvert", file,
    "--to", "html", "--stdout", "--execute",
    `--template=${TEMPLATE_NAME}`,
    "--HTMLExporter.embed_images=True",
    `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
    // The cell limit equals the notebook limit: a hung cell is interrupted by nbclient itself,
    // which shuts the kernel down cleanly; the timer below is the backstop for the total.
    `--ExecutePreprocessor.timeout=${timeoutS}`,
    "--ExecutePreprocessor.startup_timeout=120",
    "--log-level=WARN",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { cwd: notebooksDir, env, stdio: ["ignore", "pipe", "pipe"] });
    current = child;
    const stdout: Buffer[] = [];
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (b: Buffer) => stdout.push(b));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    // The grace lets a cell timeout, which nbclient handles more cleanly, come first.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGINT");
      setTimeout(() => child.kill("SIGKILL"), 30_000).unref();
    }, (timeoutS + 30) * 1000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      if (code === 0) return resolve({ html: Buffer.concat(stdout).toString("utf8") });
      const error = timedOut
        ? `the notebook ran past ${timeoutS} s (+30 s grace) and was interrupted`
        : `nbconvert exited with ${code ?? signal}\n${nbconvertError(stderr)}`;
      resolve({ html: "", error });
    });
  });
}

/**
 * The failing cell and its error, without the Python traceback leading to them. tslab puts
 * the error on the cell's stderr, not in the error reply nbconvert quotes (which then ends in
 * an empty "<Error>:"), so the hook in the generated config prints that stderr for us.
 */
function nbconvertError(stderr: string): string {
  const at = stderr.search(/^[\w.]*(CellExecutionError|CellTimeoutError|DeadKernelError|NoSuchKernel)\b/m);
  const reported = at >= 0 ? stderr.slice(at).trim() : stderr.trim().split("\n").slice(-40).join("\n");
  const hook = new RegExp(`^${CELL_ERROR_BEGIN}\n([\\s\\S]*?)^${CELL_ERROR_END}$`, "m").exec(stderr);
  if (hook === null) return reported;
  return `${reported.replace(/\n\s*<Error>:\s*$/, "")}\n${hook[1].trim()}`;
}

/** Tags that would fetch from the network (the report must work offline). */
function remoteResources(html: string): string[] {
  const tag = /<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\/[^>]*>/gi;
  return [...new Set(html.match(tag) ?? [])];
}

function selectNotebooks(only: readonly string[]): string[] {
  const all = readdirSync(notebooksDir)
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => basename(f, ".ipynb"))
    .sort();
  if (only.length === 0) return all;
  const wanted = only.map((n) => basename(n, ".ipynb"));
  const unknown = wanted.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    fail(`--only ${unknown.join(", ")}: no such notebook (notebooks: ${all.join(", ")})`);
  }
  return all.filter((n) => wanted.includes(n));
}

/** Short commit, with "-dirty" when tracked files differ from it; "unknown" outside git. */
function gitCommit(cwd: string): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd, encoding: "utf8" });
  return head.stdout.trim() + (status.stdout.trim() === "" ? "" : "-dirty");
}

/**
 * reports/index.html lists every notebook: this run's results, merged into reports/runs.json
 * so that a `--only` run keeps the other reports (each with its own preset and commit).
 */
async function writeIndex(latest: readonly NotebookResult[]): Promise<void> {
  const manifestPath = join(reportsDir, "runs.json");
  let byName: Record<string, NotebookResult> = {};
  try {
    byName = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, NotebookResult>;
  } catch {
    // First run, or a manifest from an older layout: start again.
  }
  for (const r of latest) byName[r.name] = r;
  const notebooks = selectNotebooks([]);
  for (const name of Object.keys(byName)) if (!notebooks.includes(name)) delete byName[name];
  await writeFileAtomic(manifestPath, JSON.stringify(byName, null, 2) + "\n");

  const rows = notebooks.map((name) => {
    const r = byName[name];
    const link = r?.ok && existsSync(join(reportsDir, `${name}.html`)) ? `<a href="${esc(name)}.html">${esc(name)}</a>` : esc(name);
    const status = r === undefined ? "not run" : r.ok ? "ok" : "failed";
    const cells = [link, status, r ? `${r.seconds.toFixed(1)} s` : "", r?.preset ?? "", r?.commit ?? "", r?.finishedAt ?? ""];
    return `<tr>${cells.map((c) => `<td>${c}</td>`).join("")}</tr>`;
  });
  // Which of the grid's runs the reports show were trained here and which came shipped (results/<preset>).
  const origin = await readPresetGrid(presetFromEnv())
    .then(loadGridReport)
    .then(originLine, (err: Error) => `no grid runs to report (${err.message})`);
  const html = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>hybrid-ir reports</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: left; }
</style>
</head>
<body>
<h1>hybrid-ir reports</h1>
<p>Last run: preset <b>${esc(preset)}</b>, commit <code>${esc(commit)}</code>, ${esc(new Date().toISOString())}.</p>
<p>Grid runs in the reports: ${esc(origin)}.</p>
<table>
<thead><tr><th>notebook</th><th>status</th><th>time</th><th>preset</th><th>commit</th><th>finished</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>
`;
  await writeFileAtomic(join(reportsDir, "index.html"), html);
}

/** A usage or set-up error: the message is the whole story, a stack trace would only hide it. */
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function indent(text: string): string {
  return text.replace(/^/gm, "  ");
}
