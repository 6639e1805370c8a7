/**
 * The notebooks in a real JupyterLab, driven in headless Chromium as a user drives it: start
 * JupyterLab (scripts/lab/server.ts) on a free port, open each notebook from the file browser,
 * Run → Run All Cells, wait until the kernel is idle, and check that no cell failed or wrote to
 * stderr, that every code cell ran and has an output, that every figure is drawn (`.main-svg`)
 * and that there are tables. Then what File → Save and Export Notebook As → HTML does (File → Save
 * Notebook, then JupyterLab's nbconvert route), and the exported page is checked offline as
 * check-reports checks the reports. First, in a notebook written for
 * the purpose (check-lab/interrupt-notebook.ts), a long cell is interrupted from the Kernel menu
 * (the kernel survives, the cell stops, no process is left, the cells after it do not run), the
 * kernel is restarted from the menu and Run All must then complete. Everything started is shut
 * down at the end, and a process left working in the session's folder is a failure.
 *
 *   node dist/scripts/check-lab.js [--notebook NAME]... [--max-seconds S] [--timeout SECONDS]
 *
 * Notebooks: 02-sampling (needs no trained runs), plus each notebook whose headless run in
 * reports/runs.json (written by run-notebooks just before, in `npm test`) took under
 * --max-seconds (default 60), so those needing the trained runs come in once the runs exist.
 * Screenshots: reports/screenshots/lab-<name>.png (JupyterLab) and lab-<name>-export.png (the
 * exported page); the exported HTML: reports/lab/<name>.html. CHROMIUM_PATH picks the browser.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import type { Browser, Page } from "playwright-core";
import { packageRoot } from "../src/paths.js";
import { presetFromEnv } from "../src/presets.js";
import { checkPage, DEFAULT_CHROMIUM, launchChromium } from "./check-reports/page-check.js";
import { registerJupyter } from "./jupyter-home.js";
import { describe, kernelsIn, listProcesses, processesUsing, descendants } from "./check-lab/processes.js";
import { INTERRUPT_NOTEBOOK, interruptNotebook, LONG_FLAG } from "./check-lab/interrupt-notebook.js";
import {
  acceptDialog, blankFigures, menu, openFromFileBrowser, readNotebook, saveNotebook, waitForFigures, waitForKernelIdle,
  waitForLab, type NotebookView,
} from "./check-lab/ui.js";
import { labPython, LabSetupError, startLab, type LabServer } from "./lab/server.js";

const USAGE = "usage: node dist/scripts/check-lab.js [--notebook NAME]... [--max-seconds S] [--timeout SECONDS]";
/** Needs no trained runs: always checked. */
const FIRST_NOTEBOOK = "02-sampling";

const values = parseOptions();
const timeoutMs = positive(values.timeout, "--timeout") * 1000;
const maxSeconds = positive(values["max-seconds"], "--max-seconds");
const root = packageRoot();
const reportsDir = join(root, "reports");
const shotsDir = join(reportsDir, "screenshots");
const exportDir = join(reportsDir, "lab");
// One level below the checkout, as notebooks/ is: the notebooks import ../dist and read ../configs.
const labDir = join(root, ".lab-check");
const notebooks = selectNotebooks();
const started = performance.now();
const failures: string[] = [];

