/**
 * `npm run bench`: every benchmark of this project, each in its own child process (so each peak
 * RSS is that measurement's own), then one table of our numbers beside PyTorch's, measured on the
 * same machine in the same run:
 *
 *   1. bench/evaluator.ts: the full XQuAD-R evaluation over random 768-d embeddings (targets 20 s
 *      and 2 GiB);
 *   2. bench/encoder.ts --mode embed|train on wasm with the project's kernels, mini, e5-small's shape
 *      (embedding) and base (base training is expected to outgrow wasm's 4 GiB and is reported as
 *      an error), once per engine of the matrix products: XNNPACK on one thread, XNNPACK on the
 *      threaded build with every core (HYBRID_IR_WASM_THREADS, src/compute/wasm-threads.ts), and
 *      the BLAS on every core (HYBRID_IR_MATMUL=blas, src/compute/blas.ts); then e5-small's real
 *      training step (bench/e5/train-whole.ts: batch 32, grad cache, the trained rows of the
 *      vocabulary) on XNNPACK and on the BLAS, when the model is in the cache (not in --quick);
 *   3. bench/torch_bench.py with /usr/bin/python3, when `import torch` works there, for the same
 *      configs and modes;
 *   4. bench/embed-threads.ts: `SentenceEncoder.embed` on 1 and 2 worker threads, mini and (when
 *      in the cache) e5-small, beside PyTorch's mini embed row.
 *
 *   npm run bench                           everything (~25 minutes on 2 cores)
 *   npm run bench -- --quick                fewer repetitions, no base config (~3 minutes)
 *   npm run bench -- --only evaluator|encoder|torch|threads|e5   (or several: --only encoder,torch)
 *   npm run bench -- --only grad-cache      bench/grad-cache.ts: plain vs grad-cached steps, mini and
 *                                           e5-small at batch 32/100/256 (hours on 2 shared cores; not in the default run)
 *   npm run bench -- --engines blas-1,blas-2  only these engines of the matrix products (default: all;
 *                                           xnnpack-1, xnnpack-N threaded, blas-1, blas-N, N the cores)
 *   npm run bench -- --torch-blas-dir DIR   passed to torch_bench.py --blas-dir (also $TORCH_BLAS_DIR)
 *
 * Child output (progress) goes to stderr, each child's JSON lines to stdout as they come, then the
 * table; the table is also written to $BENCH_OUT when that is set.
 */
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

type Json = Record<string, unknown>;

const HERE = path.dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = path.resolve(HERE, "..", "..");
const PYTHON = "/usr/bin/python3";
const EVALUATOR_TARGET_S = 20;
const EVALUATOR_TARGET_MIB = 2048;

interface ChildResult {
  readonly lines: Json[];
  readonly code: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly seconds: number;
  readonly stderrTail: string;
}

/** Runs one child, echoing its stderr, collecting the JSON lines of its stdout. */
function runChild(command: string, args: readonly string[], timeoutS: number, env: NodeJS.ProcessEnv = process.env): Promise<ChildResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    console.error(`\n$ ${[command, ...args].join(" ")}   (load ${loadAvg()})`);
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderrTail = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      process.stderr.write(d);
    });
    child.stderr.on("data", (d: Buffer) => {
      process.stderr.write(d);
      stderrTail = (stderrTail + d.toString()).slice(-2000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const lines: Json[] = [];
      for (const line of stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          lines.push(JSON.parse(line) as Json);
        } catch {
          // a table row or a partial line, not a result
        }
      }
      resolve({ lines, code, signal, timedOut, seconds: (performance.now() - t0) / 1000, stderrTail });
    });
  });
}

function loadAvg(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}

/** Why a child gave no result line, in one line. */
function failure(r: ChildResult, timeoutS: number): string {
  if (r.timedOut) return `timed out after ${timeoutS} s`;
  const last = r.stderrTail.trim().split("\n").filter((l) => l.trim() !== "").slice(-1)[0] ?? "";
  return `exit ${r.code ?? r.signal}${last ? `: ${last.trim().slice(0, 200)}` : ""}`;
}

