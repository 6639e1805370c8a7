/**
 * Picks the tfjs backend. Candidates are tried in order of preference; each one's `init` either
 * makes it the active backend or throws saying why not, so adding one is one more entry in
 * `CANDIDATES`. Every package beyond @tensorflow/tfjs is imported dynamically: a missing
 * optional package is a reason to skip its candidate, not a crash at load.
 */
import * as tf from "@tensorflow/tfjs";
import { blasThreadsFromEnv, describeMatMul, matMulChoiceFromEnv, useBlas, useXnnpack } from "./blas.js";
import { installWasmKernels } from "./wasm-kernels.js";
import { startThreadedWasm, wasmThreadsFromEnv } from "./wasm-threads.js";
import { stderrLogger, type Logger } from "../util/logger.js";

/** The backends a config or flag may name: a concrete one, or "auto" for the first of `CANDIDATES` that starts. */
export const BACKEND_NAMES = ["auto", "tensorflow", "webgpu", "wasm", "cpu"] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

interface BackendCandidate {
  readonly name: Exclude<BackendName, "auto">;
  /** What is tried, for the log ("@tensorflow/tfjs-node-gpu"); defaults to `name`. */
  readonly label?: string;
  /** Makes this the active backend, or throws with the reason it cannot be. */
  readonly init: () => Promise<void>;
}

/** A candidate that started but cannot be used as configured: an error, not a reason to try the next one. */
class BackendSetupError extends Error {}

async function activate(name: string): Promise<void> {
  // setBackend reports a failed start as `false` (after logging its own warning), not a throw.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

/**
 * Imports a package that may not be installed. Node's "cannot find" error names the importing
 * file and a stack; the one line a log needs is that the package is absent.
 */
async function importOptional(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") throw new Error(`${specifier} is not installed`);
    throw error;
  }
}

/**
 * TensorFlow's C library through a Node binding. The binding registers a backend named
 * "tensorflow"; a package under the same name that does not (npm aliases of plain
 * @tensorflow/tfjs exist, e.g. for danfojs-node) is not the binding.
 */
function tensorflowCandidate(pkg: string): BackendCandidate {
  return {
    name: "tensorflow",
    label: pkg,
    init: async () => {
      await importOptional(pkg);
      if (tf.findBackendFactory("tensorflow") === null) {
        throw new Error(`${pkg} is installed but registers no "tensorflow" backend (not the native binding)`);
      }
      await activate("tensorflow");
    },
  };
}

/** The object the `webgpu` package (Dawn's Node binding) exports, as far as it is used here. */
interface DawnModule {
  create(options: string[]): { requestAdapter(options?: object): Promise<unknown> };
  globals: object;
}

/**
 * WebGPU through Dawn (the `webgpu` package) and @tensorflow/tfjs-backend-webgpu. The adapter
 * is requested here first: without a usable GPU Dawn returns null, which tfjs would only
 * discover later as a TypeError inside its backend factory.
 */
const webgpuCandidate: BackendCandidate = {
  name: "webgpu",
  init: async () => {
    const dawn = (await importOptional("webgpu")) as DawnModule;
    const gpu = dawn.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter === null || adapter === undefined) throw new Error("Dawn found no GPU adapter (requestAdapter returned null)");
    // tfjs-backend-webgpu reads navigator.gpu and the GPU* constants as globals, and registers
    // its backend at import only if navigator.gpu is already there.
    const g = globalThis as { navigator?: { gpu?: unknown } };
    Object.assign(globalThis, dawn.globals);
    if (g.navigator === undefined) g.navigator = { gpu };
    else Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
    try {
      await importOptional("@tensorflow/tfjs-backend-webgpu");
      if (tf.findBackendFactory("webgpu") === null) throw new Error("@tensorflow/tfjs-backend-webgpu registered no backend");
      await activate("webgpu");
    } catch (error) {
      // Dawn keeps Node alive while a reference to its GPU object remains.
      delete g.navigator?.gpu;
      throw error;
    }
  },
};

