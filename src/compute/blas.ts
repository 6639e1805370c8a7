/**
 * Which engine computes the wasm backend's matrix products: XNNPACK inside the wasm module, or
 * the machine's BLAS (OpenBLAS, Accelerate, MKL) through the native module built from
 * native/blas_matmul.cc, which reads and writes the wasm heap in place (no copies).
 *
 * Why: matrix products are about 88% of an encoder's training step on wasm (bench/results), and
 * XNNPACK there has 128-bit SIMD without FMA on one thread, about a quarter of OpenBLAS's AVX2
 * kernels on the same core. `$HYBRID_IR_MATMUL` chooses: `auto` (the default) takes the BLAS when
 * the native module was built and a BLAS library opens, else XNNPACK; `blas` requires it; and
 * `xnnpack` keeps tfjs's own engine (what every run before this module used).
 *
 * Results are deterministic for one engine and one BLAS thread count, and differ in the last
 * bits between engines and between thread counts (OpenBLAS splits the work differently). So the
 * BLAS runs on one thread unless `$HYBRID_IR_BLAS_THREADS` asks for more: a run then gives the
 * same bits whatever else shares the machine (two grid runs side by side, or one alone), and the
 * cores are used by running several runs, or encoding workers, at once. A run records the engine
 * and its threads in its provenance (`matMulProvenance`), and verifying a shipped run uses the
 * setting it was trained with.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { packageRoot } from "../paths.js";
import { threadCountFromEnv } from "./threads.js";

export const MATMUL_ENV = "HYBRID_IR_MATMUL";
/** A BLAS library to open instead of the usual names (a path, or a name the loader finds). */
export const BLAS_LIBRARY_ENV = "HYBRID_IR_BLAS_LIBRARY";
/** Threads for each product of the training thread (default 1; see `blasThreadsFromEnv`). */
export const BLAS_THREADS_ENV = "HYBRID_IR_BLAS_THREADS";
/** OpenBLAS's usual build limit (MAX_THREADS=64). */
export const MAX_BLAS_THREADS = 64;

export const MATMUL_CHOICES = ["auto", "blas", "xnnpack"] as const;
export type MatMulChoice = (typeof MATMUL_CHOICES)[number];
export type MatMulEngine = Exclude<MatMulChoice, "auto">;

/** The native module's functions (native/blas_matmul.cc says what each argument is). */
interface NativeModule {
  open(candidates: readonly string[]): string;
  matmul(
    heap: ArrayBufferLike,
    a: number,
    b: number,
    out: number,
    bias: number,
    batch: number,
    strideA: number,
    strideB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    threads: number,
  ): void;
}

/** The sizes of a batch of products: out[i] = op(a[i]) · op(b[i]), i < batch, each [m, n] with inner size k. */
export interface ProductShape {
  readonly batch: number;
  /** Floats between a's (b's) batch slices; 0 uses one slice for the whole batch. */
  readonly strideA: number;
  readonly strideB: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** One product the BLAS runs, on operands in the wasm heap (+ bias). */
export interface BlasProduct extends ProductShape {
  /** The wasm heap the byte offsets below point into. */
  readonly heap: ArrayBufferLike;
  readonly a: number;
  readonly b: number;
  readonly out: number;
  /** Byte offset of n values added to every output row, or -1 for none. */
  readonly bias: number;
  /** a's slices are [k, m] (b's are [n, k]) and enter the product transposed. */
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

/** The BLAS the products run on now. */
export interface ActiveBlas {
  /** The library opened, with OpenBLAS's build description when it gives one. */
  readonly library: string;
  /** Threads each product gets (see `withBlasThreads`). */
  readonly threads: number;
  /** Products run so far (for profiles, and tests that the BLAS path was taken). */
  readonly calls: number;
  run(product: BlasProduct): void;
}

/** What a run records of its matrix products (provenance.matmul). */
export interface MatMulProvenance {
  readonly engine: MatMulEngine;
  /** BLAS threads; null for XNNPACK. */
  readonly threads: number | null;
  /** The BLAS library; null for XNNPACK. */
  readonly library: string | null;
}

let active: ActiveBlas | null = null;
let loaded: { module: NativeModule; library: string } | null = null;

/** `$HYBRID_IR_MATMUL`, checked: unset or empty is "auto", anything but the three choices an Error naming the variable. */
export function matMulChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): MatMulChoice {
  const raw = env[MATMUL_ENV]?.trim() ?? "";
  if (raw === "") return "auto";
  if (!(MATMUL_CHOICES as readonly string[]).includes(raw)) {
    throw new Error(`${MATMUL_ENV}=${raw}: expected one of ${MATMUL_CHOICES.join(", ")}`);
  }
  return raw as MatMulChoice;
}

/** `$HYBRID_IR_BLAS_THREADS`, checked: unset or empty is 1, anything but a whole number from 1 to 64 an Error naming the variable. */
export function blasThreadsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return threadCountFromEnv(BLAS_THREADS_ENV, MAX_BLAS_THREADS, env);
}

