import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DATASET_LANGUAGES, lareqaRoot, loadDataset } from "../../src/data/lareqa.js";
import { MANIFEST_NAME, formatManifest, sha256 } from "../../src/data/manifest.js";
import { datasetStats } from "../../src/data/stats.js";
import type { DatasetName } from "../../src/data/types.js";

/** The statistics table of the LAReQA README: [questions, candidates] per language. */
const LAREQA_README_TABLE: Record<DatasetName, Record<string, [number, number]>> = {
  "xquad-r": {
    ar: [1190, 1222], de: [1190, 1276], el: [1190, 1234], en: [1190, 1180], es: [1190, 1215], hi: [1190, 1244],
    ru: [1190, 1219], th: [1190, 852], tr: [1190, 1167], vi: [1190, 1209], zh: [1190, 1196],
  },
  "mlqa-r": {
    ar: [517, 2545], de: [512, 2362], en: [1148, 6264], es: [500, 1787], hi: [507, 2426], vi: [511, 2828], zh: [504, 2322],
  },
};

describe("LAReQA loader on the vendored data", () => {
  for (const name of ["xquad-r", "mlqa-r"] as const) {
    test(`${name}: per-language counts equal the LAReQA README table`, async () => {
      const ds = await loadDataset(name);
      const rows = datasetStats(ds);
      assert.deepEqual(ds.languages, Object.keys(LAREQA_README_TABLE[name]).sort());
      for (const row of rows) {
        assert.deepEqual([row.questions, row.candidates], LAREQA_README_TABLE[name][row.lang], `${name} ${row.lang}`);
      }
      assert.equal(rows.length, Object.keys(LAREQA_README_TABLE[name]).length);
    });
  }

  test("xquad-r: every question has one relevant sentence in each of the 11 languages", async () => {
    const ds = await loadDataset("xquad-r");
    const byUid = new Map(ds.candidates.map((c) => [c.uid, c]));
    for (const q of ds.questions) {
      const rel = [...ds.relevance.get(q.uid)!];
      assert.equal(rel.length, 11, q.uid);
      assert.deepEqual(rel.map((uid) => byUid.get(uid)!.lang).sort(), DATASET_LANGUAGES["xquad-r"]);
    }
  });

  test("uids follow the reference tool: {id}_{lang} and {lang}_{paragraph}_{sentence}", async () => {
    const ds = await loadDataset("mlqa-r", { languages: ["en"] });
    const raw = JSON.parse(await readFile(join(lareqaRoot(), "mlqa-r", "en.json"), "utf8"));
    const firstPara = raw.data[0].paragraphs[0];
    const firstQ = firstPara.qas[0];
    assert.equal(ds.questions[0].uid, `${firstQ.id}_en`);
    assert.equal(ds.candidates[0].uid, "en_1_0");
    assert.equal(ds.candidates[0].text, firstPara.sentences[0]);
    const start = firstQ.answers[0].answer_start as number;
    const s = (firstPara.sentence_breaks as [number, number][]).findIndex(([b, e]) => start >= b && start < e);
    assert.deepEqual([...ds.relevance.get(ds.questions[0].uid)!], [`en_1_${s}`]);
  });

  test("mlqa-r: questions are linked across languages by id (2 to 4 relevant answers with all 7 loaded)", async () => {
    const ds = await loadDataset("mlqa-r");
    const sizes = new Set(ds.questions.map((q) => ds.relevance.get(q.uid)!.size));
    assert.ok(Math.min(...sizes) >= 2 && Math.max(...sizes) <= 7, [...sizes].join(","));
    const de = ds.questions.find((q) => q.lang === "de")!;
    const en = ds.questions.find((q) => q.lang === "en" && q.id === de.id);
    assert.ok(en, "every German MLQA question has its English original");
    assert.deepEqual([...ds.relevance.get(de.uid)!].sort(), [...ds.relevance.get(en!.uid)!].sort());
  });

  test("maxQuestionIds keeps whole parallel groups and every candidate", async () => {
    const ds = await loadDataset("xquad-r", { maxQuestionIds: 10 });
    assert.equal(ds.questions.length, 110);
    assert.equal(new Set(ds.questions.map((q) => q.id)).size, 10);
    assert.equal(ds.candidates.length, 13014);
  });
});

