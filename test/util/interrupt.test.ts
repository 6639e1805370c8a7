/**
 * The first SIGINT/SIGTERM aborts the signal, the second exits with 130; dispose gives the default
 * handling back. Real signals go to a child process (a second one would end this test process).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { abortOnInterrupt } from "../../src/util/interrupt.js";

const MODULE = new URL("../../src/util/interrupt.js", import.meta.url).href;

/** A child that installs the handlers (and disposes them at once if asked), then says "ready" and waits. */
function child(dispose: boolean) {
  const script = `
    const { abortOnInterrupt } = await import(${JSON.stringify(MODULE)});
    const i = abortOnInterrupt({ first: "finishing the step, then saving", second: "stopped at once" });
    i.signal.addEventListener("abort", () => process.stdout.write("aborted\\n"));
    if (${dispose}) i.dispose();
    setTimeout(() => process.exit(3), 10000);
    process.stdout.write("ready\\n");
  `;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stderr.on("data", (d: Buffer) => (stderr += String(d)));
  const lines: ((line: string) => void)[] = [];
  proc.stdout.on("data", (d: Buffer) => {
    stdout += String(d);
    for (const line of String(d).split("\n").filter(Boolean)) lines.forEach((f) => f(line));
  });
  const waitFor = (want: string) =>
    new Promise<void>((resolve) => {
      if (stdout.split("\n").includes(want)) return resolve();
      lines.push((line) => line === want && resolve());
    });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("close", (code, signal) => resolve({ code, signal })));
  return { proc, waitFor, exit, output: () => ({ stdout, stderr }) };
}

test("in process: the first signal aborts and prints the first message; dispose removes both handlers", (t) => {
  const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
  const written: string[] = [];
  t.mock.method(process.stderr, "write", (text: string) => {
    written.push(text);
    return true;
  });
  const interrupt = abortOnInterrupt({ first: "stopping after this step", second: "bye" });
  assert.deepEqual([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")], [before[0] + 1, before[1] + 1]);
  assert.equal(interrupt.signal.aborted, false);
  process.emit("SIGTERM", "SIGTERM");
  assert.equal(interrupt.signal.aborted, true);
  assert.deepEqual(written, ["\nstopping after this step\n"]);
  interrupt.dispose();
  assert.deepEqual([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")], before);
});

test("a real SIGTERM then SIGINT: the job is asked to stop, then exits with status 130", async () => {
  const c = child(false);
  await c.waitFor("ready");
  c.proc.kill("SIGTERM");
  await c.waitFor("aborted");
  c.proc.kill("SIGINT");
  assert.deepEqual(await c.exit, { code: 130, signal: null });
  assert.equal(c.output().stderr, "\nfinishing the step, then saving\n\nstopped at once\n");
});

test("after dispose, SIGINT ends the process the default way, with no message", async () => {
  const c = child(true);
  await c.waitFor("ready");
  c.proc.kill("SIGINT");
  assert.deepEqual(await c.exit, { code: null, signal: "SIGINT" });
  assert.deepEqual(c.output(), { stdout: "ready\n", stderr: "" });
});