let server: LabServer | undefined;
let browser: Browser | undefined;
// CI cancels with SIGTERM: stop what was started (the browser and the server with its kernels).
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    void (async () => {
      await browser?.close().catch(() => undefined);
      await server?.stop();
      await leftovers();
      rmSync(labDir, { recursive: true, force: true });
      process.exit(signal === "SIGTERM" ? 143 : 130);
    })();
  });
}
try {
  const preset = presetFromEnv().name;
  const python = labPython(root);
  rmSync(labDir, { recursive: true, force: true });
  mkdirSync(labDir, { recursive: true });
  for (const name of notebooks) copyFileSync(join(root, "notebooks", `${name}.ipynb`), join(labDir, `${name}.ipynb`));
  const env = { ...registerJupyter(join(root, ".jupyter"), preset), ...labSettings(join(root, ".jupyter", "lab-check")) };
  console.log(`check-lab: ${notebooks.join(", ")} in JupyterLab (preset ${preset})`);
  server = await startLab({ python, rootDir: labDir, env, output: "capture" });
  try {
    browser = await launchChromium();
  } catch (err) {
    const path = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
    throw new LabSetupError(`cannot start Chromium (${path}; set CHROMIUM_PATH, or apt-get install chromium):\n${(err as Error).message}`);
  }
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  page.on("pageerror", (err) => failures.push(`JupyterLab: uncaught ${err.name}: ${err.message}`));
  await page.goto(server.url, { timeout: 120_000 });
  await waitForLab(page, 120_000);
  console.log(`JupyterLab ${server.base} loaded after ${seconds(started)} s`);
  await interruptAndRestart(page);
  for (const name of notebooks) await checkNotebook(page, browser, name);
} catch (err) {
  await browser?.contexts()[0]?.pages()[0]?.screenshot({ path: join(shotsDir, "lab-failure.png") }).catch(() => undefined);
  failures.push(err instanceof LabSetupError ? err.message : `${(err as Error).stack ?? String(err)}`);
  if (server !== undefined) failures.push(`JupyterLab's log ends with:\n${server.log().trim().split("\n").slice(-15).join("\n")}`);
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  const left = await leftovers();
  if (left.length > 0) failures.push(`processes left behind (now killed): ${left.map(describe).join("; ")}`);
  rmSync(labDir, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.error(`check-lab: ${failures.length} problem${failures.length === 1 ? "" : "s"} (${seconds(started)} s):`);
  for (const f of failures) console.error(`  ${f.replace(/\n/g, "\n    ")}`);
  process.exitCode = 1;
} else {
  console.log(`check-lab: ${notebooks.length} notebook${notebooks.length === 1 ? "" : "s"} ok in JupyterLab, ${seconds(started)} s in all; no process left`);
}

async function checkNotebook(page: Page, browser: Browser, name: string): Promise<void> {
  const t0 = performance.now();
  const file = `${name}.ipynb`;
  const panel = await openFromFileBrowser(page, file, 180_000);
  await sessionIdle(file, 180_000);
  const t1 = performance.now();
  await menu(page, "Run", "Run All Cells");
  await waitForKernelIdle(page, panel, () => sessionState(file), timeoutMs);
  const runS = seconds(t1);
  await waitForFigures(page, panel, 30_000);
  const view = await readNotebook(panel);
  const problems = notebookProblems(view);
  for (const text of await blankFigures(panel)) problems.push(`a figure is not drawn${text.trim() === "" ? "" : ` (it shows: "${text.trim().slice(0, 120)}")`}`);
  const figure = panel.locator('div[id^="hybrid-ir-plot-"]').first();
  if ((await figure.count()) > 0) await figure.scrollIntoViewIfNeeded();
  const shot = join(shotsDir, `lab-${name}.png`);
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: shot });
  console.log(
    `${name}  Run All ${runS} s: ${view.codeCells} code cells, ${view.drawnFigures}/${view.figures} figures drawn, ` +
      `${view.tables} tables, ${view.errors.length} errors  -> ${shown(shot)}${problems.length > 0 ? "  FAILED" : ""}`,
  );
  failures.push(...problems.map((p) => `${name}: ${p}`));

  // What File → Save and Export Notebook As → HTML does: save, then open the nbconvert route.
  // The route is fetched here (with the token) rather than through the menu's new tab: headless
  // Chromium turned that tab into no download at all.
  await saveNotebook(page, file, () => lastModified(file), 60_000);
  const saved = savedOutputs(join(labDir, file));
  if (saved.withOutput < view.codeCells - view.withoutOutput.length) {
    failures.push(`${name}: the saved notebook has outputs in ${saved.withOutput} of ${saved.code} code cells, JupyterLab showed ${view.codeCells - view.withoutOutput.length}`);
  }
  const html = join(exportDir, `${name}.html`);
  mkdirSync(exportDir, { recursive: true });
  let url = `${server!.base}/nbconvert/html/${encodeURIComponent(file)}?download=true`;
  const res = await page.request.get(url, { headers: { Authorization: `token ${server!.token}` }, timeout: 120_000 });
  if (!res.ok()) throw new Error(`${name}: export ${url}: HTTP ${res.status()} ${(await res.text()).slice(0, 300)}`);
  writeFileSync(html, await res.body());
  const exportShot = join(shotsDir, `lab-${name}-export.png`);
  const check = await checkPage(browser, html, { renderTimeoutMs: 30_000, screenshot: exportShot });
  url = url.replace(/token=[^&]+/, "token=…");
  console.log(
    `${name}  exported (${url}): ${check.rendered}/${check.figures} figures rendered, ${check.tables} tables, ` +
      `${check.errors.length} errors, ${check.blocked.length} network requests  -> ${shown(exportShot)}${check.problems.length > 0 ? "  FAILED" : ""}`,
  );
  failures.push(...check.problems.map((p) => `${name} (exported HTML): ${p}`));
  if (check.figures < view.figures) failures.push(`${name} (exported HTML): ${check.figures} figures, the notebook showed ${view.figures}`);

  await menu(page, "Kernel", "Shut Down Kernel");
  console.log(`${name}  done in ${seconds(t0)} s`);
}

