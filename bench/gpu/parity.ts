/**
 * The encoder on several backends against the parity fixtures (test/fixtures/parity/tiny-*):
 * for every case, the max abs difference of the last hidden state and of the sentence embedding
 * from expected.json, and from the first backend listed (webgpu against wasm, by default).
 * test/model/parity.test.ts checks wasm in CI; this is for the backends CI cannot run.
 *
 *   node dist/bench/gpu/parity.js [--backends wasm,webgpu] [--fixtures test/fixtures/parity] [--out FILE.json]
 */
import * as tf from "@tensorflow/tfjs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { finish, report, startBackend } from "./common.js";

const MODELS = ["tiny-xlmr", "tiny-bert"] as const;
/** What test/model/parity.test.ts allows on wasm. */
const TOLERANCE = 1e-4;
const USAGE = `usage: node dist/bench/gpu/parity.js [--backends wasm,webgpu] [--fixtures test/fixtures/parity] [--out FILE.json]
Max abs differences of the encoder on each backend from the parity fixtures' expected.json and from the first backend.`;

interface Case {
  name: string;
  texts: string[];
  text_pairs: string[] | null;
  max_length: number;
  last_hidden_state: number[][][];
  embedding: number[][];
}

interface Outputs {
  hidden: Float32Array;
  embedding: Float32Array;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Every case of one fixture model on the active backend. */
async function runModel(dir: string, cases: readonly Case[]): Promise<Map<string, Outputs>> {
  const st = await loadSentenceEncoder(dir);
  const out = new Map<string, Outputs>();
  try {
    for (const c of cases) {
      const batch = st.encodeInputs(
        c.texts.map((text, i) => ({ text, context: c.text_pairs?.[i] })),
        { maxLength: c.max_length },
      );
      const hidden = st.hiddenStates(batch);
      const emb = st.forward(batch);
      out.set(c.name, { hidden: (await hidden.data()) as Float32Array, embedding: (await emb.data()) as Float32Array });
      tf.dispose([hidden, emb]);
    }
  } finally {
    st.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      backends: { type: "string", default: "wasm,webgpu" },
      fixtures: { type: "string", default: "test/fixtures/parity" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const backends = values.backends!.split(",").filter((b) => b !== "");
  const fixtures = resolve(values.fixtures!);
  const expected = new Map<string, { reference: string; cases: Case[] }>();
  for (const m of MODELS) expected.set(m, JSON.parse(await readFile(join(fixtures, m, "expected.json"), "utf8")));

  const results: Record<string, unknown>[] = [];
  const first = new Map<string, Map<string, Outputs>>(); // model → outputs on backends[0]
  const failed: string[] = [];
  for (const name of backends) {
    let active: string;
    try {
      active = await startBackend(name);
    } catch (err) {
      results.push({ backend: name, error: (err as Error).message });
      failed.push(`${name}: did not start`);
      continue;
    }
    for (const m of MODELS) {
      const { cases } = expected.get(m)!;
      const outputs = await runModel(join(fixtures, m), cases);
      if (!first.has(m)) first.set(m, outputs);
      const base = first.get(m)!;
      for (const c of cases) {
        const o = outputs.get(c.name)!;
        const row = {
          backend: active,
          model: m,
          case: c.name,
          hiddenVsExpected: maxAbsDiff(o.hidden, c.last_hidden_state.flat(2)),
          embeddingVsExpected: maxAbsDiff(o.embedding, c.embedding.flat()),
          hiddenVsFirstBackend: maxAbsDiff(o.hidden, base.get(c.name)!.hidden),
          embeddingVsFirstBackend: maxAbsDiff(o.embedding, base.get(c.name)!.embedding),
        };
        results.push(row);
        if (!(row.hiddenVsExpected <= TOLERANCE && row.embeddingVsExpected <= TOLERANCE)) failed.push(`${active} ${m} ${c.name}`);
      }
      const rows = results.filter((r) => r.backend === active && r.model === m) as { hiddenVsExpected: number; embeddingVsExpected: number; hiddenVsFirstBackend: number }[];
      const worst = (k: "hiddenVsExpected" | "embeddingVsExpected" | "hiddenVsFirstBackend") => Math.max(...rows.map((r) => r[k])).toExponential(2);
      console.error(`${active} ${m}: max abs diff vs expected: hidden ${worst("hiddenVsExpected")}, embedding ${worst("embeddingVsExpected")}; hidden vs ${backends[0]} ${worst("hiddenVsFirstBackend")}`);
    }
  }
  const reference = [...expected.values()][0].reference;
  await report({ bench: "parity", reference, tolerance: TOLERANCE, backends, ok: failed.length === 0, failed, results }, values.out);
  if (failed.length > 0) process.exitCode = 1;
}

try {
  await main();
} catch (err) {
  console.error(`parity: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
}
finish();
