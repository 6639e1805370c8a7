import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import type { Matrix } from "../../src/data/npy.js";
import { loadDataset } from "../../src/data/lareqa.js";
import type { Candidate, Question, RetrievalDataset } from "../../src/data/types.js";
import {
  bitextRetrieval,
  centroidDistances,
  centroidRemoval,
  languageProbe,
  parallelStructure,
  removeLanguageCentroids,
  translationCosine,
} from "../../src/eval/alignment.js";
import { mulberry32, randomNormal } from "../../src/util/random.js";

const close = (actual: number | null, expected: number, what: string, eps = 1e-6) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= eps, `${what}: ${actual} ≠ ${expected}`);

const matrix = (rows: readonly (readonly number[])[]): Matrix => ({ data: Float32Array.from(rows.flat()), rows: rows.length, cols: rows[0].length });

/**
 * Two languages, three candidate sentences each; question ids q1 and q2 are answered by
 * sentence 0 and 1 of each language, so (de_1_0, en_1_0) and (de_1_1, en_1_1) are the
 * translation pairs and sentence 2 of each language has none.
 */
function tinyDataset(): RetrievalDataset {
  const languages = ["de", "en"];
  const candidates: Candidate[] = languages.flatMap((lang) =>
    [0, 1, 2].map((s) => ({ uid: `${lang}_1_${s}`, lang, text: `${lang} ${s}`, context: "", paragraph: 1, sentence: s, article: "a" })),
  );
  const questions: Question[] = ["q1", "q2"].flatMap((id) => languages.map((lang) => ({ uid: `${id}_${lang}`, id, lang, text: `${id} ${lang}` })));
  const answer = { q1: 0, q2: 1 } as const;
  const relevance = new Map(questions.map((q) => [q.uid, new Set(languages.map((l) => `${l}_1_${answer[q.id as "q1" | "q2"]}`))]));
  return { name: "xquad-r", languages, questions, candidates, relevance };
}

describe("alignment measures on hand-made embeddings", () => {
  before(async () => {
    await initBackend("wasm");
  });

  const ds = tinyDataset();
  const structure = parallelStructure(ds);
  // Unit vectors scaled by 2 or 3: every measure must normalise first.
  //   de: c0 (1,0)  c1 (0,1)  c2 (−1,0)        en: c3 (1,0)  c4 (0.6,0.8)  c5 (0,1)
  const candidates = matrix([[2, 0], [0, 3], [-2, 0], [3, 0], [1.2, 1.6], [0, 2]]);

  test("translation pairs come from the answers of each question id in every two languages", () => {
    assert.deepEqual(structure.translations, [[0, 3], [1, 4]]);
    assert.deepEqual([...structure.candidateLang], [0, 0, 0, 1, 1, 1]);
  });

  test("bitext P@1: de c1's nearest en sentence is c5, not its translation c4; every en source finds its translation", () => {
    const r = bitextRetrieval(candidates, structure);
    assert.deepEqual(r.sources, [[0, 2], [2, 0]]);
    assert.deepEqual(r.accuracy, [[null, 0.5], [1, null]]);
    assert.equal(r.mean, 0.75);
  });

  test("translation cosine: translations 1 and 0.8; the other seven cross-language cosines sum to 0", () => {
    // All nine de×en cosines: c0: 1, 0.6, 0; c1: 0, 0.8, 1; c2: −1, −0.6, 0 (sum 1.8; translations 1.8).
    const r = translationCosine(candidates, structure);
    close(r.translation, 0.9, "translation");
    close(r.nonTranslation, 0, "non-translation");
    close(r.gap, 0.9, "gap");
    assert.equal(r.translationPairs, 2);
    assert.equal(r.nonTranslationPairs, 7);
  });

  test("centroid distance: ‖(0, 1/3) − (1.6/3, 1.8/3)‖", () => {
    const r = centroidDistances(candidates, structure);
    const expected = Math.hypot(1.6 / 3, 1.8 / 3 - 1 / 3);
    close(r.distance[0][1], expected, "de–en");
    close(r.distance[1][0], expected, "en–de");
    assert.equal(r.distance[0][0], 0);
    close(r.mean, expected, "mean");
    close(r.norm[0], 1 / 3, "de norm");
    close(r.norm[1], Math.hypot(1.6 / 3, 1.8 / 3), "en norm");
  });

  test("removing the centroids: (1,0) and (0,1) minus (0.5,0.5), renormalised", () => {
    const out = removeLanguageCentroids(matrix([[1, 0], [0, 2], [5, 5]]), Int32Array.from([0, 0, 1]), 2);
    const h = Math.SQRT1_2;
    [[h, -h], [-h, h], [0, 0]].flat().forEach((v, i) => close(out.data[i], v, `value ${i}`));
  });

  test("removing a language offset from questions and candidates lifts multi mAP from 0.75 to 1", async () => {
    // Content: one-hot of the answer sentence (dims 0-2); language: ±2 on dim 3.
    const offset = { de: 2, en: -2 };
    const content = (s: number) => [0, 1, 2].map((k) => (k === s ? 1 : 0));
    const emb = {
      candidates: matrix(ds.candidates.map((c) => [...content(c.sentence), offset[c.lang as "de" | "en"]])),
      questions: matrix(ds.questions.map((q) => [...content(q.id === "q1" ? 0 : 1), offset[q.lang as "de" | "en"]])),
    };
    const r = await centroidRemoval(ds, emb);
    // Before, q1_de's pool ranking: de_1_0 (cos 1), de_1_1 and de_1_2 (0.8), en_1_0 (−0.6): AP = (1/1 + 2/4) / 2.
    assert.equal(r.before.mono, 1);
    close(r.before.multi, 0.75, "multi before");
    assert.equal(r.after.multi, 1);
    assert.equal(r.after.cross, 1);
  });

  test("the probe reads a language dimension perfectly and falls to the majority class on identical embeddings", () => {
    const rand = mulberry32(5);
    const lang = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const s = { languages: ["de", "en"], candidateLang: lang, translations: [] };
    const marked = matrix([...lang].map((l) => [...Array.from({ length: 7 }, () => randomNormal(rand)), l === 0 ? 3 : -3]));
    const perfect = languageProbe(marked, s, { steps: 100 });
    assert.equal(perfect.accuracy, 1);
    assert.deepEqual(perfect.perLanguage, [1, 1]);
    assert.equal(perfect.train + perfect.test, 40);
    // Identical rows carry no language: the standardised features are 0, the balanced labels keep
    // both biases equal, and the argmax tie goes to language 0, i.e. half the test rows.
    const same = languageProbe(matrix([...lang].map(() => [0.3, -1, 2])), s, { steps: 50 });
    assert.equal(same.accuracy, 0.5);
    assert.equal(same.majority, 0.5);
  });
});