/** What is wrong with a notebook after Run All; empty when nothing is. */
function notebookProblems(view: NotebookView): string[] {
  const problems: string[] = [];
  if (view.codeCells === 0) problems.push("no code cells shown");
  if (view.notExecuted.length > 0) problems.push(`code cells not run: ${view.notExecuted.join(", ")}`);
  if (view.withoutOutput.length > 0) problems.push(`code cells without output: ${view.withoutOutput.join(", ")}`);
  problems.push(...view.errors.map((e) => `error output: ${e}`));
  if (view.figures > view.drawnFigures) problems.push(`${view.figures - view.drawnFigures} of ${view.figures} figures not drawn`);
  if (view.tables === 0) problems.push("no tables rendered");
  return problems;
}

/**
 * The interrupt notebook: Run All, and Kernel → Interrupt once its long cell shows progress;
 * the cell must stop (its progress no longer moves, the cell after it does not run) without
 * killing the kernel or leaving a process of the cell's behind. Then, the cell made short,
 * Kernel → Restart must replace the kernel and Run All must run every cell.
 */
async function interruptAndRestart(page: Page): Promise<void> {
  const name = "interrupt";
  const t0 = performance.now();
  writeFileSync(join(labDir, INTERRUPT_NOTEBOOK), interruptNotebook());
  writeFileSync(join(labDir, LONG_FLAG), "");
  const panel = await openFromFileBrowser(page, INTERRUPT_NOTEBOOK, 180_000);
  await sessionIdle(INTERRUPT_NOTEBOOK, 180_000);
  const [kernel] = kernelsIn(labDir);
  if (kernel === undefined) throw new Error(`${INTERRUPT_NOTEBOOK}: no tslab kernel process found after opening it`);
  await menu(page, "Run", "Run All Cells");
  const longCell = panel.locator(".jp-Notebook .jp-CodeCell").nth(1);
  await longCell.locator(".hybrid-ir-progress").waitFor({ state: "attached", timeout: 180_000 });
  await page.waitForTimeout(1000);
  const children = descendants(kernel.pid);
  await menu(page, "Kernel", "Interrupt Kernel");
  await waitForKernelIdle(page, panel, () => sessionState(INTERRUPT_NOTEBOOK), 60_000);
  const progressAt = await longCell.locator(".hybrid-ir-progress").textContent();
  await page.waitForTimeout(2000);
  const progressLater = await longCell.locator(".hybrid-ir-progress").textContent();
  const view = await readNotebook(panel);
  const problems: string[] = [];
  if (!view.errors.some((e) => e.startsWith("cell 2:") && /interrupt/i.test(e))) {
    problems.push(`the long cell does not say it was interrupted (errors: ${view.errors.join("; ") || "none"})`);
  }
  if (!view.notExecuted.includes(3)) problems.push("the cell after the interrupted one ran anyway");
  if (progressAt !== progressLater) problems.push(`the long cell's progress still moves after the interrupt (${progressAt} → ${progressLater})`);
  const alive = listProcesses().some((p) => p.pid === kernel.pid);
  if (!alive) problems.push("the kernel process died on interrupt");
  const orphans = await waitGone(() => descendants(kernel.pid), 30_000);
  if (orphans.length > 0) problems.push(`processes of the interrupted cell still running: ${orphans.map(describe).join("; ")}`);
  const shot = join(shotsDir, "lab-interrupt.png");
  mkdirSync(shotsDir, { recursive: true });
  await longCell.scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot });
  console.log(
    `${name}  Kernel → Interrupt during the long cell: stopped at "${(progressAt ?? "").trim()}", kernel pid ${kernel.pid} ` +
      `${alive ? "alive" : "gone"}, ${children.length} child processes before, ${orphans.length} after  -> ${shown(shot)}` +
      `${problems.length > 0 ? "  FAILED" : ""}`,
  );

  rmSync(join(labDir, LONG_FLAG));
  await menu(page, "Kernel", "Restart Kernel…");
  await acceptDialog(page, "Restart");
  await sessionIdle(INTERRUPT_NOTEBOOK, 120_000);
  // The session can report idle a moment before the new kernel process shows in /proc.
  await waitGone(() => (kernelsIn(labDir).some((k) => k.pid !== kernel.pid) ? [] : [kernel]), 60_000);
  const kernels = kernelsIn(labDir);
  if (kernels.some((k) => k.pid === kernel.pid)) problems.push(`the restart left the old kernel (pid ${kernel.pid}) running`);
  if (kernels.length !== 1) problems.push(`${kernels.length} kernels run after the restart, expected 1`);
  await menu(page, "Run", "Run All Cells");
  await waitForKernelIdle(page, panel, () => sessionState(INTERRUPT_NOTEBOOK), 180_000);
  const again = await readNotebook(panel);
  if (again.notExecuted.length > 0) problems.push(`after the restart, Run All left cells ${again.notExecuted.join(", ")} not run`);
  problems.push(...again.errors.map((e) => `after the restart: error output: ${e}`));
  console.log(
    `${name}  Kernel → Restart: kernel pid ${kernels.map((k) => k.pid).join(", ") || "none"}; Run All: ` +
      `${again.codeCells - again.notExecuted.length}/${again.codeCells} cells ran, ${again.errors.length} errors; ` +
      `${seconds(t0)} s${problems.length > 0 ? "  FAILED" : ""}`,
  );
  failures.push(...problems.map((p) => `${INTERRUPT_NOTEBOOK}: ${p}`));
  await menu(page, "Kernel", "Shut Down Kernel");
}

