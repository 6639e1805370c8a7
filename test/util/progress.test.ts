/**
 * The progress bar as a notebook output: one display, redrawn in place and throttled, whose last
 * state is the finished bar (what an nbconvert report keeps).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { displayProgress, progressBar, type LiveDisplay } from "../../src/util/progress.js";

function recorder(): LiveDisplay & { readonly drawn: string[] } {
  const drawn: string[] = [];
  return { drawn, html: (html) => void drawn.push(html) };
}

test("a burst of updates draws once, and finish always draws the final state", () => {
  const display = recorder();
  const bar = displayProgress(display, (done) => `encode ${done}/1000`, 1000);
  for (let done = 1; done <= 1000; done++) bar.update(done);
  assert.equal(display.drawn.length, 1, "updates within the redraw interval are dropped");
  assert.match(display.drawn[0], /encode 1\/1000/);
  bar.finish();
  assert.equal(display.drawn.length, 2);
  assert.match(display.drawn[1], /<progress value="1000" max="1000"/);
  assert.match(display.drawn[1], /encode 1000\/1000/);
});

test("the line is HTML-escaped and the value clamped to the total", () => {
  const display = recorder();
  displayProgress(display, () => "<b>a & b</b>", 10).finish(12);
  assert.match(display.drawn[0], /&lt;b&gt;a &amp; b&lt;\/b&gt;/);
  assert.match(display.drawn[0], /<progress value="10" max="10"/);
});

test("outside a notebook the bar writes plain lines to its stream", () => {
  const lines: string[] = [];
  const stream = { isTTY: false, write: (s: string) => void lines.push(s) } as unknown as NodeJS.WriteStream;
  const bar = progressBar("scoring", 4, stream);
  bar.update(1);
  bar.finish();
  assert.equal(lines.at(-1)?.startsWith("scoring "), true);
  assert.match(lines.at(-1)!, /4\/4 100%/);
});
