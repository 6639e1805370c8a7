import type { RetrievalDataset } from "./types.js";

/** Per-language counts, the shape of the LAReQA README's statistics table. */
export interface LanguageStats {
  readonly lang: string;
  readonly questions: number;
  readonly candidates: number;
  readonly paragraphs: number;
  /** Mean candidate length in characters. */
  readonly meanSentenceChars: number;
  /** Mean number of relevant candidates (over all languages) per question of this language. */
  readonly meanRelevantPerQuestion: number;
}

export function datasetStats(ds: RetrievalDataset): LanguageStats[] {
  return ds.languages.map((lang) => {
    const qs = ds.questions.filter((q) => q.lang === lang);
    const cs = ds.candidates.filter((c) => c.lang === lang);
    const chars = cs.reduce((sum, c) => sum + [...c.text].length, 0);
    const relevant = qs.reduce((sum, q) => sum + (ds.relevance.get(q.uid)?.size ?? 0), 0);
    return {
      lang,
      questions: qs.length,
      candidates: cs.length,
      paragraphs: new Set(cs.map((c) => c.paragraph)).size,
      meanSentenceChars: cs.length ? chars / cs.length : 0,
      meanRelevantPerQuestion: qs.length ? relevant / qs.length : 0,
    };
  });
}
