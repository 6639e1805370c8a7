/**
 * XQuAD-R and MLQA-R as the LAReQA reference tool reads them: one candidate per sentence of
 * every paragraph, the relevant candidate of a question in each language is the sentence that
 * holds its `answer_start`, and questions are linked across languages by their `id`.
 */
import { join } from "node:path";
import { dataDir } from "../paths.js";
import { DataError } from "../util/errors.js";
import { readVerified } from "./manifest.js";
import type { Candidate, DatasetName, Question, RetrievalDataset } from "./types.js";

/** The released languages of each benchmark (file names under data/lareqa/<name>/). */
export const DATASET_LANGUAGES: Readonly<Record<DatasetName, readonly string[]>> = {
  "xquad-r": ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"],
  "mlqa-r": ["ar", "de", "en", "es", "hi", "vi", "zh"],
};

export interface LoadOptions {
  /** Folder holding `xquad-r/`, `mlqa-r/` and `SHA256SUMS`; defaults to the vendored data/lareqa. */
  readonly root?: string;
  /** A subset of the dataset's languages; all by default. */
  readonly languages?: readonly string[];
  /** Keep only the questions of the first N parallel ids (file order of the first language); all candidates stay. */
  readonly maxQuestionIds?: number;
}

export function lareqaRoot(): string {
  return join(dataDir(), "lareqa");
}

export function isDatasetName(name: string): name is DatasetName {
  return name === "xquad-r" || name === "mlqa-r";
}

/** Loads and checks every file first; a bad file throws before anything is returned. */
export async function loadDataset(name: DatasetName, options: LoadOptions = {}): Promise<RetrievalDataset> {
  const root = options.root ?? lareqaRoot();
  const languages = [...(options.languages ?? DATASET_LANGUAGES[name])].sort();
  for (const lang of languages) {
    if (!DATASET_LANGUAGES[name].includes(lang)) {
      throw new Error(`${name} has no language '${lang}' (it has: ${DATASET_LANGUAGES[name].join(", ")})`);
    }
  }
  const paths = languages.map((lang) => `${name}/${lang}.json`);
  const files = await readVerified(root, paths);

  const questions: Question[] = [];
  const candidates: Candidate[] = [];
  const answerOf = new Map<string, string[]>(); // question id → relevant candidate uids, all languages
  languages.forEach((lang, i) => {
    const file = join(root, paths[i]);
    const parsed = parseLanguageFile(files.get(paths[i])!.toString("utf8"), file, lang);
    questions.push(...parsed.questions);
    candidates.push(...parsed.candidates);
    for (const [id, uid] of parsed.answers) {
      const list = answerOf.get(id);
      if (list) list.push(uid);
      else answerOf.set(id, [uid]);
    }
  });

  const kept = selectQuestionIds(questions, options.maxQuestionIds);
  const keptQuestions = kept ? questions.filter((q) => kept.has(q.id)) : questions;
  const relevance = new Map<string, ReadonlySet<string>>();
  for (const q of keptQuestions) relevance.set(q.uid, new Set(answerOf.get(q.id)));
  return { name, languages, questions: keptQuestions, candidates, relevance };
}

function selectQuestionIds(questions: readonly Question[], max: number | undefined): Set<string> | undefined {
  if (max === undefined) return undefined;
  const ids = new Set<string>();
  for (const q of questions) {
    if (ids.size >= max) break;
    ids.add(q.id);
  }
  return ids;
}

interface ParsedLanguage {
  readonly questions: Question[];
  readonly candidates: Candidate[];
  /** [question id, uid of the sentence holding its answer] */
  readonly answers: [string, string][];
}

/** SQuAD-style JSON with `sentence_breaks`, as released in the LAReQA repository. */
interface RawParagraph {
  context: string;
  sentences?: string[];
  sentence_breaks: [number, number][];
  qas: { id: string; question: string; answers: { answer_start: number; text: string }[] }[];
}

export function parseLanguageFile(text: string, file: string, lang: string): ParsedLanguage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataError(file, `invalid JSON (${(err as Error).message})`);
  }
  const articles = (json as { data?: unknown }).data;
  if (!Array.isArray(articles)) throw new DataError(file, "expected a top-level 'data' array (SQuAD format)");

  const questions: Question[] = [];
  const candidates: Candidate[] = [];
  const answers: [string, string][] = [];
  const seenIds = new Set<string>();
  let paragraphNo = 0; // 1-based over the whole file, as the reference tool counts
  for (const article of articles as { title?: string; paragraphs?: RawParagraph[] }[]) {
    const title = article.title ?? "";
    if (!Array.isArray(article.paragraphs)) throw new DataError(file, `article '${title}' has no 'paragraphs' array`);
    for (const p of article.paragraphs) {
      paragraphNo += 1;
      const where = `paragraph ${paragraphNo} (article '${title}')`;
      if (typeof p.context !== "string" || !Array.isArray(p.sentence_breaks) || !Array.isArray(p.qas)) {
        throw new DataError(file, `${where}: needs 'context', 'sentence_breaks' and 'qas'`);
      }
      const breaks = p.sentence_breaks;
      breaks.forEach((b, s) => {
        if (!Array.isArray(b) || b.length !== 2 || !Number.isInteger(b[0]) || !Number.isInteger(b[1])) {
          throw new DataError(file, `${where}: sentence break ${s} is not a [start, end] pair`);
        }
        const [start, end] = b;
        if (start < 0 || end > p.context.length || start >= end || (s > 0 && start < breaks[s - 1][1])) {
          throw new DataError(
            file,
            `${where}: sentence break ${s} [${start}, ${end}) lies outside its context (length ${p.context.length}) or overlaps the previous one`,
          );
        }
        const sentence = p.sentences?.[s] ?? p.context.slice(start, end);
        candidates.push({
          uid: `${lang}_${paragraphNo}_${s}`,
          lang,
          text: sentence,
          context: p.context,
          paragraph: paragraphNo,
          sentence: s,
          article: title,
        });
      });
      for (const qa of p.qas) {
        if (typeof qa.id !== "string" || typeof qa.question !== "string") {
          throw new DataError(file, `${where}: a question lacks 'id' or 'question'`);
        }
        if (seenIds.has(qa.id)) throw new DataError(file, `question id ${qa.id}: appears twice`);
        seenIds.add(qa.id);
        const start = qa.answers?.[0]?.answer_start;
        if (!Number.isInteger(start)) throw new DataError(file, `question id ${qa.id}: no answer with an answer_start`);
        const s = breaks.findIndex(([b, e]) => start >= b && start < e);
        if (s < 0) {
          throw new DataError(file, `question id ${qa.id}: answer_start ${start} falls in no sentence of ${where}`);
        }
        questions.push({ uid: `${qa.id}_${lang}`, id: qa.id, lang, text: qa.question });
        answers.push([qa.id, `${lang}_${paragraphNo}_${s}`]);
      }
    }
  }
  return { questions, candidates, answers };
}
