/** `hybrid-ir evaluate --dataset --embeddings`: an embeddings directory scored with the paper's protocol, and the TREC runs --run-out writes. */
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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

  /**
   * An oracle embeddings directory for MLQA-R, written once: an answer sentence gets the sum of
   * the vectors of the question groups it answers (a sentence can answer several questions);
   * other candidates get short random vectors. In 256 dimensions random unit vectors are nearly
   * orthogonal, so each query ranks exactly its answers first.
   */
  let oracleDir: Promise<string> | undefined;
  const oracle = () => (oracleDir ??= writeOracle(join(dir, "oracle")));

  test("evaluate scores an oracle embedding directory as perfect", async () => {
    const out = await oracle();
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

  test("--run-out writes one TREC run per LAReQA setting, FILE.<setting>.EXT, each the setting's queries with their answers ranked first", async () => {
    const out = await oracle();
    const base = join(dir, "runs", "oracle.trec");
    const { code, stdout, stderr } = await cli("evaluate", "--dataset", "mlqa-r", "--embeddings", out, "--run-out", base, "--depth", "10", "--tag", "oracle", "--json");
    assert.equal(code, 0, stderr);
    const settings = ["mono", "cross", "multi"] as const;
    const paths = settings.map((s) => join(dir, "runs", `oracle.${s}.trec`));
    assert.ok(stderr.split("\n").includes(`wrote ${paths.join(", ")}`), stderr);
    assert.deepEqual((await readdir(join(dir, "runs"))).sort(), ["oracle.cross.trec", "oracle.mono.trec", "oracle.multi.trec"]);

    // What each setting must rank, from the dataset alone (docs/collections.md): query id → the
    // language its candidates are restricted to (null: the whole pool) and its answers there.
    const ds = await loadDataset("mlqa-r");
    const langOf = new Map(ds.candidates.map((c) => [c.uid, c.lang]));
    const answersIn = (uid: string, lang: string | null) => [...ds.relevance.get(uid)!].filter((c) => lang === null || langOf.get(c) === lang).sort();
    const expected: Record<(typeof settings)[number], Map<string, { lang: string | null; answers: string[] }>> = { mono: new Map(), cross: new Map(), multi: new Map() };
    for (const q of ds.questions) {
      expected.mono.set(q.uid, { lang: q.lang, answers: answersIn(q.uid, q.lang) });
      expected.multi.set(q.uid, { lang: null, answers: answersIn(q.uid, null) });
      for (const lang of ds.languages) {
        if (lang !== q.lang && answersIn(q.uid, lang).length > 0) expected.cross.set(`${q.uid}>${lang}`, { lang, answers: answersIn(q.uid, lang) });
      }
    }
    const trec = (JSON.parse(stdout) as { trec: Record<string, { depth: number; numQueries: number; mean: { map: number; mrr: number } }> }).trec;
    assert.deepEqual(Object.keys(trec), [...settings]);
    for (const [i, setting] of settings.entries()) {
      const ranked = new Map<string, string[]>();
      for (const line of (await readFile(paths[i], "utf8")).trimEnd().split("\n")) {
        const [qid, q0, doc, rank, score, tag, ...rest] = line.split(" ");
        assert.deepEqual([q0, tag, rest], ["Q0", "oracle", []], `${setting}: ${line}`);
        assert.ok(Number.isFinite(Number(score)), `${setting}: ${line}`);
        const docs = ranked.get(qid) ?? ranked.set(qid, []).get(qid)!;
        assert.equal(Number(rank), docs.length + 1, `${setting}: ${qid}: ranks 1, 2, ...`);
        docs.push(doc);
      }
      const want = expected[setting];
      assert.deepEqual([...ranked.keys()].sort(), [...want.keys()].sort(), `${setting}: the query ids`);
      for (const [qid, docs] of ranked) {
        const { lang, answers } = want.get(qid)!;
        assert.equal(docs.length, 10, `${setting}: ${qid}: cut at --depth`);
        if (lang !== null) assert.ok(docs.every((d) => langOf.get(d) === lang), `${setting}: ${qid}: only ${lang} candidates`);
        assert.ok(answers.length <= 10);
        assert.deepEqual(docs.slice(0, answers.length).sort(), answers, `${setting}: ${qid}: its answers first`);
      }
      assert.equal(trec[setting].depth, 10);
      assert.deepEqual([trec[setting].numQueries, trec[setting].mean.map, trec[setting].mean.mrr], [[...want.values()].filter((w) => w.answers.length > 0).length, 1, 1], setting);
    }
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

async function writeOracle(out: string): Promise<string> {
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
  const candidates = new Float32Array(ds.candidates.flatMap((c) => (answers.has(c.uid) ? sum(answers.get(c.uid)!) : unit().map((x) => 0.1 * x))));
  await writeEmbeddingsDir(out, ds, {
    questions: { data: questions, rows: ds.questions.length, cols: dim },
    candidates: { data: candidates, rows: ds.candidates.length, cols: dim },
  });
  return out;
}

describe("normalizeRows", () => {
  test("scales each row to unit length in place; an all-zero row stays zero", () => {
    const m = { data: Float32Array.from([3, 4, 0, 0, 0, 0, -2, 0, 0]), rows: 3, cols: 3 };
    normalizeRows(m);
    assert.deepEqual(Array.from(m.data), [Math.fround(0.6), Math.fround(0.8), 0, 0, 0, 0, -1, 0, 0]);
  });
});
