/**
 * The training records indexed the way the samplers draw from them. A monolingual pair is a
 * record itself (its query with its own positive); a cross-lingual pair takes the query of one
 * record and the positive of another record of the same group in another language, so a group
 * present in k languages offers k monolingual and k·(k−1) ordered cross-lingual pairs.
 *
 * Groups are also joined into clusters of groups that must not share a batch. A group is never
 * in a batch twice, so a translation of a positive is never an in-batch negative; but two
 * questions answered by the same sentence (frequent in SQuAD-style data: in XQuAD-R 7,400 of
 * 13,090 records share their positive with another group) are different groups whose positives
 * are the same text, and two groups asking the same question have contradicting positives.
 * Clusters join groups whose positives, or whose queries, are equal after normalizeText in
 * some language; a batch holds at most one group of each cluster.
 */
import type { TrainingRecord } from "../train-data/format.js";
import { normalizeText } from "../train-data/split.js";

/** A group: the translations of one question. */
export interface PoolGroup {
  readonly id: string;
  /** Its languages, sorted. */
  readonly langs: readonly string[];
  /** language → index of the record in `TrainingPools.records` */
  readonly records: ReadonlyMap<string, number>;
  /** Its cluster, in [0, TrainingPools.clusters). */
  readonly cluster: number;
}

export interface TrainingPools {
  readonly records: readonly TrainingRecord[];
  /** Every language with a record, sorted. */
  readonly languages: readonly string[];
  /** In order of first appearance in `records`. */
  readonly groups: readonly PoolGroup[];
  /** The monolingual pool: language → indices into `groups` of the groups with a record in it. */
  readonly mono: ReadonlyMap<string, readonly number[]>;
  /** The cross-lingual pool: indices into `groups` of the groups in at least two languages. */
  readonly crossGroups: readonly number[];
  /** |monolingual pool| = the number of records. */
  readonly monoPairs: number;
  /** |cross-lingual pool| = Σ over groups of k·(k−1), ordered (query language, passage language) pairs. */
  readonly crossPairs: number;
  /** Number of clusters (see the module comment); equal to groups.length when no two groups share a text. */
  readonly clusters: number;
}

/** Throws on a (group, language) pair met twice: one group's two records in a language would make either one's positive ambiguous. */
export function buildPools(records: readonly TrainingRecord[]): TrainingPools {
  const byId = new Map<string, Map<string, number>>();
  records.forEach((r, i) => {
    let langs = byId.get(r.group);
    if (!langs) byId.set(r.group, (langs = new Map()));
    const first = langs.get(r.lang);
    if (first !== undefined) throw new Error(`training records ${first} and ${i}: group '${r.group}' has two '${r.lang}' records`);
    langs.set(r.lang, i);
  });

  const clusterOf = clusterGroups(records, byId);
  const groups: PoolGroup[] = [...byId].map(([id, recordOf], i) => ({
    id,
    langs: [...recordOf.keys()].sort(),
    records: recordOf,
    cluster: clusterOf[i],
  }));
  const languages = [...new Set(records.map((r) => r.lang))].sort();
  const mono = new Map<string, number[]>(languages.map((lang) => [lang, []]));
  const crossGroups: number[] = [];
  let crossPairs = 0;
  groups.forEach((g, i) => {
    for (const lang of g.langs) mono.get(lang)!.push(i);
    const k = g.langs.length;
    if (k >= 2) crossGroups.push(i);
    crossPairs += k * (k - 1);
  });
  const clusters = new Set(clusterOf).size;
  return { records, languages, groups, mono, crossGroups, monoPairs: records.length, crossPairs, clusters };
}

/** Cluster number of each group (in `byId` order), numbered by first appearance. */
function clusterGroups(records: readonly TrainingRecord[], byId: ReadonlyMap<string, ReadonlyMap<string, number>>): number[] {
  const parent = [...byId.keys()].map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]]; // path halving
    return i;
  };
  const groupIndex = new Map([...byId.keys()].map((id, i) => [id, i]));
  const owner = new Map<string, number>(); // field + language + normalised text → first group index
  for (const r of records) {
    const g = groupIndex.get(r.group)!;
    for (const key of [`q\u0000${r.lang}\u0000${normalizeText(r.query)}`, `p\u0000${r.lang}\u0000${normalizeText(r.positive)}`]) {
      const other = owner.get(key);
      if (other === undefined) owner.set(key, g);
      else {
        const [a, b] = [find(g), find(other)];
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const number = new Map<number, number>();
  return parent.map((_, i) => {
    const root = find(i);
    if (!number.has(root)) number.set(root, number.size);
    return number.get(root)!;
  });
}

/** How many clusters the groups `groupIndices` fall in: the most pairs a batch drawn from them can hold. */
export function distinctClusters(pools: TrainingPools, groupIndices: readonly number[]): number {
  return new Set(groupIndices.map((g) => pools.groups[g].cluster)).size;
}

/** Pool sizes for logs and reports. */
export interface PoolSummary {
  readonly groups: number;
  readonly languages: readonly string[];
  /** language → monolingual pairs (= groups with a record in it) */
  readonly monoPairs: Readonly<Record<string, number>>;
  readonly monoTotal: number;
  readonly crossGroups: number;
  readonly clusters: number;
  /** "q→p" → groups with records in both q and p */
  readonly crossPairs: Readonly<Record<string, number>>;
  readonly crossTotal: number;
  /** groups by how many languages they have: "k" → count */
  readonly groupsByLanguageCount: Readonly<Record<string, number>>;
}

export function summarizePools(pools: TrainingPools): PoolSummary {
  const crossPairs: Record<string, number> = {};
  const byCount: Record<string, number> = {};
  for (const g of pools.groups) {
    byCount[g.langs.length] = (byCount[g.langs.length] ?? 0) + 1;
    for (const q of g.langs) for (const p of g.langs) if (q !== p) crossPairs[`${q}→${p}`] = (crossPairs[`${q}→${p}`] ?? 0) + 1;
  }
  return {
    groups: pools.groups.length,
    languages: pools.languages,
    monoPairs: Object.fromEntries([...pools.mono].map(([lang, gs]) => [lang, gs.length])),
    monoTotal: pools.monoPairs,
    crossGroups: pools.crossGroups.length,
    clusters: pools.clusters,
    crossPairs,
    crossTotal: pools.crossPairs,
    groupsByLanguageCount: byCount,
  };
}
