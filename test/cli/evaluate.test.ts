/** `hybrid-ir evaluate --dataset --embeddings`: an embeddings directory scored with the paper's protocol. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { UsageError } from "../../src/cli/args.js";
import { normalizeRows, run, usage } from "../../src/cli/evaluate.js";
import { writeEmbeddingsDir } from "../../src/data/embeddings-dir.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { mulberry32 } from "../../src/util/random.js";
import { cli } from "./run-cli.js";

describe("hybrid-ir evaluate", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-cli-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

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

  test("a NaN in the embeddings exits 1 naming the file, row and column, without a stack trace", async () => {
    // Issue 15, case 4: a RangeError from the scorer.
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
  });

  test("flag combinations that cannot work are usage errors, raised before any file is read", async () => {
    const usageError = (argv: string[], message: string) =>
      assert.rejects(run(argv), (e: unknown) => e instanceof UsageError && e.message === message, argv.join(" "));
    const nowhere = join(dir, "nowhere");
    await usageError(["--collection", nowhere, "--dataset", "mlqa-r", "--model", "mini"], `--collection takes --model, not --dataset or --embeddings\n\n${usage}`);
    await usageError(["--collection", nowhere, "--embeddings", nowhere], `--collection takes --model, not --dataset or --embeddings\n\n${usage}`);
    await usageError(["--collection", nowhere], `--collection needs --model\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r"], `--embeddings DIR is required\n\n${usage}`);
    await usageError(["--dataset", "mlqa-r", "--embeddings", nowhere, "--workers=-1"], "--workers takes a whole number >= 0, got '-1'");
    await usageError(["--dataset", "mlqa-r", "--embeddings", nowhere, "--workers", "two"], "--workers takes a whole number >= 0, got 'two'");
    await assert.rejects(run(["--dataset", "mlqa-r", "--embeddings", nowhere, "--backend", "cuda"]), (e: unknown) => e instanceof UsageError && /^unknown backend 'cuda'/.test(e.message));
  });
});

describe("normalizeRows", () => {
  test("scales each row to unit length in place; an all-zero row stays zero", () => {
    const m = { data: Float32Array.from([3, 4, 0, 0, 0, 0, -2, 0, 0]), rows: 3, cols: 3 };
    normalizeRows(m);
    assert.deepEqual(Array.from(m.data), [Math.fround(0.6), Math.fround(0.8), 0, 0, 0, 0, -1, 0, 0]);
  });
});
