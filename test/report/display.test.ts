import assert from "node:assert/strict";
import { test } from "node:test";
import * as dfd from "danfojs-node";
import { PlotlyEmbedder, escapeHtml, heatmapFigure, plotlyHtml, tableHtml } from "../../src/report/display.js";

const FAKE_LIBRARY = "window.Plotly = { newPlot: function () {} }; /* fake-plotly */";

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

test("escapeHtml escapes the five special characters", () => {
  assert.equal(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`), "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
});

test("table cells and headers are escaped; numbers get 3 decimals, integers none", () => {
  const html = tableHtml([{ "<name>": "<script>alert(1)</script>", score: 0.12345, n: 1190 }]);
  assert.ok(!html.includes("<script>"));
  assert.ok(html.includes("<th>&lt;name&gt;</th>"));
  assert.ok(html.includes("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"));
  assert.ok(html.includes(`<td style="text-align:right">0.123</td>`));
  assert.ok(html.includes(`<td style="text-align:right">1190</td>`));
});

test("a DataFrame-shaped input gives the same table as the records", () => {
  const records = [
    { lang: "en", mAP: 0.5 },
    { lang: "de", mAP: 0.25 },
  ];
  const frame = { columns: ["lang", "mAP"], values: [["en", 0.5], ["de", 0.25]] };
  assert.equal(tableHtml(frame), tableHtml(records));
});

test("a danfo.js DataFrame is accepted as it is", () => {
  const df = new dfd.DataFrame([{ lang: "en", mAP: 0.5 }]);
  assert.equal(tableHtml(df), tableHtml([{ lang: "en", mAP: 0.5 }]));
});

test("an array of interface-typed records is accepted without a cast", () => {
  interface Stats {
    lang: string;
    questions: number;
  }
  const stats: Stats[] = [{ lang: "en", questions: 1190 }];
  assert.ok(tableHtml(stats).includes("<td>en</td>"));
});

test("table options: caption, column choice and order, digits, row limit", () => {
  const rows = [
    { a: 1, b: 0.5, c: "x" },
    { a: 2, b: 0.25, c: "y" },
    { a: 3, b: 0.125, c: "z" },
  ];
  const html = tableHtml(rows, { caption: "A & B", columns: ["c", "b"], digits: 1, maxRows: 2 });
  assert.ok(html.includes("<caption>A &amp; B</caption>"));
  assert.ok(html.includes("<thead><tr><th>c</th><th>b</th></tr></thead>"));
  assert.ok(html.includes(`<tr><td>y</td><td style="text-align:right">0.3</td></tr>`));
  assert.ok(!html.includes("<td>z</td>"));
  assert.ok(html.includes("1 more rows"));
  assert.throws(() => tableHtml({ columns: ["a"], values: [[1]] }, { columns: ["nope"] }), /no column "nope"/);
});

test("missing values print empty; records with different keys share one header", () => {
  const html = tableHtml([{ a: 1 }, { b: null }]);
  assert.ok(html.includes("<thead><tr><th>a</th><th>b</th></tr></thead>"));
  assert.ok(html.includes(`<tr><td style="text-align:right">1</td><td></td></tr>`));
  assert.ok(html.includes(`<tr><td></td><td></td></tr>`));
});

test("plotly.js is inlined into the first figure only", () => {
  const embedder = new PlotlyEmbedder(() => FAKE_LIBRARY, "p");
  const first = embedder.html({ data: [{ type: "bar", x: ["a"], y: [1] }] });
  const second = embedder.html({ data: [{ type: "bar", x: ["b"], y: [2] }] });
  assert.equal(count(first, "fake-plotly"), 1);
  assert.equal(count(second, "fake-plotly"), 0);
  assert.ok(first.includes(`<div id="p-1"`) && second.includes(`<div id="p-2"`));
  assert.ok(second.includes("window.Plotly.newPlot"));
});

test("the default embedder inlines the real plotly.js once per process", () => {
  const first = plotlyHtml({ data: [] });
  const second = plotlyHtml({ data: [] });
  assert.equal(count(first, "window.Plotly = Plotly"), 1);
  assert.ok(first.length > 1_000_000);
  assert.ok(second.length < 2_000);
});

test("figure JSON cannot close its script element; typed arrays become arrays", () => {
  const embedder = new PlotlyEmbedder(() => "", "p");
  const html = embedder.html({
    data: [{ type: "bar", name: "</script><script>alert(1)</script>", y: new Float32Array([0.5, 1]) }],
    layout: { height: 300 },
  });
  assert.equal(count(html, "</script>"), 2); // the library's and the figure's own
  assert.ok(html.includes('"y":[0.5,1]'));
  assert.ok(html.includes("height:300px"));
});

test("a library containing </script> is escaped when inlined", () => {
  const embedder = new PlotlyEmbedder(() => 'var s = "</script>";', "p");
  const html = embedder.html({ data: [] });
  assert.ok(html.includes('var s = "<\\/script>";'));
});

test("heatmapFigure: one heatmap trace, z as rows × columns, rows read top to bottom", () => {
  const fig = heatmapFigure([new Float32Array([0.5, 0.25]), [1, 0], [0, 0.75]], ["en", "de", "zh"], ["q", "c"], "mAP");
  assert.equal(fig.data.length, 1);
  const trace = fig.data[0];
  assert.equal(trace.type, "heatmap");
  assert.deepEqual(trace.z, [[0.5, 0.25], [1, 0], [0, 0.75]]);
  assert.deepEqual(trace.y, ["en", "de", "zh"]);
  assert.deepEqual(trace.x, ["q", "c"]);
  assert.equal(trace.texttemplate, "%{z:.3f}");
  assert.deepEqual(fig.layout?.title, { text: "mAP" });
  assert.equal((fig.layout?.yaxis as Record<string, unknown>).autorange, "reversed");
});

test("heatmapFigure rejects labels that do not match the matrix", () => {
  assert.throws(() => heatmapFigure([[1, 2]], ["a", "b"], ["x", "y"], "t"), /1 rows but 2 row labels/);
  assert.throws(() => heatmapFigure([[1, 2], [3]], ["a", "b"], ["x", "y"], "t"), /row 1 \(b\) has 1 values but 2 column labels/);
});

test("heatmapFigure options: colour range and no cell text", () => {
  const trace = heatmapFigure([[1]], ["a"], ["x"], "t", { zmin: 0, zmax: 1, valueFormat: "" }).data[0];
  assert.equal(trace.zmin, 0);
  assert.equal(trace.zmax, 1);
  assert.equal(trace.texttemplate, undefined);
});