describe("LAReQA loader on bad input", () => {
  let dir: string;
  const en = join(lareqaRoot(), "xquad-r", "en.json");
  let enText: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-lareqa-"));
    enText = await readFile(en, "utf8");
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  /** A data root holding only xquad-r/en.json with the given content, and a manifest that matches it. */
  async function rootWith(content: string, sign = true): Promise<string> {
    const root = await mkdtemp(join(dir, "root-"));
    await mkdir(join(root, "xquad-r"));
    await writeFile(join(root, "xquad-r", "en.json"), content);
    const hash = sign ? sha256(Buffer.from(content)) : sha256(Buffer.from(enText));
    await writeFile(join(root, MANIFEST_NAME), formatManifest(new Map([["xquad-r/en.json", hash]])));
    return root;
  }
  const load = (root: string) => loadDataset("xquad-r", { root, languages: ["en"] });

  test("a modified file is a checksum error naming it", async () => {
    const root = await rootWith(enText.replace("Panthers", "Panthera"), false);
    await assert.rejects(load(root), /xquad-r\/en\.json: checksum mismatch/);
  });

  test("a truncated file is a checksum error naming it", async () => {
    const root = await rootWith(enText.slice(0, 1000), false);
    await assert.rejects(load(root), /xquad-r\/en\.json: checksum mismatch/);
  });

  test("a missing file is an error naming it", async () => {
    const root = await rootWith(enText);
    await rm(join(root, "xquad-r", "en.json"));
    await assert.rejects(load(root), /xquad-r\/en\.json: file is missing/);
  });

  test("a missing manifest is an error naming it", async () => {
    const root = await rootWith(enText);
    await rm(join(root, MANIFEST_NAME));
    await assert.rejects(load(root), /SHA256SUMS: checksum manifest is missing/);
  });

  test("bad JSON names the file", async () => {
    const root = await rootWith(enText.slice(0, 5000));
    await assert.rejects(load(root), /xquad-r\/en\.json: invalid JSON/);
  });

  test("a sentence break outside its context names the file and paragraph", async () => {
    const json = JSON.parse(enText);
    const p = json.data[0].paragraphs[2];
    p.sentence_breaks[p.sentence_breaks.length - 1][1] = p.context.length + 5;
    const root = await rootWith(JSON.stringify(json));
    await assert.rejects(load(root), /xquad-r\/en\.json: paragraph 3 \(article 'Super_Bowl_50'\): sentence break \d+ .* outside its context/);
  });

  test("an answer in no sentence names the file and the question id", async () => {
    const json = JSON.parse(enText);
    const qa = json.data[0].paragraphs[0].qas[1];
    qa.answers[0].answer_start = json.data[0].paragraphs[0].context.length + 10;
    const root = await rootWith(JSON.stringify(json));
    await assert.rejects(load(root), new RegExp(`xquad-r/en\\.json: question id ${qa.id}: answer_start \\d+ falls in no sentence`));
  });

  test("the vendored copy matches its manifest file by file", async () => {
    // Guards the vendoring itself: a re-vendor that forgot the manifest fails here, not for a user.
    const copy = join(dir, "copy");
    await mkdir(join(copy, "xquad-r"), { recursive: true });
    await copyFile(join(lareqaRoot(), MANIFEST_NAME), join(copy, MANIFEST_NAME));
    await copyFile(en, join(copy, "xquad-r", "en.json"));
    const ds = await loadDataset("xquad-r", { root: copy, languages: ["en"] });
    assert.equal(ds.questions.length, 1190);
  });
});
