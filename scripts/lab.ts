/**
 * `npm run lab`: JupyterLab on the notebooks, as users run them. Installs JupyterLab from PyPI
 * into .jupyter/lab-venv (pinned in python/requirements/jupyterlab.txt; reused when present),
 * registers the tslab kernel in the project's own Jupyter home (.jupyter/), checks that the
 * kernel starts, and serves notebooks/ on 127.0.0.1 with a token, printing the URL.
 *
 *   npm run lab [-- --no-browser] [-- --port N]
 *
 * Without --port: 8888, or a free port when 8888 is taken. Ctrl-C stops the server and its kernels.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packageRoot } from "../src/paths.js";
import { presetFromEnv } from "../src/presets.js";
import { registerJupyter } from "./jupyter-home.js";
import { checkKernel, freePort, labPython, LabSetupError, startLab, type LabServer } from "./lab/server.js";

const USAGE = "usage: npm run lab [-- --no-browser] [-- --port N]";

const values = parseOptions();
const port = values.port === undefined ? await freePort(8888) : Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port ${values.port}: expected a port number (1–65535)\n${USAGE}`);

const root = packageRoot();
let server: LabServer | undefined;
try {
  const preset = presetFromEnv().name;
  const python = labPython(root);
  const env = registerJupyter(join(root, ".jupyter"), preset);
  console.error("lab: checking that the TypeScript kernel starts …");
  checkKernel(python, env);
  server = await startLab({ python, rootDir: join(root, "notebooks"), env, port, openBrowser: !values["no-browser"], output: "inherit" });
} catch (err) {
  fail(err instanceof LabSetupError || err instanceof Error ? err.message : String(err));
}
const running = server;
console.log(
  [
    "",
    `JupyterLab on notebooks/ (preset ${process.env.HYBRID_IR_PRESET ?? "small"}; pick the TypeScript kernel):`,
    `    ${running.url}`,
    `From another machine: ssh -N -L ${running.port}:127.0.0.1:${running.port} USER@THIS-HOST, then open the URL above there.`,
    "After changing src/: npm run build, then Kernel → Restart. Ctrl-C stops the server.",
    "",
  ].join("\n"),
);
let signals = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    // The first signal shuts down cleanly (kernels included); a second one does not wait.
    if (++signals > 1 && running.child.pid !== undefined) process.kill(-running.child.pid, "SIGKILL");
    void running.stop();
  });
}
const code = await running.exited;
process.exitCode = signals > 0 ? 0 : (code ?? 1);

function parseOptions(): { "no-browser"?: boolean; port?: string } {
  try {
    return parseArgs({ options: { "no-browser": { type: "boolean" }, port: { type: "string" } } }).values;
  } catch (err) {
    fail(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
}

function fail(message: string): never {
  console.error(`lab: ${message}`);
  process.exit(1);
}
