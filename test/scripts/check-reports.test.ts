/**
 * scripts/check-reports.ts against hand-made report folders: pages built with the real
 * PlotlyEmbedder (plotly.js inlined from node_modules, as in the notebooks), opened in the
 * real headless Chromium. One folder where everything is right, one with a page per kind of
 * failure. Skipped where Chromium is not installed (.ci/run installs it).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PlotlyEmbedder, heatmapFigure, tableHtml } from "../../src/report/display.js";
import { indexProblems } from "../../scripts/check-reports/index-check.js";
import { DEFAULT_CHROMIUM } from "../../scripts/check-reports/page-check.js";

const SCRIPT = fileURLToPath(new URL("../../scripts/check-reports.js", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
const PRESET = "small";
const COMMIT = "abc1234";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function checkReports(dir: string, ...extra: string[]): Promise<Run> {
  const args = [SCRIPT, "--reports", join(dir, "reports"), "--notebooks", join(dir, "notebooks")];
  args.push("--preset", PRESET, "--commit", COMMIT, "--render-timeout", "3", ...extra);
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A notebook report's shape: a page whose body is the cell outputs. */
function page(title: string, ...outputs: string[]): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n${outputs.join("\n")}\n</body></html>\n`;
}

/** Two figures and a table, with plotly.js inlined in the first figure as in a notebook. */
function goodOutputs(): string[] {
  const plots = new PlotlyEmbedder();
  return [
    plots.html(heatmapFigure([[0.5, 0.25], [0.125, 0.75]], ["en", "de"], ["en", "de"], "mAP")),
    plots.html({ data: [{ type: "bar", x: ["en", "de"], y: [1190, 1190] }] }),
    tableHtml([{ lang: "en", questions: 1190 }]),
  ];
}

/** An index like run-notebooks writes: a link and a preset/commit row per report. */
function index(rows: readonly { name: string; link: boolean; commit: string }[]): string {
  const trs = rows.map(
    (r) => `<tr><td>${r.link ? `<a href="${r.name}.html">${r.name}</a>` : r.name}</td><td>ok</td><td>${PRESET}</td><td>${r.commit}</td></tr>`,
  );
  return page(
    "hybrid-ir reports",
    `<p>Last run: preset <b>${PRESET}</b>, commit <code>${COMMIT}</code>.</p>`,
    `<table><thead><tr><th>notebook</th><th>status</th><th>preset</th><th>commit</th></tr></thead><tbody>${trs.join("")}</tbody></table>`,
  );
}

async function writeFolder(dir: string, notebooks: readonly string[], reports: Record<string, string>): Promise<void> {
  await mkdir(join(dir, "notebooks"), { recursive: true });
  await mkdir(join(dir, "reports"), { recursive: true });
  for (const name of notebooks) await writeFile(join(dir, "notebooks", `${name}.ipynb`), "{}");
  for (const [file, html] of Object.entries(reports)) await writeFile(join(dir, "reports", file), html);
}

/** Width and height from a PNG's IHDR chunk. */
async function pngSize(path: string): Promise<{ width: number; height: number }> {
  const bytes = await readFile(path);
  assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${path} is not a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("check-reports", { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "hybrid-ir-check-reports-"));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  test("a good report and index pass, with one screenshot per page", async () => {
    const dir = join(work, "good");
    await writeFolder(dir, ["01-good"], {
      "01-good.html": page("01-good", ...goodOutputs()),
      "index.html": index([{ name: "01-good", link: true, commit: `${COMMIT}-dirty` }]),
    });
    const out = join(dir, "shots");
    const run = await checkReports(dir, "--out", out);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^01-good\.html {2}2\/2 figures rendered, 1 table, 0 errors, 0 network requests {2}-> .*01-good\.png$/m);
    assert.match(run.stdout, /^index\.html .*1\/1 reports linked/m);
    // Full page: taller than the two 450 px figures, not just the 900 px viewport.
    const shot = await pngSize(join(out, "01-good.png"));
    assert.equal(shot.width, 1280);
    assert.ok(shot.height > 2 * 450 + 100, `screenshot is ${shot.height} px tall`);
    assert.ok(existsSync(join(out, "index.png")));
  });

  test("each broken page and the broken index are named with their problem", async () => {
    const dir = join(work, "bad");
    // A figure output from a page whose first figure (the one carrying plotly.js) was dropped.
    const orphan = new PlotlyEmbedder(undefined, "hybrid-ir-plot-orphan");
    orphan.html({ data: [] });
    const notebooks = ["01-good", "02-js-error", "03-no-render", "04-remote", "05-not-run"];
    await writeFolder(dir, notebooks, {
      "01-good.html": page("01-good", ...goodOutputs()),
      "02-js-error.html": page(
        "02-js-error",
        ...goodOutputs(),
        `<script>console.error("cell output broke");</script>`,
        `<script>null.x;</script>`,
      ),
      "03-no-render.html": page("03-no-render", orphan.html({ data: [{ type: "bar", x: [1], y: [1] }] })),
      "04-remote.html": page("04-remote", `<img src="https://example.invalid/logo.png" alt="">`),
      "index.html": index([
        { name: "01-good", link: true, commit: COMMIT },
        { name: "02-js-error", link: true, commit: "0000000" },
        { name: "03-no-render", link: true, commit: COMMIT },
        { name: "04-remote", link: false, commit: COMMIT },
        { name: "05-not-run", link: true, commit: COMMIT },
      ]),
    });
    const run = await checkReports(dir);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    const problems = run.stderr.split("\n").filter((line) => line.startsWith("  ")).map((line) => line.trim());
    const expected = [
      /^05-not-run: no report \(.*05-not-run\.html is missing\)$/,
      /^index\.html: row 02-js-error does not show commit abc1234 /,
      /^index\.html: does not link 04-remote\.html$/,
      /^index\.html: links 05-not-run\.html, which does not exist$/,
      /^02-js-error\.html: console error: cell output broke$/,
      /^02-js-error\.html: uncaught TypeError: Cannot read properties of null/,
      /^03-no-render\.html: figure #hybrid-ir-plot-orphan-2 did not render within 3 s \(it shows: "plotly\.js is not loaded/,
      /^04-remote\.html: network request \(blocked; the report must work offline\): https:\/\/example\.invalid\/logo\.png$/,
    ];
    for (const pattern of expected) {
      assert.ok(problems.some((p) => pattern.test(p)), `no problem matching ${pattern} in:\n${run.stderr}`);
    }
    assert.equal(problems.length, expected.length, run.stderr);
    // The JS errors do not stop the figures before them; the screenshots exist even for failures.
    assert.match(run.stdout, /^02-js-error\.html {2}2\/2 figures rendered, 1 table, 2 errors, .*FAILED$/m);
    assert.match(run.stdout, /^03-no-render\.html {2}0\/1 figures rendered, /m);
    assert.match(run.stdout, /^01-good\.html .*\.png$/m);
    for (const name of ["01-good", "02-js-error", "03-no-render", "04-remote", "index"]) {
      assert.ok(existsSync(join(dir, "reports", "screenshots", `${name}.png`)), `no screenshot of ${name}`);
    }
  });

  test("--only: notebooks left out need no report; an unknown name is a usage error", async () => {
    const dir = join(work, "only");
    await writeFolder(dir, ["01-left-out", "02-good"], {
      "02-good.html": page("02-good", ...goodOutputs()),
      "index.html": index([{ name: "02-good", link: true, commit: COMMIT }]),
    });
    const all = await checkReports(dir);
    assert.equal(all.code, 1, `${all.stdout}\n${all.stderr}`);
    assert.match(all.stderr, /01-left-out: no report/);
    const only = await checkReports(dir, "--only", "02-good");
    assert.equal(only.code, 0, `${only.stdout}\n${only.stderr}`);
    assert.match(only.stdout, /^check-reports: 2 pages ok/m);
    const unknown = await checkReports(dir, "--only", "03-missing");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^--only 03-missing: no such notebook in /m);
  });

  test("a folder without an index fails, naming it", async () => {
    const dir = join(work, "no-index");
    await writeFolder(dir, [], {});
    const run = await checkReports(dir);
    assert.equal(run.code, 1, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stderr, /^ {2}index\.html: missing /m);
  });
});

describe("indexProblems", () => {
  const expected = { notebooks: ["01-data"], preset: "small", commit: "a5193ad", exists: () => true };

  test("accepts the commit with run-notebooks' -dirty suffix, not another commit or preset", () => {
    const row = (preset: string, commit: string) => ({ links: ["01-data.html"], rows: [["01-data", "ok", preset, commit]] });
    assert.deepEqual(indexProblems(row("small", "a5193ad-dirty"), expected), []);
    assert.deepEqual(indexProblems(row("small", "a5193ad"), expected), []);
    assert.match(indexProblems(row("small", "a5193ad0"), expected).join("\n"), /does not show commit a5193ad/);
    assert.match(indexProblems(row("full", "a5193ad"), expected).join("\n"), /does not show preset small/);
  });

  test("in-page anchors and external links are not files to check; percent-encoded links match", () => {
    const content = { links: ["#top", "https://arxiv.org/abs/2408.10536", "01%2Ddata.html"], rows: [["01-data", "small", "a5193ad"]] };
    assert.deepEqual(indexProblems(content, { ...expected, exists: (href) => href === "01-data.html" }), []);
  });
});
