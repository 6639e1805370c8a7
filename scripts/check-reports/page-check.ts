/**
 * One HTML page opened from disk in headless Chromium, the way a reader opens a report, with
 * the network cut off: what loaded, what failed, and a full-page screenshot.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, errors, type Browser, type Page } from "playwright-core";

/** Debian's package; CI installs it (.ci/run). */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

// No background fetches of Chromium's own (updates, sync): the only requests left are the page's.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * What src/report/display.ts emits for a figure (a div plotly.js draws into), plus the class
 * plotly's own HTML export uses. A drawn figure holds a `.main-svg`.
 */
export const FIGURE_SELECTOR = 'div[id^="hybrid-ir-plot-"], div.plotly-graph-div';
/** display.ts's `tableHtml`, and pandas-style tables. */
export const TABLE_SELECTOR = "table.hybrid-ir-table, table.dataframe";

// A 5 MB report (plotly.js inlined) loads in ~2 s; the margin is for a busy 2-core CI runner.
const LOAD_TIMEOUT_MS = 120_000;

/** What a page-specific inspection adds to the generic check. */
export interface Inspection {
  readonly problems: readonly string[];
  /** Appended to the page's summary line. */
  readonly summary: string;
}

export interface PageCheckOptions {
  /** How long the figures may take to render once the page has loaded. */
  readonly renderTimeoutMs: number;
  /** Where the full-page PNG goes (folders are created). */
  readonly screenshot: string;
  /** Further checks on the loaded page (the index's links, say). */
  readonly inspect?: (page: Page) => Promise<Inspection>;
}

export interface PageCheck {
  /** Figure containers found, and how many hold a drawn plot. */
  readonly figures: number;
  readonly rendered: number;
  readonly tables: number;
  /** Console errors and uncaught exceptions, in order. */
  readonly errors: readonly string[];
  /** Requests to anything but file:, data: and blob: URLs (all blocked). */
  readonly blocked: readonly string[];
  /** Every reason the page fails, one sentence each; empty for a good page. */
  readonly problems: readonly string[];
  /** The inspection's summary, "" without one. */
  readonly summary: string;
}

/**
 * Launches the browser the checks share: `CHROMIUM_PATH`, else Debian's /usr/bin/chromium.
 *
 * @example
 * const browser = await launchChromium();
 * try { console.log(await checkPage(browser, "reports/01-data.html", opts)); } finally { await browser.close(); }
 */
export function launchChromium(executablePath = process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM): Promise<Browser> {
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS });
}

/** Loads `file`, waits for its figures, screenshots it, and reports what went wrong. */
export async function checkPage(browser: Browser, file: string, opts: PageCheckOptions): Promise<PageCheck> {
  // A fresh context per page: no cache or storage carried from one report to the next.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const blocked: string[] = [];
    const errors: string[] = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) return route.continue();
      blocked.push(url);
      return route.abort("blockedbyclient");
    });
    // WebSockets bypass `route`; none is expected, so any is counted, never connected.
    await context.routeWebSocket(/.*/, (ws) => {
      blocked.push(ws.url());
      return ws.close();
    });
    const page = await context.newPage();
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      // A blocked request's "Failed to load resource" is already reported as blocked.
      if (blocked.includes(msg.location().url)) return;
      errors.push(`console error: ${msg.text()}`);
    });
    page.on("pageerror", (err) => errors.push(`uncaught ${err.name}: ${err.message}`));

    const problems: string[] = [];
    let loaded = true;
    try {
      await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: LOAD_TIMEOUT_MS });
    } catch (err) {
      loaded = false;
      problems.push(`did not load: ${firstLine(err)}`);
    }
    let figures = 0;
    let rendered = 0;
    let tables = 0;
    let summary = "";
    if (loaded) {
      problems.push(...(await waitForFigures(page, opts.renderTimeoutMs)));
      figures = await page.locator(FIGURE_SELECTOR).count();
      rendered = await page.locator(FIGURE_SELECTOR).filter({ has: page.locator(".main-svg") }).count();
      tables = await page.locator(TABLE_SELECTOR).count();
      // Two frames, for errors from plotly's asynchronous drawing after the first SVG exists.
      await page.evaluate("new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))");
      if (opts.inspect !== undefined) {
        const inspection = await opts.inspect(page);
        problems.push(...inspection.problems);
        summary = inspection.summary;
      }
    }
    try {
      mkdirSync(dirname(opts.screenshot), { recursive: true });
      await page.screenshot({ path: opts.screenshot, fullPage: true, animations: "disabled" });
    } catch (err) {
      problems.push(`no screenshot: ${firstLine(err)}`);
    }
    problems.push(...errors);
    problems.push(...blocked.map((url) => `network request (blocked; the report must work offline): ${url}`));
    return { figures, rendered, tables, errors, blocked, problems, summary };
  } finally {
    await context.close();
  }
}

/** Waits until every figure holds a drawn plot; on timeout, names each one that does not. */
async function waitForFigures(page: Page, timeoutMs: number): Promise<string[]> {
  // A string, not a function: this project compiles without the DOM library.
  const allDrawn = `Array.from(document.querySelectorAll(${JSON.stringify(FIGURE_SELECTOR)}))
    .every((el) => el.querySelector(".main-svg") !== null)`;
  try {
    await page.waitForFunction(allDrawn, undefined, { timeout: timeoutMs });
    return [];
  } catch (err) {
    if (!(err instanceof errors.TimeoutError)) throw err;
  }
  const problems: string[] = [];
  const blank = page.locator(FIGURE_SELECTOR).filter({ hasNot: page.locator(".main-svg") });
  for (const figure of await blank.all()) {
    const id = (await figure.getAttribute("id")) ?? "(no id)";
    // display.ts writes why into the box when it can ("plotly.js is not loaded…").
    const text = (await figure.innerText()).trim().replace(/\s+/g, " ").slice(0, 200);
    const seconds = timeoutMs / 1000;
    problems.push(`figure #${id} did not render within ${seconds} s${text === "" ? " (empty)" : ` (it shows: "${text}")`}`);
  }
  return problems;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
