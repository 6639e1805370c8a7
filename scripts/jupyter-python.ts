/**
 * Finds (or sets up) a Python that can execute notebooks headless, so `npm ci && npm run
 * reproduce` is the whole set-up on a fresh Debian/Ubuntu machine. In order: HYBRID_IR_PYTHON if
 * set; the system Python; a venv the project made earlier; Debian's packages through apt (as
 * root or with password-less sudo); a venv under .jupyter/ filled by pip (needs PyPI).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const MODULES = ["nbconvert", "nbclient", "jupyter_client"];
const APT_PACKAGES = ["python3-nbconvert", "python3-nbclient", "python3-jupyter-client"];
const SYSTEM_PYTHON = "/usr/bin/python3";

function canExecute(python: string): boolean {
  return spawnSync(python, ["-c", `import ${MODULES.join(", ")}`], { stdio: "ignore" }).status === 0;
}

function run(command: string, args: string[]): boolean {
  console.log(`$ ${command} ${args.join(" ")}`);
  return spawnSync(command, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
}

function tryApt(): boolean {
  if (spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) return false;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status !== 0) return false;
  const asRoot = (args: string[]) => (isRoot ? run(args[0], args.slice(1)) : run("sudo", ["-n", ...args]));
  return (
    asRoot(["apt-get", "update", "-q"]) &&
    asRoot(["apt-get", "install", "-y", "-q", "--no-install-recommends", ...APT_PACKAGES]) &&
    canExecute(SYSTEM_PYTHON)
  );
}

function tryVenv(venv: string): boolean {
  const python = join(venv, "bin", "python");
  return (
    (existsSync(python) || run("python3", ["-m", "venv", venv])) &&
    run(python, ["-m", "pip", "install", "-q", ...MODULES]) &&
    canExecute(python)
  );
}

/** Returns a Python with nbconvert, nbclient and jupyter_client, or throws saying what to install. */
export function jupyterPython(jupyterDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env.HYBRID_IR_PYTHON;
  if (chosen !== undefined) {
    if (canExecute(chosen)) return chosen;
    throw new Error(`HYBRID_IR_PYTHON=${chosen} cannot import ${MODULES.join(", ")}`);
  }
  const venv = join(jupyterDir, "venv");
  const venvPython = join(venv, "bin", "python");
  if (canExecute(SYSTEM_PYTHON)) return SYSTEM_PYTHON;
  if (existsSync(venvPython) && canExecute(venvPython)) return venvPython;
  console.log(`${SYSTEM_PYTHON} lacks ${MODULES.join(", ")}; installing them`);
  if (tryApt()) return SYSTEM_PYTHON;
  if (tryVenv(venv)) return venvPython;
  throw new Error(
    `no Python can execute the notebooks. Install ${APT_PACKAGES.join(" ")} with apt-get, ` +
      `or \`pip install ${MODULES.join(" ")}\` and set HYBRID_IR_PYTHON to that python`,
  );
}
