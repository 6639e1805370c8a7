/**
 * JupyterLab driven as a user drives it: the file browser, the menu bar, the kernel's status.
 * Selectors are JupyterLab 4's (the version pinned in python/requirements/jupyterlab.txt).
 */
import type { Locator, Page } from "playwright-core";

/** What a notebook shows once its cells have run. */
export interface NotebookView {
  readonly codeCells: number;
  /** 1-based positions among the code cells. */
  readonly withoutOutput: readonly number[];
  readonly notExecuted: readonly number[];
  /** Error tracebacks and stderr text, with the cell they are in. */
  readonly errors: readonly string[];
  readonly figures: number;
  readonly drawnFigures: number;
  readonly tables: number;
}

/** Same selectors as the report check: a hybrid-ir figure, and a hybrid-ir table. */
const FIGURE = 'div[id^="hybrid-ir-plot-"]';
const TABLE = "table.hybrid-ir-table";

/** Waits for JupyterLab to finish loading, with the file browser listing its folder. */
export async function waitForLab(page: Page, timeoutMs: number): Promise<void> {
  await page.locator(".jp-DirListing-item").first().waitFor({ state: "visible", timeout: timeoutMs });
}

/** Opens `file` by double-clicking it in the file browser; resolves when the notebook shows. */
export async function openFromFileBrowser(page: Page, file: string, timeoutMs: number): Promise<Locator> {
  const item = page.locator(".jp-DirListing-item", { has: page.locator(".jp-DirListing-itemText", { hasText: file }) });
  await item.first().dblclick();
  await page.locator(".lm-TabBar-tab.lm-mod-current", { hasText: file }).first().waitFor({ state: "visible", timeout: timeoutMs });
  const panel = currentNotebook(page);
  await panel.locator(".jp-Notebook").waitFor({ state: "visible", timeout: timeoutMs });
  return panel;
}

/** The notebook in the current tab (the others are hidden). */
export function currentNotebook(page: Page): Locator {
  return page.locator(".jp-NotebookPanel").filter({ visible: true }).first();
}

/** Clicks a top menu and then an entry, and entries of submenus: `menu(page, "Run", "Run All Cells")`. */
export async function menu(page: Page, top: string, ...path: string[]): Promise<void> {
  await page.locator(".lm-MenuBar-item", { has: page.getByText(top, { exact: true }) }).click();
  for (const [i, label] of path.entries()) {
    const entry = page.locator(".lm-Menu:visible .lm-Menu-item", { has: page.locator(".lm-Menu-itemLabel", { hasText: new RegExp(`^${escapeRegExp(label)}$`) }) }).last();
    if (i < path.length - 1) await entry.hover();
    else await entry.click();
  }
}

/** Accepts the dialog now open (e.g. "Restart Kernel?"). */
export async function acceptDialog(page: Page, button: string): Promise<void> {
  await page.locator(".jp-Dialog .jp-Dialog-button", { hasText: button }).click();
  await page.locator(".jp-Dialog").waitFor({ state: "detached" });
}

/** The kernel's execution state ("idle", "busy", "starting", ...), as the server reports it. */
export type KernelState = () => Promise<string>;

/**
 * Waits until the kernel is idle and no cell is running or queued (`[*]`), and stays so for a
 * moment (between two queued cells the kernel is briefly idle).
 */
export async function waitForKernelIdle(page: Page, panel: Locator, state: KernelState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  for (;;) {
    const status = await state();
    const running = (await panel.locator(".jp-InputPrompt").allTextContents()).filter((t) => t.includes("[*]")).length;
    if (status === "idle" && running === 0) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 1500) return;
    } else {
      quietSince = undefined;
    }
    if (Date.now() > deadline) throw new Error(`the kernel was still ${status} (${running} cells running or queued) after ${timeoutMs / 1000} s`);
    await page.waitForTimeout(250);
  }
}

/** The 1-based code cell now running: the first `[*]` (the cells after it are queued), or null. */
export async function runningCell(panel: Locator): Promise<number | null> {
  const prompts = await panel.locator(".jp-CodeCell .jp-InputPrompt").allTextContents();
  const i = prompts.findIndex((p) => p.includes("[*]"));
  return i < 0 ? null : i + 1;
}

/** Reads every code cell's prompt and outputs, and the figures and tables in them. */
export async function readNotebook(panel: Locator): Promise<NotebookView> {
  const cells = panel.locator(".jp-Notebook .jp-Cell.jp-CodeCell");
  const n = await cells.count();
  const withoutOutput: number[] = [];
  const notExecuted: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const cell = cells.nth(i);
    // textContent, not innerText: cells scrolled out of view are not rendered, and have no innerText.
    const prompt = ((await cell.locator(".jp-InputPrompt").first().textContent()) ?? "").trim();
    if (!/^\[\d+\]:?$/.test(prompt)) notExecuted.push(i + 1);
    const outputs = cell.locator(".jp-OutputArea-output");
    if ((await outputs.count()) === 0) withoutOutput.push(i + 1);
    const bad = cell.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]');
    for (const text of await bad.allTextContents()) errors.push(`cell ${i + 1}: ${text.trim().split("\n").slice(0, 6).join(" | ")}`);
  }
  const figures = panel.locator(FIGURE);
  return {
    codeCells: n,
    withoutOutput,
    notExecuted,
    errors,
    figures: await figures.count(),
    // `has` takes a locator relative to the element filtered: the page's, not the panel's.
    drawnFigures: await figures.filter({ has: panel.page().locator(".main-svg") }).count(),
    tables: await panel.locator(TABLE).count(),
  };
}

/** The text of each figure that holds no drawn plot (display.ts writes why into the box when it can). */
export async function blankFigures(panel: Locator): Promise<string[]> {
  return panel.locator(FIGURE).filter({ hasNot: panel.page().locator(".main-svg") }).allTextContents();
}

/** Waits until every figure in the notebook holds a drawn plot (or the time is up). */
export async function waitForFigures(page: Page, panel: Locator, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const figures = panel.locator(FIGURE);
  while (Date.now() < deadline) {
    if ((await figures.filter({ hasNot: panel.page().locator(".main-svg") }).count()) === 0) return;
    await page.waitForTimeout(250);
  }
}

/**
 * File → Save Notebook (docmanager:save, what Save and Export Notebook As does first), then waits
 * until the tab has lost its unsaved mark and the server's copy is newer (`lastModified`, from the
 * contents API, changes): the export route converts the file on disk, not what the tab shows.
 */
export async function saveNotebook(page: Page, file: string, lastModified: () => Promise<string>, timeoutMs: number): Promise<void> {
  const before = await lastModified();
  await menu(page, "File", "Save Notebook");
  const tab = page.locator(".lm-TabBar-tab.lm-mod-current", { hasText: file }).first();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dirty = ((await tab.getAttribute("class")) ?? "").includes("jp-mod-dirty");
    const now = await lastModified();
    if (!dirty && now !== before) return;
    if (Date.now() > deadline) {
      throw new Error(`File → Save Notebook: ${dirty ? "the tab still shows unsaved changes" : "the file on the server did not change"} after ${timeoutMs / 1000} s (last_modified ${now})`);
    }
    await page.waitForTimeout(250);
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