/** Where `npm run build` puts the native module (scripts/build-native.ts). */
export function nativeModulePath(): string {
  return join(packageRoot(), "dist", "native", "blas_matmul.node");
}

/**
 * The libraries tried, in order: `$HYBRID_IR_BLAS_LIBRARY` alone when set, else OpenBLAS under its
 * usual names, then Apple's Accelerate and Intel's MKL. Reference BLAS (libblas.so.3) is left
 * out on purpose: it is slower than XNNPACK.
 */
export function blasLibraryCandidates(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const chosen = env[BLAS_LIBRARY_ENV]?.trim();
  if (chosen) return [chosen];
  if (platform === "darwin") {
    return ["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib", "/System/Library/Frameworks/Accelerate.framework/Accelerate"];
  }
  return ["libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libmkl_rt.so.2", "libmkl_rt.so"];
}

/**
 * Loads the native module and opens a BLAS (once per process), returning the library's
 * description; throws an Error saying what is missing and how to get it.
 */
export function openBlas(env: NodeJS.ProcessEnv = process.env): string {
  if (loaded !== null) return loaded.library;
  const path = nativeModulePath();
  if (!existsSync(path)) {
    throw new Error(`the native BLAS module is not built (${path}): run \`npm run build\` with a C++ compiler installed`);
  }
  const module = createRequire(import.meta.url)(path) as NativeModule;
  let library: string;
  try {
    library = module.open(blasLibraryCandidates(env));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`no BLAS library opened (${reason}); on Debian/Ubuntu: apt install libopenblas0-pthread`);
  }
  loaded = { module, library };
  return library;
}

/**
 * Runs the wasm backend's products on the BLAS with `threads` threads (process-wide in OpenBLAS,
 * set again by the next call that asks for another count). Throws as `openBlas` does.
 */
export function useBlas(threads: number, env: NodeJS.ProcessEnv = process.env): ActiveBlas {
  checkThreads(threads);
  const library = openBlas(env);
  const { module } = loaded!;
  const blas = {
    library,
    threads,
    calls: 0,
    run: (p: BlasProduct) => {
      module.matmul(p.heap, p.a, p.b, p.out, p.bias, p.batch, p.strideA, p.strideB, p.m, p.n, p.k, p.transposeA ? 1 : 0, p.transposeB ? 1 : 0, blas.threads);
      blas.calls++;
    },
  };
  active = blas;
  return blas;
}

function checkThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`BLAS threads must be a positive integer, got ${threads}`);
}

/**
 * Runs `body` with the BLAS's products on `threads` threads, then puts the count back. Embedding
 * on the calling thread uses 1, as each worker of an embedding pool does, so that embeddings
 * are the same whatever the number of workers (OpenBLAS's results depend on its thread count).
 */
export async function withBlasThreads<T>(threads: number, body: () => Promise<T>): Promise<T> {
  const restore = setThreads(threads);
  try {
    return await body();
  } finally {
    restore();
  }
}

/** `withBlasThreads` for a synchronous body. */
export function withBlasThreadsSync<T>(threads: number, body: () => T): T {
  const restore = setThreads(threads);
  try {
    return body();
  } finally {
    restore();
  }
}

/** Sets the active BLAS's thread count; returns what puts the previous one back. */
function setThreads(threads: number): () => void {
  checkThreads(threads);
  const blas = active as { threads: number } | null;
  if (blas === null) return () => {};
  const before = blas.threads;
  blas.threads = threads;
  return () => {
    blas.threads = before;
  };
}

/** Back to XNNPACK for every product from now on. */
export function useXnnpack(): void {
  active = null;
}

/** The BLAS the wasm products run on, or null while XNNPACK runs them. */
export function activeBlas(): ActiveBlas | null {
  return active;
}

/** What the products run on now, as a run's provenance records it. */
export function matMulProvenance(): MatMulProvenance {
  return active === null ? { engine: "xnnpack", threads: null, library: null } : { engine: "blas", threads: active.threads, library: active.library };
}

/** One line for logs: "XNNPACK" or "BLAS <library>, N threads". */
export function describeMatMul(p: MatMulProvenance = matMulProvenance()): string {
  return p.engine === "xnnpack" ? "XNNPACK" : `BLAS ${p.library ?? "?"}, ${p.threads} thread${p.threads === 1 ? "" : "s"}`;
}
