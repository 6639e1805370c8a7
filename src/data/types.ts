/** The two LAReQA benchmarks this suite evaluates on. */
export type DatasetName = "xquad-r" | "mlqa-r";

export const DATASETS: readonly DatasetName[] = ["xquad-r", "mlqa-r"];

/** One question in one language. `uid` is the LAReQA reference tool's `{id}_{lang}`. */
export interface Question {
  readonly uid: string;
  /** Shared by the translations of this question: the parallel link across languages. */
  readonly id: string;
  readonly lang: string;
  readonly text: string;
}

/**
 * One candidate answer: a single sentence of a paragraph.
 * `uid` is the LAReQA reference tool's `{lang}_{paragraph}_{sentence}`.
 */
export interface Candidate {
  readonly uid: string;
  readonly lang: string;
  /** The sentence itself. */
  readonly text: string;
  /** The whole paragraph the sentence comes from (the paper's optional second segment). */
  readonly context: string;
  /** 1-based paragraph counter within the language's file. */
  readonly paragraph: number;
  /** 0-based sentence index within the paragraph. */
  readonly sentence: number;
  /** Title of the article the paragraph belongs to. */
  readonly article: string;
}

/** A retrieval benchmark: queries, the candidate pool and which candidates answer which query. */
export interface RetrievalDataset {
  readonly name: DatasetName;
  /** Languages in a fixed order (sorted), the order of every per-language table. */
  readonly languages: readonly string[];
  readonly questions: readonly Question[];
  readonly candidates: readonly Candidate[];
  /**
   * question uid → uids of its relevant candidates in every language: the sentence that holds
   * the answer in the question's own language and in each language its translation exists in.
   */
  readonly relevance: ReadonlyMap<string, ReadonlySet<string>>;
}
