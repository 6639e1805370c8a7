/**
 * The Python reference for the parity tests: the project venv with python/requirements/parity.txt
 * (scripts/python-env.sh), running scripts/parity/hf_reference.py. Under CI=true a missing
 * library is a test failure (CI installs it); elsewhere the tests fall back or skip and say
 * what to install.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const INSTALL_HINT =
  "transformers / sentence-transformers not available: apt-get install python3-torch libopenblas0-pthread python3-venv, then scripts/python-env.sh parity";

export type ReferencePython = { readonly python: string } | { readonly missing: string };

let cached: ReferencePython | undefined;

/** The venv's python if transformers and sentence-transformers import there. */
export function referencePython(): ReferencePython {
  if (cached) return cached;
  const env = spawnSync("scripts/python-env.sh", ["parity"], { cwd: ROOT, encoding: "utf8", timeout: 20 * 60_000 });
  if (env.status !== 0) return (cached = { missing: `${INSTALL_HINT} (python-env.sh: ${(env.stderr || env.error?.message || "").trim().split("\n").pop()})` });
  const python = env.stdout.trim();
  const probe = spawnSync(python, ["-c", "import torch, transformers, sentence_transformers"], { encoding: "utf8", timeout: 5 * 60_000 });
  if (probe.status !== 0) return (cached = { missing: `${INSTALL_HINT} (${(probe.stderr || "").trim().split("\n").pop()})` });
  return (cached = { python });
}

/** One request to scripts/parity/hf_reference.py; its JSON answer. */
export function runReference<T>(python: string, request: unknown): T {
  const res = spawnSync(python, ["scripts/parity/hf_reference.py"], {
    cwd: ROOT,
    input: JSON.stringify(request),
    encoding: "utf8",
    maxBuffer: 1 << 30,
    timeout: 30 * 60_000,
  });
  if (res.status !== 0) throw new Error(`hf_reference.py failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

export const IN_CI = process.env.CI === "true" || process.env.CI === "1";
