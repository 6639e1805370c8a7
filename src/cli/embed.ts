import { readFile } from "node:fs/promises";
import { initBackend } from "../compute/backend.js";
import { DataError } from "../util/errors.js";
import { writeNpy } from "../data/npy.js";
import type { TextInput } from "../model/inputs.js";
import { loadModel } from "../model/load.js";
import { progressBar } from "../util/progress.js";
import { backendArg, intArg, parse, threadsArg, UsageError } from "./args.js";

export const usage = `usage: hybrid-ir embed --model DIR|HUB_ID|mini|xlm-r-base|labse --input FILE.jsonl --out FILE.npy
       [--batch-size 32] [--max-length N] [--prefix STR] [--backend auto|tensorflow|webgpu|wasm|cpu] [--seed N]
       [--threads N]

Input lines are {"text": ...} or {"text": ..., "context": ...} (the context becomes a second
segment). Output: float32 .npy, one row per input line, L2-normalised when the model normalises.
--threads: worker threads to embed on (default \$HYBRID_IR_THREADS, else the number of cores;
1 = the main thread); the output is the same bit for bit whatever the count.`;

export async function readTextInputs(file: string): Promise<TextInput[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new DataError(file, "file is missing");
  }
  return parseTextInputs(text, file);
}

/** The lines of an embed input file; `file` names it in errors. Blank lines are skipped; CRLF and a BOM are accepted. */
export function parseTextInputs(text: string, file: string): TextInput[] {
  const inputs: TextInput[] = [];
  text.replace(/^\uFEFF/, "").split("\n").forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new DataError(file, `line ${i + 1}: invalid JSON (${(err as Error).message})`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) throw new DataError(file, `line ${i + 1}: expected a JSON object, got ${JSON.stringify(row)}`);
    const r = row as { text?: unknown; context?: unknown };
    if (typeof r.text !== "string") throw new DataError(file, `line ${i + 1}: needs a string "text"`);
    const unknown = Object.keys(r).filter((k) => k !== "text" && k !== "context");
    if (unknown.length > 0) throw new DataError(file, `line ${i + 1}: unknown field ${unknown.map((k) => `'${k}'`).join(", ")} (allowed: text, context)`);
    if (r.context !== undefined && typeof r.context !== "string") throw new DataError(file, `line ${i + 1}: "context" must be a string`);
    inputs.push({ text: r.text, context: r.context as string | undefined });
  });
  if (inputs.length === 0) throw new DataError(file, "holds no input lines");
  return inputs;
}

export async function run(argv: string[]): Promise<void> {
  const { values } = parse(
    argv,
    {
      model: { type: "string" },
      input: { type: "string" },
      out: { type: "string" },
      "batch-size": { type: "string", default: "32" },
      "max-length": { type: "string" },
      prefix: { type: "string", default: "" },
      backend: { type: "string", default: "auto" },
      seed: { type: "string", default: "0" },
      threads: { type: "string" },
    },
    usage,
  );
  if (!values.model || !values.input || !values.out) throw new UsageError(`--model, --input and --out are required\n\n${usage}`);
  const batchSize = intArg("--batch-size", values["batch-size"], 1);
  const maxLength = values["max-length"] === undefined ? undefined : intArg("--max-length", values["max-length"], 2);
  const seed = intArg("--seed", values.seed, 0);
  const threads = threadsArg(values.threads);
  const backendName = backendArg(values.backend);
  const inputs = await readTextInputs(values.input);
  const backend = await initBackend(backendName);
  const { model } = await loadModel(values.model, { corpus: () => inputs.flatMap((i) => [i.text, i.context ?? ""]), seed });
  try {
    console.error(`embedding ${inputs.length} inputs with ${values.model} (dim ${model.dim}) on ${backend}`);
    const bar = progressBar("embed", inputs.length);
    const data = await model.embed(inputs, { batchSize, maxLength, prefix: values.prefix, threads, onProgress: (done) => bar.update(done) });
    bar.finish();
    await writeNpy(values.out, { data, rows: inputs.length, cols: model.dim });
    console.error(`wrote ${values.out} [${inputs.length} × ${model.dim}]`);
  } finally {
    model.dispose();
  }
}
