/**
 * From a loaded dataset to the evaluator's index form. Query i is the i-th kept question and
 * candidate c the c-th candidate, both in the dataset's own order, which is the order the
 * embedding files and score rows must follow.
 */
import type { RetrievalDataset } from "../data/types.js";
import type { EvalTask } from "./types.js";

/**
 * Builds the task for `ds`, optionally restricted to the questions whose uid is listed. The
 * restriction keeps the dataset's order, not the list's (the list is a set; duplicates and
 * unknown uids are errors), so the queries are always a subsequence of `ds.questions`; check
 * `queryIds` when aligning embeddings. All candidates are kept: the pool is what makes the task
 * hard.
 *
 * @example
 * const ds = await loadDataset("xquad-r");
 * const task = taskFromDataset(ds, ds.questions.filter((q) => q.lang === "en").map((q) => q.uid));
 */
export function taskFromDataset(ds: RetrievalDataset, questionUids?: readonly string[]): EvalTask {
  const langIndex = new Map(ds.languages.map((lang, i) => [lang, i] as const));
  const languageOf = (kind: string, uid: string, lang: string): number => {
    const index = langIndex.get(lang);
    if (index === undefined) {
      throw new Error(`${ds.name}: ${kind} ${uid} has language '${lang}', not one of ${ds.languages.join(", ")}`);
    }
    return index;
  };

  const candidateIndex = new Map<string, number>();
  const candidateLang = new Int32Array(ds.candidates.length);
  ds.candidates.forEach((c, i) => {
    if (candidateIndex.has(c.uid)) throw new Error(`${ds.name}: duplicate candidate uid ${c.uid}`);
    candidateIndex.set(c.uid, i);
    candidateLang[i] = languageOf("candidate", c.uid, c.lang);
  });

  const questions = ds.questions.filter(selector(ds, questionUids));
  const queryLang = new Int32Array(questions.length);
  const relevant = questions.map((q, i) => {
    queryLang[i] = languageOf("question", q.uid, q.lang);
    const uids = ds.relevance.get(q.uid);
    // A question without an answer would be skipped in every setting, silently shrinking the
    // benchmark; that is a loader bug, not data.
    if (uids === undefined) throw new Error(`${ds.name}: question ${q.uid} has no relevance entry`);
    const indices = [...uids].map((uid) => {
      const c = candidateIndex.get(uid);
      if (c === undefined) throw new Error(`${ds.name}: question ${q.uid} names unknown candidate ${uid}`);
      return c;
    });
    return Int32Array.from(new Set(indices)).sort();
  });

  return {
    languages: [...ds.languages],
    queryLang,
    candidateLang,
    relevant,
    queryIds: questions.map((q) => q.uid),
  };
}

function selector(
  ds: RetrievalDataset,
  questionUids: readonly string[] | undefined,
): (q: { readonly uid: string }) => boolean {
  if (questionUids === undefined) return () => true;
  const wanted = new Set<string>();
  for (const uid of questionUids) {
    if (wanted.has(uid)) throw new Error(`${ds.name}: question uid ${uid} listed twice`);
    wanted.add(uid);
  }
  const known = new Set(ds.questions.map((q) => q.uid));
  for (const uid of wanted) {
    if (!known.has(uid)) throw new Error(`${ds.name}: no question with uid ${uid}`);
  }
  return (q) => wanted.has(q.uid);
}