/** The execution state of the kernel of `path`'s session, as the server reports it. */
async function sessionState(path: string): Promise<string> {
  const res = await fetch(`${server!.base}/api/sessions`, { headers: { Authorization: `token ${server!.token}` } });
  const sessions = (await res.json()) as { path: string; kernel: { execution_state?: string } | null }[];
  const session = sessions.find((s) => s.path === path);
  return session === undefined ? "no session" : (session.kernel?.execution_state ?? "no kernel");
}

/** The file's last_modified, as the server's contents API reports it. */
async function lastModified(path: string): Promise<string> {
  const res = await fetch(`${server!.base}/api/contents/${encodeURIComponent(path)}?content=0`, { headers: { Authorization: `token ${server!.token}` } });
  if (!res.ok) throw new Error(`${path}: contents API: HTTP ${res.status}`);
  return ((await res.json()) as { last_modified: string }).last_modified;
}

/** How many code cells the notebook file on disk has, and how many of them hold outputs. */
function savedOutputs(path: string): { code: number; withOutput: number } {
  const nb = JSON.parse(readFileSync(path, "utf8")) as { cells: { cell_type: string; outputs?: unknown[] }[] };
  const code = nb.cells.filter((c) => c.cell_type === "code");
  return { code: code.length, withOutput: code.filter((c) => (c.outputs?.length ?? 0) > 0).length };
}

