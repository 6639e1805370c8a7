import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { readEmbeddingsDir, writeEmbeddingsDir } from "../../src/data/embeddings-dir.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { formatNpy, parseNpy } from "../../src/data/npy.js";
import type { RetrievalDataset } from "../../src/data/types.js";

describe("embeddings directory", () => {
  let dir: string;
  let ds: RetrievalDataset;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-emb-"));
    ds = await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 5 });
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  /** Row i of the questions is [i, i], of the candidates [-i, i]: easy to check after reordering. */
  async function writeFixture(sub: string) {
    const q = new Float32Array(ds.questions.length * 2).map((_, k) => Math.floor(k / 2));
    const c = new Float32Array(ds.candidates.length * 2).map((_, k) => (k % 2 === 0 ? -1 : 1) * Math.floor(k / 2));
    const out = join(dir, sub);
    await writeEmbeddingsDir(out, ds, {
      questions: { data: q, rows: ds.questions.length, cols: 2 },
      candidates: { data: c, rows: ds.candidates.length, cols: 2 },
    });
    return out;
  }

  test("rows in any order are aligned to the dataset by uid", async () => {
    const out = await writeFixture("shuffled");
    // Reverse the question file and its uids together: the reader must undo it.
    const lines = (await readFile(join(out, "question_uids.txt"), "utf8")).trim().split("\n");
    const m = parseNpy(await readFile(join(out, "question_encodings.npy")), "q");
    const rev = new Float32Array(m.data.length);
    for (let r = 0; r < m.rows; r++) rev.set(m.data.subarray((m.rows - 1 - r) * 2, (m.rows - r) * 2), r * 2);
    await writeFile(join(out, "question_encodings.npy"), formatNpy({ data: rev, rows: m.rows, cols: 2 }));
    await writeFile(join(out, "question_uids.txt"), lines.reverse().join("\n") + "\n");

    const emb = await readEmbeddingsDir(out, ds);
    assert.deepEqual([...emb.questions.data.subarray(0, 4)], [0, 0, 1, 1]);
    assert.deepEqual([...emb.candidates.data.subarray(2, 4)], [-1, 1]);
  });

  test("the reference tool's .npz names holding .npy bytes are accepted", async () => {
    const out = await writeFixture("npz");
    await rename(join(out, "question_encodings.npy"), join(out, "question_encodings.npz"));
    await rename(join(out, "candidate_encodings.npy"), join(out, "candidate_encodings.npz"));
    const emb = await readEmbeddingsDir(out, ds);
    assert.equal(emb.candidates.rows, ds.candidates.length);
  });

  test("missing files, missing and unknown uids, row-count and dimension mismatches are clear errors", async () => {
    const out = await writeFixture("bad");
    const uids = join(out, "candidate_uids.txt");
    const text = await readFile(uids, "utf8");

    await writeFile(uids, text.replace("en_1_0\n", "en_999_0\n"));
    await assert.rejects(readEmbeddingsDir(out, ds), /candidate_uids\.txt: 1 uid\(s\) are not candidates of this dataset, e\.g\. en_999_0/);

    await writeFile(uids, text.replace("en_1_0\n", "de_1_0\n"));
    await assert.rejects(readEmbeddingsDir(out, ds), /candidate_uids\.txt: uid 'de_1_0' appears twice/);

    await writeFile(uids, text.split("\n").slice(1).join("\n"));
    await assert.rejects(readEmbeddingsDir(out, ds), /candidate_encodings\.npy: has \d+ rows but .*candidate_uids\.txt lists \d+ uids/);

    await writeFile(uids, text);
    const q = parseNpy(await readFile(join(out, "question_encodings.npy")), "q");
    await writeFile(join(out, "question_encodings.npy"), formatNpy({ data: new Float32Array(q.rows * 3), rows: q.rows, cols: 3 }));
    await assert.rejects(readEmbeddingsDir(out, ds), /question embeddings have dimension 3 but candidate embeddings 2/);

    await rm(join(out, "question_encodings.npy"));
    await assert.rejects(readEmbeddingsDir(out, ds), /question_encodings\.npy: missing \(also looked for question_encodings\.npz\)/);
  });

  test("a dataset uid with no row is an error unless the file covers it", async () => {
    const out = await writeFixture("subset");
    const full = await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 6 });
    await assert.rejects(readEmbeddingsDir(out, full), /question_uids\.txt: 2 questions uid\(s\) have no embedding/);
    const smaller = await loadDataset("xquad-r", { languages: ["de", "en"], maxQuestionIds: 3 });
    await assert.rejects(readEmbeddingsDir(out, smaller), /are not questions of this dataset/);
    const emb = await readEmbeddingsDir(out, smaller, true);
    assert.equal(emb.questions.rows, 6);
  });
});
