/**
 * Picks the tfjs backend. Candidates are tried in order of preference; each one's `init` either
 * makes it the active backend or throws saying why not, so adding one (tensorflow, webgpu) is
 * one more entry in `CANDIDATES`.
 */
import * as tf from "@tensorflow/tfjs";

/** A concrete backend, or "auto" for the first of `CANDIDATES` that starts. */
export type BackendName = "auto" | "wasm" | "cpu";

interface BackendCandidate {
  readonly name: Exclude<BackendName, "auto">;
  /** Makes this the active backend, or throws with the reason it cannot be. */
  readonly init: () => Promise<void>;
}

async function activate(name: string): Promise<void> {
  // setBackend reports a failed start as `false` (after logging its own warning), not a throw.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

const CANDIDATES: readonly BackendCandidate[] = [
  {
    // XNNPACK kernels: several times the pure-JS cpu backend on matMul; single-threaded in Node.
    name: "wasm",
    init: async () => {
      await import("@tensorflow/tfjs-backend-wasm"); // registers "wasm" with the engine
      await activate("wasm");
    },
  },
  { name: "cpu", init: () => activate("cpu") },
];

/**
 * Sets the tfjs backend and returns the name of the one now active. "auto" takes the first
 * candidate that starts (wasm, then cpu), reporting each one skipped and why through `log`; a
 * named backend that fails to start is an error rather than a silent fallback.
 *
 * @example
 * const backend = await initBackend(); // "wasm"
 */
export async function initBackend(
  name: BackendName = "auto",
  log: (message: string) => void = (message) => console.warn(message),
): Promise<string> {
  const candidates = name === "auto" ? CANDIDATES : CANDIDATES.filter((c) => c.name === name);
  if (candidates.length === 0) {
    throw new Error(`unknown backend '${name}' (expected one of: auto, ${CANDIDATES.map((c) => c.name).join(", ")})`);
  }
  const reasons: string[] = [];
  for (const candidate of candidates) {
    try {
      await candidate.init();
      return tf.getBackend();
    } catch (error) {
      const reason = `${candidate.name}: ${error instanceof Error ? error.message : String(error)}`;
      reasons.push(reason);
      if (name === "auto") log(`backend ${reason}; trying the next one`);
    }
  }
  throw new Error(`no tfjs backend could start (${reasons.join("; ")})`);
}
