/**
 * Plain-text tables for the terminal: the first `leftColumns` columns left-aligned (labels), the
 * rest right-aligned (numbers), two spaces between columns, optionally a dashed rule under the
 * header.
 *
 * @example
 * textTable(["lang", "mAP"], [["en", "0.712"]], { rule: true });
 * // lang    mAP
 * // ----  -----
 * // en    0.712
 */
export interface TextTableOptions {
  /** Columns aligned left (default 1). */
  readonly leftColumns?: number;
  /** A line of dashes under the header (default false). */
  readonly rule?: boolean;
}

export function textTable(header: readonly string[], rows: readonly (readonly string[])[], options: TextTableOptions = {}): string {
  const left = options.leftColumns ?? 1;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i < left ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const rule = options.rule ? [line(widths.map((w) => "-".repeat(w)))] : [];
  return [line(header), ...rule, ...rows.map(line)].join("\n");
}
