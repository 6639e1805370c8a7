import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildPools, distinctClusters, summarizePools } from "../../src/sampling/pools.js";
import type { TrainingRecord } from "../../src/train-data/format.js";
import { mlqaPools } from "./helpers.js";

const rec = (group: string, lang: string, query = `${group} ${lang}?`, positive = `${group} ${lang}.`): TrainingRecord => ({
  group,
  lang,
  query,
  positive,
});

describe("buildPools", () => {
  test("MLQA-R: 1,148 groups; the monolingual pool per language is its question count; 11,548 ordered cross pairs", async () => {
    const pools = await mlqaPools();
    const summary = summarizePools(pools);
    assert.deepEqual(summary.languages, ["ar", "de", "en", "es", "hi", "vi", "zh"]);
    assert.equal(summary.groups, 1148);
    assert.deepEqual(summary.monoPairs, { ar: 517, de: 512, en: 1148, es: 500, hi: 507, vi: 511, zh: 504 });
    assert.equal(summary.monoTotal, 4199);
    assert.deepEqual(summary.groupsByLanguageCount, { 2: 65, 3: 263, 4: 820 });
    assert.equal(summary.crossGroups, 1148);
    assert.equal(summary.crossTotal, 11548);
    // Every MLQA question has its English original, so every cross pair involves English or two translations of it.
    assert.equal(summary.crossPairs["en→de"], 512);
    assert.equal(summary.crossPairs["de→en"], 512);
    assert.equal(Object.values(summary.crossPairs).reduce((a, b) => a + b, 0), 11548);
    // 16 records share their positive with another group's: 8 pairs of groups, so 1,140 clusters.
    assert.equal(pools.clusters, 1140);
  });

  test("pools agree with the slow count over all record pairs", async () => {
    const pools = await mlqaPools();
    const { records } = pools;
    let cross = 0;
    const byGroup = new Map<string, TrainingRecord[]>();
    for (const r of records) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
    for (const rs of byGroup.values()) for (const a of rs) for (const b of rs) if (a !== b) cross += 1;
    assert.equal(pools.crossPairs, cross);
    for (const lang of pools.languages) {
      const groupsWithLang = pools.mono.get(lang)!.map((g) => pools.groups[g].id);
      assert.deepEqual(groupsWithLang, [...byGroup].filter(([, rs]) => rs.some((r) => r.lang === lang)).map(([id]) => id));
    }
    for (const g of pools.groups) {
      for (const [lang, i] of g.records) assert.deepEqual([records[i].group, records[i].lang], [g.id, lang]);
    }
  });

  test("groups whose positives or queries are equal (after normalisation) in some language share a cluster", () => {
    const pools = buildPools([
      rec("a", "en", "Q1?", "Same sentence."),
      rec("b", "en", "Q2?", "  same   SENTENCE. "),
      rec("b", "de", "Q2 de?", "Satz b."),
      rec("c", "de", "Q3 de?", "Satz c."),
      rec("c", "en", "q2?", "Other."),
      rec("d", "en", "Q2?", "Different."),
      rec("e", "de", "Q2?", "Satz e."), // same text as d's query, but another language: no conflict
    ]);
    assert.deepEqual(
      pools.groups.map((g) => [g.id, g.cluster]),
      [["a", 0], ["b", 0], ["c", 0], ["d", 0], ["e", 1]],
    );
    assert.equal(pools.clusters, 2);
    assert.equal(distinctClusters(pools, pools.mono.get("de")!), 2);
  });

  test("a (group, language) pair met twice is refused", () => {
    assert.throws(() => buildPools([rec("a", "en"), rec("b", "en"), rec("a", "en")]), /training records 0 and 2: group 'a' has two 'en' records/);
  });

  test("groups in one language are in the monolingual pool only", () => {
    const pools = buildPools([rec("a", "en"), rec("b", "en"), rec("b", "de"), rec("c", "de")]);
    assert.deepEqual([...pools.mono], [["de", [1, 2]], ["en", [0, 1]]]);
    assert.deepEqual(pools.crossGroups, [1]);
    assert.deepEqual([pools.monoPairs, pools.crossPairs], [4, 2]);
  });
});
