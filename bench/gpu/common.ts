/**
 * What the GPU bench entry points share: starting a backend with a record of the device, timing
 * that waits for the device, and one JSON result per run (stdout and, with --out, a file).
 * These run from the offline bundle on the GPU machine (bench/gpu/run.sh), so they import only
 * what the bundle packs.
 */
import * as tf from "@tensorflow/tfjs";
import { writeFile } from "node:fs/promises";
import { BACKEND_NAMES, initBackend, isBackendName } from "../../src/compute/backend.js";
import { randomInt, type Random } from "../../src/util/random.js";
import { stderrLogger } from "../../src/util/logger.js";

/** What is known about the active backend's device: tfjs-backend-webgpu's adapter info, if any. */
export function deviceInfo(): Record<string, unknown> {
  const backend = tf.backend() as { adapterInfo?: { vendor?: string; architecture?: string } };
  const info: Record<string, unknown> = { backend: tf.getBackend() };
  if (backend.adapterInfo) info.adapter = { vendor: backend.adapterInfo.vendor, architecture: backend.adapterInfo.architecture };
  return info;
}

/** Starts `name` (throws if it cannot), logging to stderr. */
export async function startBackend(name: string): Promise<string> {
  if (!isBackendName(name)) throw new Error(`--backend: '${name}' is not one of ${BACKEND_NAMES.join(", ")}`);
  return initBackend(name, stderrLogger());
}

/** An integer option ≥ min, or its default. */
export function intOption(flag: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag}: '${text}' is not an integer ≥ ${min}`);
  return n;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Prints the result as one JSON line and writes it to `out` when given. */
export async function report(result: Record<string, unknown>, out: string | undefined): Promise<void> {
  const text = JSON.stringify(result);
  console.log(text);
  if (out !== undefined) await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
}

/**
 * Ends the process. Dawn keeps Node alive while its GPU object is referenced, and tfjs keeps
 * it, so a bench that is done exits explicitly.
 */
export function finish(): never {
  process.exit(process.exitCode ?? 0);
}

/**
 * A full batch (no padding): [batch, tokens] ids uniform in [5, vocab), `<s>` = 0 first and
 * `</s>` = 2 last, mask all ones — what bench/gpu/torch_step.py feeds PyTorch.
 */
export function fullBatch(rand: Random, batch: number, tokens: number, vocab: number): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const ids = new Int32Array(batch * tokens);
  for (let r = 0; r < batch; r++) {
    for (let t = 0; t < tokens; t++) ids[r * tokens + t] = t === 0 ? 0 : t === tokens - 1 ? 2 : 5 + randomInt(rand, vocab - 5);
  }
  return {
    inputIds: tf.tensor2d(ids, [batch, tokens], "int32"),
    attentionMask: tf.ones([batch, tokens], "int32") as tf.Tensor2D,
  };
}