/** Waits until the server's session for `path` has a kernel that is idle (started and answering). */
async function sessionIdle(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let state = "no session";
  while (Date.now() < deadline) {
    state = await sessionState(path);
    if (state === "idle") return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${path}: its kernel was not ready after ${timeoutMs / 1000} s (${state})`);
}

/** Polls `find` until it returns nothing or the time is up; returns the last answer. */
async function waitGone<T>(find: () => T[], timeoutMs: number): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = find();
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Processes still working in the session's folder after shutdown; killed, and returned. */
async function leftovers() {
  const left = await waitGone(() => processesUsing(labDir), 15_000);
  for (const p of left) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // Gone meanwhile.
    }
  }
  return left;
}

/**
 * Fresh JupyterLab user settings for the test: no news or update checks (no network), and
 * nothing carried over from the user's own `npm run lab` settings.
 */
function labSettings(dir: string): NodeJS.ProcessEnv {
  rmSync(dir, { recursive: true, force: true });
  const settings = join(dir, "settings");
  const notification = join(settings, "@jupyterlab", "apputils-extension");
  mkdirSync(notification, { recursive: true });
  writeFileSync(join(notification, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false", checkForUpdates: false }));
  mkdirSync(join(dir, "workspaces"), { recursive: true });
  return { JUPYTERLAB_SETTINGS_DIR: settings, JUPYTERLAB_WORKSPACES_DIR: join(dir, "workspaces") };
}

/** --notebook, else 02-sampling and every notebook whose last headless run took under --max-seconds. */
function selectNotebooks(): string[] {
  // Every notebook in notebooks/ (a list written out here once missed 06-alignment).
  const all = readdirSync(join(root, "notebooks"))
    .filter((f) => f.endsWith(".ipynb"))
    .map((f) => f.replace(/\.ipynb$/, ""))
    .sort();
  if (values.notebook !== undefined) {
    const unknown = values.notebook.filter((n) => !existsSync(join(root, "notebooks", `${n.replace(/\.ipynb$/, "")}.ipynb`)));
    if (unknown.length > 0) fail(`--notebook ${unknown.join(", ")}: no such notebook in notebooks/`);
    return values.notebook.map((n) => n.replace(/\.ipynb$/, ""));
  }
  let runs: Record<string, { ok: boolean; seconds: number }> = {};
  try {
    runs = JSON.parse(readFileSync(join(reportsDir, "runs.json"), "utf8")) as typeof runs;
  } catch {
    console.log(`check-lab: no ${shown(join(reportsDir, "runs.json"))} (run-notebooks writes it): ${FIRST_NOTEBOOK} only`);
  }
  return all.filter((n) => n === FIRST_NOTEBOOK || (runs[n]?.ok === true && runs[n].seconds < maxSeconds));
}

function parseOptions(): { notebook?: string[]; "max-seconds"?: string; timeout?: string } {
  try {
    return parseArgs({
      options: {
        notebook: { type: "string", multiple: true },
        "max-seconds": { type: "string", default: "60" },
        timeout: { type: "string", default: "600" },
      },
    }).values;
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag} ${value}: expected a positive number of seconds\n${USAGE}`);
  return n;
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
