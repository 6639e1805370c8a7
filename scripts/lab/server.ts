/**
 * JupyterLab for the notebooks: its Python environment (pinned, from PyPI, in .jupyter/lab-venv),
 * a check that the TypeScript kernel starts, and a server on 127.0.0.1 with a token that can be
 * stopped with everything it started. Used by `npm run lab` (scripts/lab.ts) and the browser test
 * (scripts/check-lab.ts).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { KERNEL_NAME } from "../jupyter-home.js";

/** The requirement file (exact pins) installed into the lab's venv, python/requirements/<topic>.txt. */
export const LAB_REQUIREMENTS = "jupyterlab";

/** A set-up step that failed; the message says what to do, a stack trace would only hide it. */
export class LabSetupError extends Error {}

/**
 * The python of `<root>/.jupyter/lab-venv`, created and filled from python/requirements/jupyterlab.txt
 * by scripts/python-env.sh on first use (a stamp skips pip when the pins did not change).
 * pip's own output goes to this process's stderr.
 */
export function labPython(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.HYBRID_IR_BASE_PYTHON ?? "/usr/bin/python3";
  const onPath = (spawnSync("/bin/sh", ["-c", "command -v python3"], { encoding: "utf8", env }).stdout ?? "").trim();
  if (!existsSync(base) && onPath === "") {
    throw new LabSetupError(
      `JupyterLab needs Python 3 with venv, and none was found (${base}, python3 on PATH). ` +
        `On Debian/Ubuntu: sudo apt-get install -y python3 python3-venv; or set HYBRID_IR_BASE_PYTHON to a python3.`,
    );
  }
  const venv = join(root, ".jupyter", "lab-venv");
  // This checkout's package.json says "type": "module", which would make Node load the scripts
  // Python packages ship (jupyterlab's yarn.js, run at start-up) as ES modules, and fail.
  mkdirSync(join(root, ".jupyter"), { recursive: true });
  writeFileSync(join(root, ".jupyter", "package.json"), `{ "type": "commonjs" }\n`);
  const fresh = !existsSync(join(venv, "bin", "python"));
  if (fresh) console.error(`lab: installing JupyterLab (python/requirements/${LAB_REQUIREMENTS}.txt) into ${venv} …`);
  const run = spawnSync(join(root, "scripts", "python-env.sh"), [LAB_REQUIREMENTS], {
    env: { ...env, HYBRID_IR_VENV: venv, ...(existsSync(base) ? { HYBRID_IR_BASE_PYTHON: base } : {}) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (run.status !== 0) {
    throw new LabSetupError(
      `could not install JupyterLab into ${venv} (pip's message is above). It needs PyPI (or an index set by ` +
        `PIP_INDEX_URL) and python3-venv; after fixing that, run the same command again (remove ${venv} to start afresh).`,
    );
  }
  return run.stdout.trim().split("\n").at(-1)!;
}

/**
 * Starts the tslab kernel once through jupyter_client, as JupyterLab will, and shuts it down:
 * a kernel that cannot start is reported here, with its own error, instead of as a spinning
 * "Connecting" in the browser.
 */
export function checkKernel(python: string, env: NodeJS.ProcessEnv, timeoutS = 90): void {
  const script = [
    "import sys",
    "from jupyter_client.manager import start_new_kernel",
    "try:",
    `    km, kc = start_new_kernel(kernel_name=${JSON.stringify(KERNEL_NAME)}, startup_timeout=${timeoutS})`,
    "except Exception as e:",
    "    print(f'{type(e).__name__}: {e}', file=sys.stderr); sys.exit(1)",
    "kc.stop_channels(); km.shutdown_kernel(now=False)",
  ].join("\n");
  const run = spawnSync(python, ["-c", script], { env, encoding: "utf8", timeout: (timeoutS + 30) * 1000 });
  if (run.status !== 0) {
    const said = `${run.stderr ?? ""}${run.error ? run.error.message : ""}`.trim().split("\n").slice(-15).join("\n");
    throw new LabSetupError(
      `the TypeScript kernel (tslab) did not start:\n${said}\n` +
        `It runs \`node node_modules/tslab/bin/tslab kernel\` (see .jupyter/kernels/${KERNEL_NAME}/kernel.json): ` +
        `check that \`npm ci\` completed (tslab's zeromq binary) and that Node is ≥ 20.19.`,
    );
  }
}

export interface LabOptions {
  readonly python: string;
  /** The folder the file browser opens on. */
  readonly rootDir: string;
  /** From registerJupyter: the project's own Jupyter home. */
  readonly env: NodeJS.ProcessEnv;
  /** Default: a free port. */
  readonly port?: number;
  /** Default: random. */
  readonly token?: string;
  /** Let Jupyter open the user's browser (default false). */
  readonly openBrowser?: boolean;
  /** Jupyter's log: inherited (a terminal) or kept in memory, the tail reported on failure. */
  readonly output?: "inherit" | "capture";
  /** How long the server may take to answer (default 120 s). */
  readonly startTimeoutMs?: number;
}

export interface LabServer {
  /** `http://127.0.0.1:PORT/lab?token=…`: what to open. */
  readonly url: string;
  /** `http://127.0.0.1:PORT`. */
  readonly base: string;
  readonly token: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Jupyter's log so far (with output "capture"). */
  log(): string;
  /** Resolves when the server process has exited. */
  readonly exited: Promise<number | null>;
  /** Shuts the server down through its API (which ends its kernels), then by signal if it lingers. */
  stop(): Promise<void>;
}

/** Starts `jupyter lab` on 127.0.0.1 and resolves once it answers its API. */
export async function startLab(opts: LabOptions): Promise<LabServer> {
  const port = opts.port ?? (await freePort());
  const token = opts.token ?? randomBytes(24).toString("hex");
  const args = [
    "-m", "jupyterlab",
    "--ServerApp.ip=127.0.0.1",
    `--ServerApp.port=${port}`,
    // A taken port is an error, not a silent move to another one the printed URL does not name.
    "--ServerApp.port_retries=0",
    `--IdentityProvider.token=${token}`,
    `--ServerApp.root_dir=${opts.rootDir}`,
    opts.openBrowser ? "--ServerApp.open_browser=True" : "--no-browser",
  ];
  // Containers and CI run as root, where Jupyter refuses to start without this.
  if (process.getuid?.() === 0) args.push("--ServerApp.allow_root=True");
  const capture = opts.output === "capture";
  const child = spawn(opts.python, args, {
    cwd: opts.rootDir,
    // Its own process group: a Ctrl-C at the terminal reaches only the caller, which stops the
    // server through its API (Jupyter would otherwise ask on stdin whether to shut down).
    detached: true,
    env: opts.env,
    stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
  });
  let log = "";
  const keep = (b: Buffer) => {
    log += b.toString("utf8");
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code ?? -1));
  const spawnError = new Promise<Error>((resolve) => child.on("error", resolve));

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (opts.startTimeoutMs ?? 120_000);
  const tail = () => (capture ? `\n${log.trim().split("\n").slice(-20).join("\n")}` : " (its log is above)");
  for (;;) {
    if (exitCode !== undefined) throw new LabSetupError(`JupyterLab exited with ${exitCode} before it answered on ${base}${tail()}`);
    const failed = await Promise.race([spawnError, sleep(500).then(() => null)]);
    if (failed !== null) throw new LabSetupError(`cannot start ${opts.python}: ${failed.message}`);
    if (await answers(`${base}/api/status`, token)) break;
    if (Date.now() > deadline) {
      killGroup(child, "SIGKILL");
      throw new LabSetupError(`JupyterLab did not answer on ${base} within ${(opts.startTimeoutMs ?? 120_000) / 1000} s${tail()}`);
    }
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (exitCode !== undefined) return;
      await fetch(`${base}/api/shutdown`, { method: "POST", headers: { Authorization: `token ${token}` } }).catch(() => undefined);
      if (await Promise.race([exited.then(() => true), sleep(30_000).then(() => false)])) return;
      killGroup(child, "SIGTERM");
      if (await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) return;
      killGroup(child, "SIGKILL");
      await exited;
    })());
  return { url: `${base}/lab?token=${token}`, base, token, port, child, log: () => log, exited, stop };
}

async function answers(url: string, token: string): Promise<boolean> {
  try {
    const res = await fetch(url, { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(5000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Signals the server's process group (the kernels run in sessions of their own). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** `preferred` if nothing listens on it, else a port the OS picks. */
export function freePort(preferred = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", (err: NodeJS.ErrnoException) => (preferred !== 0 && err.code === "EADDRINUSE" ? resolve(freePort()) : reject(err)));
    server.listen(preferred, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
