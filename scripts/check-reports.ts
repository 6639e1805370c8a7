/**
 * Opens the reports `npm run notebooks` wrote in headless Chromium, offline, as a reader would:
 * every notebook must have a report that loads without console errors, uncaught exceptions or
 * network requests and renders all its figures, and reports/index.html must link every report
 * and show the preset and commit each was made with. Saves a full-page screenshot of each page
 * and prints one line per page; exits 1 naming each page and problem.
 *
 *   node dist/scripts/check-reports.js [--reports DIR] [--out DIR] [--notebooks DIR]
 *       [--render-timeout SECONDS] [--preset NAME] [--commit SHA] [--only NAME]...
 *
 * --only limits the notebooks that must have a report (run-notebooks --only made only those).
 * Defaults: reports/, DIR/screenshots, notebooks/, 30 s, HYBRID_IR_PRESET's preset (as
 * run-notebooks uses it) and this checkout's short commit. CHROMIUM_PATH picks the browser
 * (default /usr/bin/chromium, Debian's).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Browser } from "playwright-core";
import { packageRoot } from "../src/paths.js";
import { presetFromEnv } from "../src/presets.js";
import { inspectIndex } from "./check-reports/index-check.js";
import { checkPage, DEFAULT_CHROMIUM, launchChromium, type PageCheck, type PageCheckOptions } from "./check-reports/page-check.js";

const USAGE =
  "usage: node dist/scripts/check-reports.js [--reports DIR] [--out DIR] [--notebooks DIR] " +
  "[--render-timeout SECONDS] [--preset NAME] [--commit SHA] [--only NAME]...";

const values = parseOptions();
const root = packageRoot();
const reportsDir = resolve(values.reports ?? join(root, "reports"));
const outDir = resolve(values.out ?? join(reportsDir, "screenshots"));
const notebooksDir = resolve(values.notebooks ?? join(root, "notebooks"));
const renderTimeoutS = Number(values["render-timeout"]);
if (!Number.isFinite(renderTimeoutS) || renderTimeoutS <= 0) {
  fail(`--render-timeout ${values["render-timeout"]}: expected a positive number of seconds\n${USAGE}`);
}
let preset: string;
try {
  preset = values.preset ?? presetFromEnv().name;
} catch (err) {
  fail((err as Error).message);
}
const commit = values.commit ?? shortCommit(root);

const allNotebooks = fileNames(notebooksDir, ".ipynb", "notebooks");
const only = (values.only ?? []).map((n) => basename(n, ".ipynb"));
const unknown = only.filter((n) => !allNotebooks.includes(n));
if (unknown.length > 0) fail(`--only ${unknown.join(", ")}: no such notebook in ${shown(notebooksDir)}\n${USAGE}`);
const notebooks = only.length === 0 ? allNotebooks : allNotebooks.filter((n) => only.includes(n));
const reports = fileNames(reportsDir, ".html", "reports").filter((name) => name !== "index");
const failures: string[] = notebooks
  .filter((name) => !reports.includes(name))
  .map((name) => `${name}: no report (${shown(join(reportsDir, `${name}.html`))} is missing)`);

let browser: Browser;
try {
  browser = await launchChromium();
} catch (err) {
  const path = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
  fail(`cannot start Chromium (${path}; set CHROMIUM_PATH, or apt-get install chromium):\n${(err as Error).message}`);
}
try {
  const index = join(reportsDir, "index.html");
  if (existsSync(index)) {
    const inspect = inspectIndex({
      notebooks,
      preset,
      commit,
      exists: (href) => existsSync(resolve(reportsDir, href)),
    });
    await check("index.html", inspect);
  } else {
    failures.push(`index.html: missing (${shown(index)})`);
  }
  for (const name of reports) await check(`${name}.html`);
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`check-reports: ${failures.length} problem${failures.length === 1 ? "" : "s"}:`);
  for (const f of failures) console.error(`  ${f}`);
  process.exitCode = 1;
} else {
  console.log(`check-reports: ${reports.length + 1} pages ok (screenshots in ${shown(outDir)})`);
}

async function check(file: string, inspect?: PageCheckOptions["inspect"]): Promise<void> {
  const screenshot = join(outDir, `${basename(file, ".html")}.png`);
  const result = await checkPage(browser, join(reportsDir, file), {
    renderTimeoutMs: renderTimeoutS * 1000,
    screenshot,
    inspect,
  });
  console.log(`${file}  ${summary(result)}  -> ${shown(screenshot)}${result.problems.length > 0 ? "  FAILED" : ""}`);
  failures.push(...result.problems.map((p) => `${file}: ${p}`));
}

function summary(r: PageCheck): string {
  const parts = [
    `${r.rendered}/${r.figures} figures rendered`,
    `${r.tables} table${r.tables === 1 ? "" : "s"}`,
    `${r.errors.length} error${r.errors.length === 1 ? "" : "s"}`,
    `${r.blocked.length} network request${r.blocked.length === 1 ? "" : "s"}`,
  ];
  if (r.summary !== "") parts.push(r.summary);
  return parts.join(", ");
}

/** Names (without `ext`) of the files in `dir` ending in `ext`, sorted. */
function fileNames(dir: string, ext: string, what: string): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    fail(`no ${what} folder at ${shown(dir)}${what === "reports" ? " (run `npm run notebooks` first)" : ""}`);
  }
  return files
    .filter((f) => f.endsWith(ext))
    .map((f) => basename(f, ext))
    .sort();
}

/** `git rev-parse --short HEAD`, as run-notebooks records it (minus "-dirty"); "unknown" outside git. */
function shortCommit(cwd: string): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd, encoding: "utf8" });
  return head.status === 0 ? head.stdout.trim() : "unknown";
}

function parseOptions(): {
  reports?: string;
  out?: string;
  notebooks?: string;
  "render-timeout"?: string;
  preset?: string;
  commit?: string;
  only?: string[];
} {
  try {
    return parseArgs({
      options: {
        reports: { type: "string" },
        out: { type: "string" },
        notebooks: { type: "string" },
        "render-timeout": { type: "string", default: "30" },
        preset: { type: "string" },
        commit: { type: "string" },
        only: { type: "string", multiple: true },
      },
    }).values;
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

/** Paths relative to the working directory when inside it: shorter lines. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

/** A usage or set-up error: the message is the whole story, a stack trace would only hide it. */
function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
