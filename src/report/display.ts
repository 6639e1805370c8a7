/**
 * HTML building blocks for the notebooks, so a notebook cell stays one line:
 * `show(plotlyHtml(heatmapFigure(...)))` or `show(tableHtml(df))`.
 *
 * Everything here returns plain strings and is testable outside Jupyter; only `show` needs a
 * running tslab kernel. The HTML must work in the static report nbconvert writes, offline, so
 * plotly.js is inlined (once per kernel process) instead of loaded from a CDN.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A plotly.js figure as `Plotly.newPlot` takes it; typed loosely, plotly validates it. */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}

export interface PlotlyHtmlOptions {
  /** Height of the plot in pixels (default 450, or `layout.height` when the figure sets it). */
  height?: number;
}

/**
 * Turns figures into HTML, inlining the plotly.js library into the first one only.
 *
 * One instance lives as long as the kernel process, which is what "once per notebook" means:
 * the first figure's output defines `window.Plotly`, later outputs of the same page reuse it.
 *
 * @example
 * const embedder = new PlotlyEmbedder(() => "window.Plotly = fakePlotly;", "test");
 * embedder.html({ data: [] }); // contains the library
 * embedder.html({ data: [] }); // does not
 */
export class PlotlyEmbedder {
  private included = false;
  private count = 0;

  /**
   * @param loadLibrary returns plotly.js's source; called on the first figure only.
   * @param idPrefix prefix of the plots' element ids. Random by default, because after a kernel
   *   restart the counter starts again while the page may still hold the old outputs.
   */
  constructor(
    private readonly loadLibrary: () => string = readPlotlySource,
    private readonly idPrefix: string = `hybrid-ir-plot-${randomBytes(4).toString("hex")}`,
  ) {}

  html(figure: PlotlyFigure, opts: PlotlyHtmlOptions = {}): string {
    const id = `${this.idPrefix}-${++this.count}`;
    const layoutHeight = figure.layout?.height;
    const height = opts.height ?? (typeof layoutHeight === "number" ? layoutHeight : 450);
    const parts: string[] = [];
    if (!this.included) {
      parts.push(libraryScript(this.loadLibrary()));
      this.included = true;
    }
    parts.push(`<div id="${id}" style="width:100%;height:${height}px;"></div>`);
    const data = scriptJson(figure.data);
    const layout = scriptJson(figure.layout ?? {});
    const config = scriptJson({ responsive: true, displaylogo: false, ...figure.config });
    // If the output that carried the library is gone (cleared, or this cell re-run in a page
    // that never had it), say so instead of leaving an empty box.
    parts.push(
      `<script type="text/javascript">(function () {` +
        `var el = document.getElementById(${JSON.stringify(id)});` +
        `if (typeof window.Plotly === "undefined") {` +
        `el.textContent = "plotly.js is not loaded: run the notebook from the top."; return; }` +
        `window.Plotly.newPlot(el, ${data}, ${layout}, ${config});` +
        `})();</script>`,
    );
    return parts.join("\n");
  }
}

const defaultEmbedder = new PlotlyEmbedder();

/**
 * A figure as HTML that renders offline; the first call in a kernel process also inlines
 * plotly.js (~4.8 MB).
 *
 * @example
 * show(plotlyHtml({ data: [{ type: "bar", x: ["en", "de"], y: [1190, 1190] }] }));
 */
export function plotlyHtml(figure: PlotlyFigure, opts?: PlotlyHtmlOptions): string {
  return defaultEmbedder.html(figure, opts);
}

function readPlotlySource(): string {
  return readFileSync(require.resolve("plotly.js-dist-min"), "utf8");
}

function libraryScript(source: string): string {
  // `module`/`exports`/`define` are shadowed so the bundle's UMD header always takes the
  // browser branch and sets window.Plotly, even if a page loads require.js or a CommonJS shim.
  // The guard keeps a second copy (re-run cell, two libraries) from replacing a live Plotly.
  return (
    `<script type="text/javascript">if (typeof window.Plotly === "undefined") {` +
    `(function (module, exports, define) {\n${escapeScriptBody(source)}\n}).call(window);` +
    `}</script>`
  );
}

/** JSON safe inside a `<script>` element: no `</script>` or `<!--` can end or confuse it. */
function scriptJson(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) =>
    // Typed arrays would otherwise serialize as {"0": …, "1": …}.
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
  return json.replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function escapeScriptBody(source: string): string {
  // Inside JS strings and regexes `<\/script` means the same as `</script`.
  return source.replace(/<\/script/gi, "<\\/script");
}

export interface HeatmapOptions {
  /** Colour scale bounds; default: the matrix's own range. */
  zmin?: number;
  zmax?: number;
  /** d3 format of the value printed in each cell (default ".3f"); "" prints none. */
  valueFormat?: string;
}

/**
 * A heatmap of `matrix[row][col]` with rows top to bottom in the given order, e.g. mAP by
 * query language (rows) × candidate language (columns).
 */