interface EncoderPlan {
  readonly config: "mini" | "base" | "e5-small";
  readonly mode: "embed" | "train";
  readonly reps: number;
  readonly warmup: number;
  readonly timeoutS: number;
}

function encoderPlans(quick: boolean): EncoderPlan[] {
  if (quick) {
    return [
      { config: "mini", mode: "embed", reps: 3, warmup: 1, timeoutS: 120 },
      { config: "mini", mode: "train", reps: 1, warmup: 1, timeoutS: 180 },
    ];
  }
  return [
    { config: "mini", mode: "embed", reps: 5, warmup: 1, timeoutS: 180 },
    { config: "e5-small", mode: "embed", reps: 3, warmup: 1, timeoutS: 300 },
    { config: "base", mode: "embed", reps: 2, warmup: 1, timeoutS: 300 },
    { config: "mini", mode: "train", reps: 3, warmup: 1, timeoutS: 300 },
    // No warm-up: one step is all there is time for (and it is expected to run out of memory).
    { config: "base", mode: "train", reps: 1, warmup: 0, timeoutS: 300 },
  ];
}

/** One way to compute the wasm backend's matrix products, as the environment of a child. */
interface Engine {
  readonly key: string;
  readonly label: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * XNNPACK and the BLAS on one thread; with more than one core, also XNNPACK on the threaded
 * build and the BLAS on every core (HYBRID_IR_BLAS_THREADS). `keys` keeps only those named.
 */
function engines(keys?: readonly string[]): Engine[] {
  const cores = os.availableParallelism();
  const wasmThreads = Math.min(cores, 8);
  const list: Engine[] = [{ key: "xnnpack-1", label: "XNNPACK, 1 thread", env: { HYBRID_IR_MATMUL: "xnnpack", HYBRID_IR_WASM_THREADS: "1" } }];
  if (wasmThreads > 1) list.push({ key: `xnnpack-${wasmThreads}`, label: `XNNPACK, threaded wasm × ${wasmThreads}`, env: { HYBRID_IR_MATMUL: "xnnpack", HYBRID_IR_WASM_THREADS: String(wasmThreads) } });
  for (const threads of cores > 1 ? [1, cores] : [1]) {
    list.push({ key: `blas-${threads}`, label: `BLAS, ${threads} thread${threads === 1 ? "" : "s"}`, env: { HYBRID_IR_MATMUL: "blas", HYBRID_IR_WASM_THREADS: "1", HYBRID_IR_BLAS_THREADS: String(threads) } });
  }
  if (keys === undefined) return list;
  const unknown = keys.find((k) => !list.some((e) => e.key === k));
  if (unknown !== undefined) throw new Error(`--engines: '${unknown}' is not one of: ${list.map((e) => e.key).join(", ")}`);
  return list.filter((e) => keys.includes(e.key));
}

function fmt(x: unknown, digits = 2): string {
  return typeof x === "number" && Number.isFinite(x) ? x.toFixed(digits) : "—";
}

function mb(x: unknown): string {
  return typeof x === "number" ? `${Math.round(x)} MB` : "—";
}

/** "12.3 sentences/s (2.60 s/batch)", or the error / skip reason. */
function cell(r: Json | undefined): string {
  if (r === undefined) return "not run";
  if (typeof r.error === "string") return `error: ${r.error}`;
  if (typeof r.skipped === "string") return `skipped: ${r.skipped}`;
  return `${fmt(r.throughput)} ${String(r.unit)} (${fmt(r.per_batch_s)} s/batch, n=${String(r.reps)})`;
}

function throughputOf(r: Json | undefined): number | undefined {
  return r !== undefined && typeof r.throughput === "number" ? r.throughput : undefined;
}

/** torch_bench.py's line in the encoder's field names. */
function fromTorch(t: Json): Json {
  if (typeof t.skipped === "string" || typeof t.error === "string") return t;
  const embed = t.mode === "embed";
  const throughput = embed ? t.sentences_per_s : t.pairs_per_s;
  return {
    ...t,
    throughput,
    unit: embed ? "sentences/s" : "pairs/s",
    per_batch_s: typeof t.ms_per_batch_median === "number" ? t.ms_per_batch_median / 1000 : undefined,
    load_avg: t.loadavg_1m_after,
  };
}

/**
 * bench/e5/encode-sample.ts (tfjs) and bench/e5/encode_torch.py (sentence-transformers, the
 * project venv of python/requirements/parity.txt) on the same 256 XQuAD-R texts.
 */
async function benchE5Small(): Promise<{ ours: Json; theirs: Json }> {
  const texts = path.join(os.tmpdir(), `hybrid-ir-e5-bench-${process.pid}`);
  const r = await runChild(process.execPath, [path.join(HERE, "e5", "encode-sample.js"), "--write-texts", texts], 1800);
  const ours = r.lines.find((l) => l.bench === "e5-small") ?? { error: failure(r, 1800) };
  console.log(JSON.stringify(ours));
  let theirs: Json = { skipped: "the tfjs side did not run" };
  if (typeof ours.throughput === "number") {
    const env = spawnSync(path.join(ROOT, "scripts", "python-env.sh"), ["parity"], { encoding: "utf8" });
    const py = env.stdout.trim();
    const model = spawnSync(process.execPath, ["-e", `import("${path.join(ROOT, "dist", "src", "model", "hub.js")}").then(async (h) => console.log(await h.resolveModel("intfloat/multilingual-e5-small", { offline: true })))`], { encoding: "utf8" });
    if (env.status !== 0 || model.status !== 0) theirs = { skipped: `scripts/python-env.sh parity failed: ${env.stderr.trim().split("\n").pop() ?? ""}` };
    else {
      const t = await runChild(py, [path.join(ROOT, "bench", "e5", "encode_torch.py"), "--texts", texts, "--model", model.stdout.trim(), "--out", path.join(texts, "emb"), "--threads", "2"], 1800);
      theirs = t.lines.find((l) => l.bench === "e5-small") ?? { error: failure(t, 1800) };
    }
    console.log(JSON.stringify(theirs));
  }
  spawnSync("rm", ["-rf", texts]);
  return { ours, theirs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      "torch-blas-dir": { type: "string" },
      engines: { type: "string" },
    },
  });
  const parts = ["evaluator", "encoder", "torch", "threads", "e5"] as const;
  const only = values.only;
  if (only === "grad-cache") {
    const r = await runChild(process.execPath, ["--expose-gc", path.join(HERE, "grad-cache.js"), ...(process.env.BENCH_OUT ? ["--out", process.env.BENCH_OUT] : [])], 6 * 3600);
    if (r.code !== 0) throw new Error(`bench/grad-cache.ts: ${failure(r, 6 * 3600)}`);
    return;
  }
  const chosen = only?.split(",").map((p) => p.trim());
  const unknown = chosen?.find((p) => !(parts as readonly string[]).includes(p));
  if (unknown !== undefined) throw new Error(`--only: '${unknown}' is not one of: ${[...parts, "grad-cache"].join(", ")}`);
  const run = (part: (typeof parts)[number]): boolean => chosen === undefined || chosen.includes(part);
  const quick = values.quick ?? false;
  const blasDir = values["torch-blas-dir"] ?? process.env.TORCH_BLAS_DIR;
  const started = new Date();
  const t0 = performance.now();
  const loadStart = loadAvg();

  // 1. evaluator
  let evaluator: Json | undefined;
  if (run("evaluator")) {
    const r = await runChild(process.execPath, ["--expose-gc", path.join(HERE, "evaluator.js")], 300);
    evaluator = r.lines.find((l) => l.bench === "evaluator") ?? { error: failure(r, 300) };
    evaluator = { ...evaluator, load_avg: loadAvg(), wall_s: r.seconds };
    console.log(JSON.stringify(evaluator));
  }

  // 2. encoder on wasm, on each engine of the matrix products
  const ours = new Map<string, Json>();
  const plans = encoderPlans(quick);
  const variants = engines(values.engines?.split(",").map((k) => k.trim()));
  if (run("encoder")) {
    for (const p of plans) {
      for (const engine of variants) {
        const args = ["--expose-gc", path.join(HERE, "encoder.js"), "--config", p.config, "--mode", p.mode, "--reps", String(p.reps), "--warmup", String(p.warmup)];
        const r = await runChild(process.execPath, args, p.timeoutS, { ...process.env, ...engine.env });
        const line = r.lines.find((l) => l.bench === "encoder" && l.mode === p.mode) ?? {
          bench: "encoder",
          impl: "tfjs-wasm",
          config: p.config,
          mode: p.mode,
          error: failure(r, p.timeoutS),
          load_avg: loadAvg(),
        };
        ours.set(`${p.config}/${p.mode}/${engine.key}`, { ...line, engine: engine.label });
        console.log(JSON.stringify({ ...line, engine: engine.label }));
      }
    }
  }
  // e5-small's real training step (grad cache, trained rows only), XNNPACK and BLAS: minutes a step.
  const e5Train = new Map<string, Json>();
  if (run("encoder") && !quick) {
    // Not on the threaded build: the grid and the pretrained preset never train on it.
    for (const engine of variants.filter((v) => !v.key.startsWith("xnnpack-") || v.key === "xnnpack-1")) {
      const r = await runChild(process.execPath, [path.join(HERE, "e5", "train-whole.js"), "--steps", "3"], 1800, { ...process.env, ...engine.env });
      const line = r.lines.find((l) => l.bench === "e5-small whole training" || l.skipped !== undefined) ?? { error: failure(r, 1800) };
      e5Train.set(engine.key, { ...line, engine: engine.label, load_avg: loadAvg() });
      console.log(JSON.stringify({ ...line, engine: engine.label }));
    }
  }

  // 3. PyTorch
  const theirs = new Map<string, Json>();
  let torchNote = "";
  if (run("torch") || run("threads")) {
    // --only threads needs PyTorch's mini embed row alone, its comparison.
    const configs = only === "threads" ? ["mini"] : [...new Set([...plans.map((p) => p.config), ...(quick ? [] : ["e5-small"])])];
    const modes = only === "threads" ? ["embed"] : [...new Set(plans.map((p) => p.mode))];
    const probe = spawnSync(PYTHON, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" });
    if (probe.status !== 0) {
      torchNote = `skipped: install python3-torch (apt-get install python3-torch); \`${PYTHON} -c "import torch"\` failed` + (probe.error ? ` (${probe.error.message})` : "");
      for (const c of configs) for (const m of modes) theirs.set(`${c}/${m}`, { skipped: "install python3-torch (apt-get install python3-torch)" });
    } else {
      const args = [path.join(ROOT, "bench", "torch_bench.py"), "--configs", configs.join(","), "--modes", modes.join(",")];
      if (quick) args.push("--reps", "2");
      if (blasDir !== undefined) args.push("--blas-dir", blasDir);
      const r = await runChild(PYTHON, args, 900);
      for (const line of r.lines.filter((l) => l.bench === "torch")) theirs.set(`${String(line.config)}/${String(line.mode)}`, fromTorch(line));
      for (const c of configs) for (const m of modes) if (!theirs.has(`${c}/${m}`)) theirs.set(`${c}/${m}`, { error: failure(r, 900) });
      const any = r.lines.find((l) => l.bench === "torch" && typeof l.blas === "string");
      torchNote = `torch ${probe.stdout.trim()}` + (any ? `, BLAS: ${String(any.blas)}${any.blas === "reference" ? " (netlib reference BLAS, ~10× slower than OpenBLAS; see torch_bench.py --help, --torch-blas-dir)" : ""}` : "");
      if (any && typeof any.impl === "string") torchNote += `, model: ${any.impl}`;
    }
  }

  // 4. embedding on 1 and 2 worker threads
  const threadRows: Json[] = [];
  if (run("threads")) {
    for (const model of ["mini", "e5-small"]) {
      const args = [path.join(HERE, "embed-threads.js"), "--model", model, "--threads", "1,2", "--batches", quick ? "6" : "12"];
      const r = await runChild(process.execPath, args, 900);
      const lines = r.lines.filter((l) => l.bench === "embed-threads");
      for (const line of lines.length > 0 ? lines : [{ bench: "embed-threads", model, error: failure(r, 900) }]) {
        threadRows.push(line);
        console.log(JSON.stringify(line));
      }
    }
  }

  // 5. e5-small on real XQuAD-R texts, tfjs and sentence-transformers on the same sample (not in --quick)
  let e5: { ours: Json; theirs: Json } | undefined;
  if (run("e5") && !quick) e5 = await benchE5Small();

  // The table
  const out: string[] = [];
  out.push(`## hybrid-ir benchmarks, ${started.toISOString()}${quick ? " (--quick)" : ""}`);
  out.push("");
  out.push(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; load average (1 min) ${loadStart} at start, ${loadAvg()} at end; ${((performance.now() - t0) / 1000).toFixed(0)} s in all.`);
  if (torchNote) out.push(`PyTorch: ${torchNote}.`);
  out.push("");
  if (run("encoder") || run("torch")) {
    out.push("| measurement | tfjs (wasm) | PyTorch (CPU, 2 threads) | ratio tfjs/PyTorch | peak RSS tfjs | peak RSS PyTorch | load avg tfjs / PyTorch |");
    out.push("|---|---|---|---|---|---|---|");
    for (const p of plans) {
      const key = `${p.config}/${p.mode}`;
      for (const engine of run("encoder") ? variants : variants.slice(0, 1)) {
        const a = ours.get(`${key}/${engine.key}`);
        const b = theirs.get(key);
        const ta = throughputOf(a);
        const tb = throughputOf(b);
        const shape = p.config === "e5-small" ? "e5-small shape" : p.config;
        const what = (p.mode === "embed" ? `${shape} embed (32 × 64 tok)` : `${shape} train step (32 × (32 + 128) tok, AdamW)`) + `, ${engine.label}`;
        const heap = a !== undefined && typeof a.wasm_heap_mb === "number" ? ` (wasm heap ${a.wasm_heap_mb} MB)` : "";
        out.push(
          `| ${what} | ${run("encoder") ? cell(a) : "not run"} | ${run("torch") ? cell(b) : "not run"} | ${ta !== undefined && tb !== undefined ? `${(ta / tb).toFixed(2)}×` : "—"} | ${mb(a?.peak_rss_mb)}${heap} | ${mb(b?.peak_rss_mb)} | ${fmt(a?.load_avg)} / ${fmt(b?.load_avg)} |`,
        );
      }
    }
    const torchE5 = theirs.get("e5-small/train");
    for (const [key, a] of e5Train) {
      // Steady steps: the first includes set-up.
      const steps = Array.isArray(a.secondsPerStep) ? (a.secondsPerStep as number[]).slice(1) : [];
      const perStep = steps.length > 0 ? steps.reduce((x, y) => x + y, 0) / steps.length : undefined;
      const pairs = perStep === undefined ? undefined : 32 / perStep;
      const tb = throughputOf(torchE5);
      const ours = typeof a.error === "string" || typeof a.skipped === "string" ? cell(a) : `${fmt(pairs)} pairs/s (${fmt(perStep, 1)} s/step; ${String(a.rowsTrained)} of ${String(a.vocabulary)} rows trained)`;
      out.push(
        `| e5-small train step (32 × (32 + 128) tok, AdamW; tfjs: trainer, grad cache 8), ${String(a.engine ?? key)} | ${ours} | ${run("torch") ? cell(torchE5) : "not run"} | ${pairs !== undefined && tb !== undefined ? `${(pairs / tb).toFixed(2)}×` : "—"} | ${mb(a.peakRssMb)}${typeof a.peakWasmHeapMb === "number" ? ` (wasm heap ${a.peakWasmHeapMb} MB)` : ""} | ${mb(torchE5?.peak_rss_mb)} | ${fmt(a.load_avg)} / ${fmt(torchE5?.load_avg)} |`,
      );
    }
    out.push("");
  }
  if (threadRows.length > 0) {
    const torchEmbed = theirs.get("mini/embed");
    const tb = throughputOf(torchEmbed);
    out.push("| measurement (SentenceEncoder.embed, 32 × 64 tok, XQuAD-R paragraphs) | tfjs (wasm) | PyTorch mini embed (CPU, 2 threads) | ratio tfjs/PyTorch | pool start-up | same bits as 1 thread | peak RSS tfjs | load avg before / after |");
    out.push("|---|---|---|---|---|---|---|---|");
    for (const r of threadRows) {
      const ta = throughputOf(r);
      const mini = r.model === "mini";
      const load = Array.isArray(r.load_avg) ? (r.load_avg as unknown[]).map((x) => fmt(x)).join(" / ") : "—";
      out.push(
        `| ${String(r.model)} embed${r.threads === undefined ? "" : `, ${String(r.threads)} thread${r.threads === 1 ? "" : "s"}`} | ${cell(r)} | ${mini ? cell(torchEmbed) : "—"} | ${mini && ta !== undefined && tb !== undefined ? `${(ta / tb).toFixed(2)}×` : "—"} | ${typeof r.threads === "number" && r.threads > 1 ? `${fmt(r.start_s)} s` : "—"} | ${r.identical_to_first === undefined ? "—" : r.identical_to_first ? "yes" : "NO"} | ${mb(r.peak_rss_mb)} | ${load} |`,
      );
    }
    out.push("");
  }
  if (evaluator !== undefined) {
    if (typeof evaluator.error === "string") out.push(`Evaluator (full XQuAD-R): error: ${evaluator.error}`);
    else {
      const s = evaluator.totalSeconds as number;
      const rss = evaluator.maxRssMiB as number;
      const met = s <= EVALUATOR_TARGET_S && rss <= EVALUATOR_TARGET_MIB;
      out.push(
        `Evaluator (full XQuAD-R, ${String(evaluator.queries)} queries × ${String(evaluator.candidates)} candidates, backend ${String(evaluator.backend)}, ${String(evaluator.workers)} workers): ` +
          `${fmt(s, 1)} s evaluate (${fmt(evaluator.wall_s, 1)} s with start-up and data loading), peak RSS ${Math.round(rss)} MiB; ` +
          `targets ${EVALUATOR_TARGET_S} s / 2 GiB: ${met ? "met" : `NOT met (${s > EVALUATOR_TARGET_S ? "time" : ""}${s > EVALUATOR_TARGET_S && rss > EVALUATOR_TARGET_MIB ? ", " : ""}${rss > EVALUATOR_TARGET_MIB ? "memory" : ""})`}; load ${fmt(evaluator.load_avg)}.`,
      );
    }
  }
  out.push("");
  if (e5 !== undefined) {
    const { ours: a, theirs: b } = e5;
    const ta = throughputOf(a);
    const tb = throughputOf(b);
    const rate = (r: Json) => (typeof r.throughput === "number" ? `${fmt(r.throughput)} sentences/s (${String(r.texts)} texts in ${fmt(r.seconds, 1)} s; all 26,104: ~${fmt(26104 / r.throughput / 60, 0)} min)` : cell(r));
    out.push("| measurement | tfjs (wasm) | sentence-transformers (PyTorch CPU) | ratio tfjs/PyTorch | peak RSS tfjs | peak RSS PyTorch |");
    out.push("|---|---|---|---|---|---|");
    out.push(`| e5-small encode, XQuAD-R sample (real texts, query:/passage:, ≤ 64/256 tok) | ${rate(a)} | ${rate(b)} | ${ta !== undefined && tb !== undefined ? `${(ta / tb).toFixed(2)}×` : "—"} | ${mb(a.peak_rss_mb)} | ${mb(b.peak_rss_mb)} |`);
    out.push("");
  }
  out.push("tfjs: bench/encoder.ts (random weights, full-length rows, project's wasm kernels; matrix products on the engine each row names); PyTorch: bench/torch_bench.py (same shapes, torch.set_num_threads(2)). Throughput ratio > 1 means tfjs is faster. Shared machine: compare numbers from one run only.");
  const table = out.join("\n");
  console.log(`\n${table}`);
  if (process.env.BENCH_OUT) {
    writeFileSync(process.env.BENCH_OUT, `${table}\n`);
    console.error(`table written to ${process.env.BENCH_OUT}`);
  }
}

await main();
