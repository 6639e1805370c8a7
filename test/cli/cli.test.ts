import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeEmbeddingsDir } from "../../src/data/embeddings-dir.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { parseNpy } from "../../src/data/npy.js";
import { mulberry32 } from "../../src/util/random.js";
import { cli } from "./run-cli.js";



describe("hybrid-ir CLI", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("stats --json gives the per-language counts", async () => {
    const { code, stdout } = await cli("stats", "mlqa-r", "--json");
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as { languages: { lang: string; questions: number; candidates: number }[] };
    assert.deepEqual(out.languages.find((r) => r.lang === "en"), { ...out.languages.find((r) => r.lang === "en"), questions: 1148, candidates: 6264 });
    assert.equal(out.languages.length, 7);
  });

  test("evaluate scores an oracle embedding directory as perfect", async () => {
    // An answer sentence gets the sum of the vectors of the question groups it answers (a sentence
    // can answer several questions); other candidates get short random vectors. In 256 dimensions
    // random unit vectors are nearly orthogonal, so each query ranks exactly its answers first.
    const ds = await loadDataset("mlqa-r");
    const dim = 256;
    const rand = mulberry32(7);
    const unit = () => {
      const v = Array.from({ length: dim }, () => rand() - 0.5);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const groupVec = new Map<string, number[]>();
    for (const q of ds.questions) if (!groupVec.has(q.id)) groupVec.set(q.id, unit());
    const answers = new Map<string, Set<string>>(); // candidate uid → question group ids
    for (const q of ds.questions) {
      for (const uid of ds.relevance.get(q.uid)!) answers.set(uid, (answers.get(uid) ?? new Set()).add(q.id));
    }
    const sum = (ids: Set<string>) => [...ids].map((id) => groupVec.get(id)!).reduce((a, v) => a.map((x, i) => x + v[i]));
    const questions = new Float32Array(ds.questions.flatMap((q) => groupVec.get(q.id)!));
    const candidates = new Float32Array(
      ds.candidates.flatMap((c) => (answers.has(c.uid) ? sum(answers.get(c.uid)!) : unit().map((x) => 0.1 * x))),
    );
    const out = join(dir, "oracle");
    await writeEmbeddingsDir(out, ds, {
      questions: { data: questions, rows: ds.questions.length, cols: dim },
      candidates: { data: candidates, rows: ds.candidates.length, cols: dim },
    });
    const { code, stdout, stderr } = await cli("evaluate", "--dataset", "mlqa-r", "--embeddings", out, "--json", "--backend", "wasm");
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { mono: { mean: { map: number } }; cross: { mean: { map: number } }; multi: { mean: { map: number } } };
    assert.equal(result.mono.mean.map, 1);
    assert.equal(result.cross.mean.map, 1);
    assert.equal(result.multi.mean.map, 1);

    const text = await cli("evaluate", "--dataset", "mlqa-r", "--embeddings", out, "--normalize", "--workers", "0");
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /mlqa-r: mono mAP 1\.000, cross mAP 1\.000, multi mAP 1\.000/);
  });

  test("embed writes one L2-normalised float32 row per input line", async () => {
    const input = join(dir, "in.jsonl");
    await writeFile(input, '{"text": "Hello World!"}\n{"text": "Wie viele?", "context": "Die Panthers."}\n\n{"text": "你好"}\n');
    const out = join(dir, "out.npy");
    const { code, stderr } = await cli("embed", "--model", "mini", "--input", input, "--out", out, "--backend", "wasm");
    assert.equal(code, 0, stderr);
    const m = parseNpy(await readFile(out), out);
    assert.deepEqual([m.rows, m.cols], [3, 256]);
    for (let r = 0; r < 3; r++) assert.ok(Math.abs(Math.hypot(...m.data.subarray(r * 256, (r + 1) * 256)) - 1) < 1e-5);

    await writeFile(input, '{"text": "ok"}\n{"txt": "typo"}\n');
    const bad = await cli("embed", "--model", "mini", "--input", input, "--out", out);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /in\.jsonl: line 2: needs a string "text"/);
    const backend = await cli("embed", "--model", "mini", "--input", input, "--out", out, "--backend", "cuda");
    assert.equal(backend.code, 2);
    assert.match(backend.stderr, /unknown backend 'cuda'/);
  });

  test("corrupt input files exit 1 naming the file and the place, without a stack trace", async () => {
    // Issue 15, case 4: a RangeError from the scorer and a TypeError from the JSONL reader.
    const ds = await loadDataset("mlqa-r");
    const dim = 4;
    const questions = new Float32Array(ds.questions.length * dim).fill(0.5);
    questions[5 * dim + 2] = NaN;
    const nan = join(dir, "nan");
    await writeEmbeddingsDir(nan, ds, {
      questions: { data: questions, rows: ds.questions.length, cols: dim },
      candidates: { data: new Float32Array(ds.candidates.length * dim).fill(0.5), rows: ds.candidates.length, cols: dim },
    });
    const scored = await cli("evaluate", "--dataset", "mlqa-r", "--embeddings", nan, "--workers", "0");
    assert.equal(scored.code, 1);
    assert.match(scored.stderr, /nan\/question_encodings\.npy: row 5, column 2 is NaN/);
    assert.doesNotMatch(scored.stderr, /\n\s+at /);

    const input = join(dir, "null.jsonl");
    await writeFile(input, '{"text": "ok"}\nnull\n');
    const embedded = await cli("embed", "--model", "mini", "--input", input, "--out", join(dir, "null.npy"));
    assert.equal(embedded.code, 1);
    assert.match(embedded.stderr, /null\.jsonl: line 2: expected a JSON object, got null/);
    assert.doesNotMatch(embedded.stderr, /\n\s+at /);
  });

  test("bad input exits non-zero with a message naming the problem", async () => {
    const empty = join(dir, "empty");
    await rm(empty, { recursive: true, force: true });
    await writeFile(join(dir, "not-a-dir"), "");
    const missing = await cli("evaluate", "--dataset", "xquad-r", "--embeddings", empty);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /question_encodings\.npy: missing/);

    const unknown = await cli("evaluate", "--dataset", "squad", "--embeddings", empty);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown dataset 'squad' \(expected xquad-r or mlqa-r\)/);

    const flag = await cli("stats", "xquad-r", "--jsn");
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /Unknown option '--jsn'/);

    const command = await cli("fly");
    assert.equal(command.code, 2);
    assert.match(command.stderr, /unknown command 'fly'/);
  });
});