export function heatmapFigure(
  matrix: readonly ArrayLike<number>[],
  rowLabels: readonly string[],
  colLabels: readonly string[],
  title: string,
  opts: HeatmapOptions = {},
): PlotlyFigure {
  if (matrix.length !== rowLabels.length) {
    throw new Error(`heatmapFigure: matrix has ${matrix.length} rows but ${rowLabels.length} row labels`);
  }
  matrix.forEach((row, i) => {
    if (row.length !== colLabels.length) {
      throw new Error(
        `heatmapFigure: row ${i} (${rowLabels[i]}) has ${row.length} values but ${colLabels.length} column labels`,
      );
    }
  });
  const valueFormat = opts.valueFormat ?? ".3f";
  const trace: Record<string, unknown> = {
    type: "heatmap",
    z: matrix.map((row) => Array.from(row)),
    x: [...colLabels],
    y: [...rowLabels],
    colorscale: "Viridis",
    hoverongaps: false,
  };
  if (opts.zmin !== undefined) trace.zmin = opts.zmin;
  if (opts.zmax !== undefined) trace.zmax = opts.zmax;
  if (valueFormat !== "") trace.texttemplate = `%{z:${valueFormat}}`;
  return {
    data: [trace],
    layout: {
      title: { text: title },
      // Plotly draws y upwards; a table reads top to bottom.
      yaxis: { autorange: "reversed", type: "category" },
      xaxis: { type: "category", side: "top" },
    },
  };
}

/**
 * What `tableHtml` needs from a danfo.js DataFrame (`df.columns`, `df.values`), typed
 * structurally so this module does not load danfo.
 */
export interface TableFrame {
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
}

/** Any record: typed as `object` so that arrays of interfaces (no index signature) fit too. */
export type TableRow = object;

export interface TableHtmlOptions {
  /** Decimals for non-integer numbers (default 3); integers print as they are. */
  digits?: number;
  /** Shown above the table. */
  caption?: string;
  /** Columns to show, in this order (default: all, in first-seen order). */
  columns?: readonly string[];
  /** Rows to show at most (default all); the rest are counted in a footer. */
  maxRows?: number;
}

/**
 * An HTML table of records or of a danfo.js DataFrame. Cells are HTML-escaped; numbers are
 * right-aligned.
 *
 * @example
 * show(tableHtml([{ lang: "en", mAP: 0.7123 }], { caption: "mAP by language" }));
 */
export function tableHtml(input: readonly TableRow[] | TableFrame, opts: TableHtmlOptions = {}): string {
  const digits = opts.digits ?? 3;
  const { columns, rows } = isRows(input) ? fromRecords(input, opts.columns) : fromFrame(input, opts.columns);
  const shown = opts.maxRows === undefined ? rows : rows.slice(0, opts.maxRows);
  const cell = (v: unknown): string =>
    typeof v === "number" || typeof v === "bigint"
      ? `<td style="text-align:right">${escapeHtml(formatValue(v, digits))}</td>`
      : `<td>${escapeHtml(formatValue(v, digits))}</td>`;
  const lines = [`<table class="hybrid-ir-table">`];
  if (opts.caption !== undefined) lines.push(`<caption>${escapeHtml(opts.caption)}</caption>`);
  lines.push(`<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr></thead>`);
  lines.push("<tbody>");
  for (const row of shown) lines.push(`<tr>${row.map(cell).join("")}</tr>`);
  lines.push("</tbody>");
  if (shown.length < rows.length) {
    lines.push(
      `<tfoot><tr><td colspan="${columns.length}">… ${rows.length - shown.length} more rows</td></tr></tfoot>`,
    );
  }
  lines.push("</table>");
  return lines.join("\n");
}

function isRows(input: readonly TableRow[] | TableFrame): input is readonly TableRow[] {
  return Array.isArray(input);
}

function fromRecords(
  records: readonly TableRow[],
  pick: readonly string[] | undefined,
): { columns: string[]; rows: unknown[][] } {
  let columns: string[];
  if (pick !== undefined) {
    columns = [...pick];
  } else {
    const seen = new Set<string>();
    for (const r of records) for (const k of Object.keys(r)) seen.add(k);
    columns = [...seen];
  }
  return { columns, rows: records.map((r) => columns.map((c) => (r as Record<string, unknown>)[c])) };
}

function fromFrame(frame: TableFrame, pick: readonly string[] | undefined): { columns: string[]; rows: unknown[][] } {
  const all = [...frame.columns];
  // A danfo Series has 1-D values; show it as one column.
  const rows = frame.values.map((r) => (Array.isArray(r) ? [...(r as unknown[])] : [r]));
  if (pick === undefined) return { columns: all, rows };
  const indices = pick.map((c) => {
    const i = all.indexOf(c);
    if (i < 0) throw new Error(`tableHtml: no column ${JSON.stringify(c)} (columns: ${all.join(", ")})`);
    return i;
  });
  return { columns: [...pick], rows: rows.map((r) => indices.map((i) => r[i])) };
}

function formatValue(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(digits);
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v) ?? String(v);
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

type TslabModule = typeof import("tslab");
let tslab: TslabModule | undefined;

/**
 * Displays HTML as the current cell's output. Needs a running tslab kernel.
 *
 * tslab is loaded on first use, not imported at the top: it loads a TypeScript compiler, which
 * the CLI and tests that import this package should not pay for. It resolves to the same
 * module instance the kernel runs, which is what holds the connection to Jupyter.
 */
export function show(html: string): void {
  tslab ??= require("tslab") as TslabModule;
  try {
    tslab.display.html(html);
  } catch (err) {
    throw new Error(`show() needs a running tslab kernel (${err instanceof Error ? err.message : String(err)})`);
  }
}
