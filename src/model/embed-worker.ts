/**
 * Worker side of `EmbedPool`: its own tfjs backend and its own copy of the model, built from
 * the main thread's weights; embeds the tokenised batches it is sent, one at a time, in order.
 */
import { parentPort, workerData } from "node:worker_threads";
import { initBackend, type BackendName } from "../compute/backend.js";
import type { EncodedBatch } from "./inputs.js";
import { SentenceEncoder, type SentenceEncoderParts } from "./sentence-encoder.js";

export interface EmbedWorkerInit {
  /** Weights over SharedArrayBuffers: every worker reads the same memory. */
  readonly parts: SentenceEncoderParts;
  readonly backend: BackendName;
}

export interface EmbedRequest {
  readonly id: number;
  readonly batch: EncodedBatch;
}

export type EmbedReply =
  | { readonly type: "ready" }
  /** [batch × dim] row-major, in the batch's row order. */
  | { readonly type: "done"; readonly id: number; readonly data: Float32Array }
  | { readonly type: "error"; readonly id: number | null; readonly error: string };

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function serve(init: EmbedWorkerInit): Promise<void> {
  await initBackend(init.backend);
  const model = new SentenceEncoder(init.parts);
  parentPort!.on("message", (request: EmbedRequest) => {
    void (async () => {
      let reply: EmbedReply;
      const transfer: ArrayBuffer[] = [];
      try {
        const emb = model.forward(request.batch);
        const data = (await emb.data()) as Float32Array;
        emb.dispose();
        reply = { type: "done", id: request.id, data };
        transfer.push(data.buffer as ArrayBuffer);
      } catch (error) {
        reply = { type: "error", id: request.id, error: message(error) };
      }
      parentPort!.postMessage(reply, transfer);
    })();
  });
}

if (parentPort) {
  serve(workerData as EmbedWorkerInit).then(
    () => parentPort!.postMessage({ type: "ready" } satisfies EmbedReply),
    (error: unknown) => parentPort!.postMessage({ type: "error", id: null, error: message(error) } satisfies EmbedReply),
  );
}
