import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { writeEmbeddingsDir } from "../../src/data/embeddings-dir.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { AlignmentResult } from "../../src/eval/alignment.js";
import { mulberry32 } from "../../src/util/random.js";
import { cli } from "./run-cli.js";



describe("hybrid-ir alignment", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-alignment-"));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("a language-neutral oracle plus a language offset: translations found, language read off, centroid removal restores the pool", async () => {
    // Every MLQA-R candidate gets a random content vector shared by all sentences answering the
    // same set of question ids (so a translation is the same vector), other sentences their own;
    // questions get their id's vector. Then every row of language l gets +1 on dimension l.
    const ds = await loadDataset("mlqa-r");
    const dim = 64;
    const rand = mulberry32(3);
    const unit = () => {
      const v = Array.from({ length: dim }, () => rand() - 0.5);
      const n = Math.hypot(...v);
      return v.map((x) => x / n);
    };
    const idsOf = new Map<string, string[]>();
    for (const q of ds.questions) for (const uid of ds.relevance.get(q.uid)!) idsOf.set(uid, [...new Set([...(idsOf.get(uid) ?? []), q.id])]);
    const vec = new Map<string, number[]>();
    const vectorOf = (key: string) => vec.get(key) ?? vec.set(key, unit()).get(key)!;
    const langOffset = (lang: string) => ds.languages.map((l) => (l === lang ? 1 : 0));
    const candidates = ds.candidates.map((c) => [...vectorOf(idsOf.has(c.uid) ? idsOf.get(c.uid)!.sort().join(",") : c.uid), ...langOffset(c.lang)]);
    const questions = ds.questions.map((q) => [...vectorOf(q.id), ...langOffset(q.lang)]);
    const out = join(dir, "emb");
    const cols = dim + ds.languages.length;
    await writeEmbeddingsDir(out, ds, {
      questions: { data: Float32Array.from(questions.flat()), rows: questions.length, cols },
      candidates: { data: Float32Array.from(candidates.flat()), rows: candidates.length, cols },
    });
    const json = join(dir, "alignment.json");
    const { code, stdout, stderr } = await cli("alignment", "--dataset", "mlqa-r", "--embeddings", out, "--backend", "wasm", "--out", json);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /bitext retrieval P@1 \(mean over 42 directions\)/);
    const r = JSON.parse(await readFile(json, "utf8")) as AlignmentResult;
    assert.ok(r.bitext.mean! > 0.95, `bitext ${r.bitext.mean}`);
    assert.ok(r.translationCosine.gap! > 0.4, `gap ${r.translationCosine.gap}`);
    assert.equal(r.languageProbe.accuracy, 1);
    assert.ok(r.centroidRemoval.after.multi! > r.centroidRemoval.before.multi!, JSON.stringify(r.centroidRemoval));

    const both = await cli("alignment", "--dataset", "mlqa-r", "--embeddings", out, "--model", "mini");
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give --embeddings DIR or --model REF/);
    const missing = await cli("alignment", "--dataset", "mlqa-r", "--embeddings", join(dir, "nothing"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /question_encodings\.npy: missing/);
  });
});