const CANDIDATES: readonly BackendCandidate[] = [
  tensorflowCandidate("@tensorflow/tfjs-node-gpu"),
  tensorflowCandidate("@tensorflow/tfjs-node"),
  webgpuCandidate,
  {
    // XNNPACK kernels: several times the pure-JS cpu backend on matMul; single-threaded in Node.
    // The overrides make training on it practical (see wasm-kernels.ts).
    name: "wasm",
    init: async () => {
      // HYBRID_IR_WASM_THREADS > 1: the multi-threaded build (wasm-threads.ts), opt-in while it is
      // new; possible only while this process has not yet loaded the wasm module.
      const threads = wasmThreadsFromEnv();
      if (threads > 1 && tf.findBackendFactory("wasm") === null) {
        await startThreadedWasm(threads);
      } else {
        await import("@tensorflow/tfjs-backend-wasm"); // registers "wasm" with the engine
        await activate("wasm");
      }
      installWasmKernels();
      chooseMatMul();
    },
  },
  { name: "cpu", init: () => activate("cpu") },
];

/**
 * Puts the wasm backend's matrix products on the BLAS (blas.ts) or on XNNPACK, as
 * $HYBRID_IR_MATMUL asks: "auto" takes the BLAS when it opens, "blas" requires it. The BLAS
 * reads the heap as an ArrayBuffer, which the threaded build's shared memory is not, so
 * HYBRID_IR_WASM_THREADS > 1 keeps XNNPACK. BLAS threads: $HYBRID_IR_BLAS_THREADS, else 1.
 */
function chooseMatMul(): void {
  const choice = matMulChoiceFromEnv();
  const shared = wasmHeapIsShared();
  if (choice === "xnnpack" || (choice === "auto" && shared)) {
    useXnnpack();
    return;
  }
  if (shared) throw new BackendSetupError("HYBRID_IR_MATMUL=blas needs the single-threaded wasm build (unset HYBRID_IR_WASM_THREADS)");
  try {
    useBlas(blasThreadsFromEnv());
  } catch (error) {
    if (choice === "blas") throw new BackendSetupError(`HYBRID_IR_MATMUL=blas: ${error instanceof Error ? error.message : String(error)}`);
    useXnnpack();
  }
}

/** Whether the active wasm backend's heap is a SharedArrayBuffer (the threaded build). */
function wasmHeapIsShared(): boolean {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return wasm?.HEAPU8?.buffer instanceof SharedArrayBuffer;
}

const NAMES: readonly Exclude<BackendName, "auto">[] = [...new Set(CANDIDATES.map((c) => c.name))];

/**
 * Sets the tfjs backend and returns the name of the one now active. "auto" takes the first
 * candidate that starts (the TensorFlow binding with GPU, then without, WebGPU, wasm, cpu),
 * logging (debug) each candidate skipped and why, then (info) the one chosen; a named backend tries
 * only its own candidates and failing to start is an error rather than a silent fallback.
 * Choosing wasm also installs this project's wasm kernels (once).
 *
 * @example
 * const backend = await initBackend(); // "wasm" on a machine without GPU or TensorFlow binding
 */
// stderr by default: commands that print data on stdout (--json, a run file) call this too.
export async function initBackend(name: BackendName = "auto", logger: Logger = stderrLogger()): Promise<string> {
  // Bad values are errors even when another backend would start.
  wasmThreadsFromEnv();
  matMulChoiceFromEnv();
  blasThreadsFromEnv();
  const candidates = name === "auto" ? CANDIDATES : CANDIDATES.filter((c) => c.name === name);
  if (candidates.length === 0) {
    throw new Error(`unknown backend '${name}' (expected one of: auto, ${NAMES.join(", ")})`);
  }
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const label = candidate.label ?? candidate.name;
    try {
      await candidate.init();
      const products = tf.getBackend() === "wasm" ? `, matrix products on ${describeMatMul()}` : "";
      if (name === "auto") logger.info(`backend ${tf.getBackend()} chosen${label === tf.getBackend() ? "" : ` (${label})`}${products}`);
      return tf.getBackend();
    } catch (error) {
      if (error instanceof BackendSetupError) throw error;
      const reason = `${label}: ${error instanceof Error ? error.message : String(error)}`;
      reasons.push(reason);
      if (name === "auto") logger.debug(`backend ${reason}; trying the next one`);
    }
  }
  throw new Error(`no tfjs backend could start (${reasons.join("; ")})`);
}
