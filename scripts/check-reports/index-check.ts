/**
 * What reports/index.html must show (scripts/run-notebooks.ts writes it): a link to every
 * notebook's report, and per notebook a table row naming the preset and the commit the report
 * was made with.
 */
import type { Page } from "playwright-core";
import type { Inspection } from "./page-check.js";

/** The parts of the index page that are checked, as the reader sees them. */
export interface IndexContent {
  /** `href` of every link, in page order. */
  readonly links: readonly string[];
  /** Visible text of each table row's cells. */
  readonly rows: readonly (readonly string[])[];
}

export interface IndexExpectations {
  /**
   * Notebook names (no extension): each whose report exists needs a link to `<name>.html` and
   * a row (a missing report is the caller's failure to report).
   */
  readonly notebooks: readonly string[];
  readonly preset: string;
  /** Short commit; a row may show it with "-dirty" appended. */
  readonly commit: string;
  /** Whether a relative link's target exists (a link to a missing report is broken). */
  readonly exists: (href: string) => boolean;
}

/** Reads links and table rows off the loaded index page. */
export async function readIndex(page: Page): Promise<IndexContent> {
  const links: string[] = [];
  for (const a of await page.locator("a[href]").all()) links.push((await a.getAttribute("href")) ?? "");
  const rows: string[][] = [];
  for (const tr of await page.locator("tr").all()) {
    rows.push((await tr.locator("th, td").allInnerTexts()).map((cell) => cell.trim()));
  }
  return { links, rows };
}

/**
 * The index's problems, one sentence each.
 *
 * @example
 * const expected = { notebooks: ["01-data"], preset: "small", commit: "a5193ad", exists: () => true };
 * indexProblems({ links: [], rows: [] }, expected);
 * // → ["does not link 01-data.html", "has no row for 01-data"]
 */
export function indexProblems(index: IndexContent, expected: IndexExpectations): string[] {
  const problems: string[] = [];
  const targets = index.links.map(decodeHref);
  for (const name of expected.notebooks) {
    // A notebook without a report fails on that alone; its row cannot link or describe one.
    if (!expected.exists(`${name}.html`)) continue;
    if (!targets.includes(`${name}.html`)) problems.push(`does not link ${name}.html`);
    const row = index.rows.find((cells) => cells[0] === name);
    if (row === undefined) {
      problems.push(`has no row for ${name}`);
      continue;
    }
    if (!row.includes(expected.preset)) {
      problems.push(`row ${name} does not show preset ${expected.preset} (row: ${row.join(" | ")})`);
    }
    if (!row.some((cell) => cell === expected.commit || cell === `${expected.commit}-dirty`)) {
      problems.push(`row ${name} does not show commit ${expected.commit} (row: ${row.join(" | ")})`);
    }
  }
  for (const [i, target] of targets.entries()) {
    if (isLocalFile(target) && !expected.exists(target)) problems.push(`links ${index.links[i]}, which does not exist`);
  }
  return problems;
}

/** The page-check hook for the index. */
export function inspectIndex(expected: IndexExpectations): (page: Page) => Promise<Inspection> {
  return async (page) => {
    const index = await readIndex(page);
    const targets = new Set(index.links.map(decodeHref));
    const linked = expected.notebooks.filter((name) => targets.has(`${name}.html`)).length;
    return {
      problems: indexProblems(index, expected),
      summary: `${linked}/${expected.notebooks.length} reports linked (preset ${expected.preset}, commit ${expected.commit})`,
    };
  };
}

function decodeHref(href: string): string {
  try {
    return decodeURIComponent(href.split("#")[0]);
  } catch {
    return href;
  }
}

/** A link to another file beside the index: no scheme, not an in-page anchor. */
function isLocalFile(target: string): boolean {
  return target !== "" && !/^[a-z][a-z0-9+.-]*:/i.test(target);
}