describe("alignment measures on XQuAD-R's parallel structure", () => {
  before(async () => {
    await initBackend("wasm");
  });

  test("translation pairs: the answer sentences of each question id, across all 55 language pairs", async () => {
    const ds = await loadDataset("xquad-r");
    const s = parallelStructure(ds);
    const uid = (i: number) => ds.candidates[i].uid;
    const pairs = new Set(s.translations.map(([i, j]) => `${uid(i)}|${uid(j)}`));
    const covered = new Set(s.translations.map(([i, j]) => `${s.candidateLang[i]}-${s.candidateLang[j]}`));
    assert.equal(covered.size, (11 * 10) / 2);
    for (const [i, j] of s.translations) assert.notEqual(s.candidateLang[i], s.candidateLang[j]);
    // Spot check one question id against the relevance map directly.
    const q = ds.questions.find((x) => x.lang === "en")!;
    const answers = [...ds.relevance.get(q.uid)!].sort();
    const index = new Map(ds.candidates.map((c, i) => [c.uid, i]));
    for (const a of answers) {
      for (const b of answers) {
        const [i, j] = [index.get(a)!, index.get(b)!];
        if (i < j && ds.candidates[i].lang !== ds.candidates[j].lang) assert.ok(pairs.has(`${a}|${b}`), `${a} | ${b}`);
      }
    }
  });

  test("random embeddings: bitext near chance, no translation gap, probe near 1/11; a language offset makes the probe perfect", async () => {
    const ds = await loadDataset("xquad-r");
    const s = parallelStructure(ds);
    const rand = mulberry32(11);
    const dim = 16;
    const random = matrix(ds.candidates.map(() => Array.from({ length: dim }, () => randomNormal(rand))));
    const bitext = bitextRetrieval(random, s);
    // ~1,180 candidates per language: chance is under 0.001.
    assert.ok(bitext.mean! < 0.01, `bitext ${bitext.mean}`);
    const cos = translationCosine(random, s);
    assert.ok(Math.abs(cos.gap!) < 0.02, `gap ${cos.gap}`);
    const probe = languageProbe(random, s, { steps: 60 });
    assert.ok(probe.accuracy < 0.2, `probe ${probe.accuracy}`);
    // The same vectors plus a one-hot of the language (scaled to dominate nothing: 0.5 against ~4 of noise).
    const withLang = matrix(ds.candidates.map((_, i) => [...random.data.subarray(i * dim, (i + 1) * dim), ...ds.languages.map((_, l) => (l === s.candidateLang[i] ? 2 : 0))]));
    assert.equal(languageProbe(withLang, s, { steps: 60 }).accuracy, 1);
  });
});
