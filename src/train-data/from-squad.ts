/**
 * From SQuAD-style question answering data in several languages to training records. A
 * question's positive is the sentence of its own language's paragraph that holds the answer, the
 * unit LAReQA retrieves; translations of a question share its id, which becomes the group.
 */
import { readFile } from "node:fs/promises";
import { DataError } from "../util/errors.js";
import type { Candidate, RetrievalDataset } from "../data/types.js";
import type { TrainingRecord } from "./format.js";

export interface ConversionOptions {
  /** Keep the paragraph as `context` (default false: it multiplies the file size by ~5). */
  readonly context?: boolean;
}

/**
 * One training record per question of a loaded LAReQA benchmark; the dataset's question order
 * is kept. Meant for tests and for training on one benchmark while evaluating on the other.
 */
export function fromRetrievalDataset(ds: RetrievalDataset, options: ConversionOptions = {}): TrainingRecord[] {
  const byUid = new Map<string, Candidate>(ds.candidates.map((c) => [c.uid, c]));
  return ds.questions.map((q) => {
    const own = [...(ds.relevance.get(q.uid) ?? [])].map((uid) => byUid.get(uid)).filter((c) => c?.lang === q.lang);
    if (own.length !== 1) {
      throw new Error(`${ds.name}: question ${q.uid} has ${own.length} relevant sentences in its own language, expected 1`);
    }
    const c = own[0]!;
    return record(q.id, q.lang, q.text, c.text, c.context, c.article, options);
  });
}

/** A question left out of the conversion, and why; nothing is dropped silently. */
export interface SkippedQuestion {
  readonly file: string;
  readonly id: string;
  readonly reason: string;
}

export interface SquadConversion {
  readonly records: TrainingRecord[];
  readonly skipped: SkippedQuestion[];
}

export interface SquadConversionOptions extends ConversionOptions {
  /**
   * The group of a question; the question id by default. Needed when translated files mark
   * their ids (e.g. a language suffix) so that translations no longer share them.
   *
   * @example
   * { groupId: (id) => id.replace(/-[a-z]{2}$/, "") }
   */
  readonly groupId?: (questionId: string, lang: string) => string;
}

/** One file per language; a (group, language) pair met twice, in one file or across files, throws. */
export interface SquadSource {
  readonly lang: string;
  readonly file: string;
}

/**
 * SQuAD v1 files (XTREME translate-train, or one's own translations) to training records, in
 * source order. Malformed structure throws; a question whose answer cannot be placed in a
 * sentence (no answer, answer_start outside the context or between sentences, answer text not
 * at answer_start) is skipped and listed.
 *
 * @example
 * const { records, skipped } = await fromSquadFiles([
 *   { lang: "en", file: "squad/train-v1.1.json" },
 *   { lang: "de", file: "translate-train/squad.translate.train.en-de.json" },
 * ]);
 */
export async function fromSquadFiles(
  sources: readonly SquadSource[],
  options: SquadConversionOptions = {},
): Promise<SquadConversion> {
  const records: TrainingRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  const fileOf = new Map<string, string>(); // `${group}\u0000${lang}` → file
  for (const { lang, file } of sources) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new DataError(file, `cannot read (${(err as Error).message})`);
    }
    const converted = fromSquadJson(text, file, lang, options);
    for (const r of converted.records) {
      const key = `${r.group}\u0000${r.lang}`;
      const first = fileOf.get(key);
      if (first !== undefined) {
        throw new DataError(file, `group '${r.group}' already has a '${lang}' record (from ${first})`);
      }
      fileOf.set(key, file);
    }
    records.push(...converted.records);
    skipped.push(...converted.skipped);
  }
  return { records, skipped };
}

interface RawQa {
  id?: unknown;
  question?: unknown;
  answers?: { answer_start?: unknown; text?: unknown }[];
}

interface RawParagraph {
  context?: unknown;
  sentences?: unknown;
  sentence_breaks?: unknown;
  qas?: RawQa[];
}

/**
 * One SQuAD JSON text in language `lang`; `file` only names it in messages. Uses a paragraph's
 * `sentence_breaks` ([start, end) character spans, as in the LAReQA release) when present,
 * `splitSentences` otherwise.
 */
export function fromSquadJson(
  text: string,
  file: string,
  lang: string,
  options: SquadConversionOptions = {},
): SquadConversion {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    throw new DataError(file, `invalid JSON (${(err as Error).message})`);
  }
  const articles = (json as { data?: unknown }).data;
  if (!Array.isArray(articles)) throw new DataError(file, "expected a top-level 'data' array (SQuAD format)");

  const groupId = options.groupId ?? ((id: string) => id);
  const records: TrainingRecord[] = [];
  const skipped: SkippedQuestion[] = [];
  const seen = new Set<string>();
  let paragraphNo = 0;
  for (const article of articles as { title?: unknown; paragraphs?: unknown }[]) {
    const title = typeof article?.title === "string" ? article.title : undefined;
    if (!Array.isArray(article?.paragraphs)) {
      throw new DataError(file, `article '${title ?? "(untitled)"}' has no 'paragraphs' array`);
    }
    for (const p of article.paragraphs as RawParagraph[]) {
      paragraphNo += 1;
      const where = `paragraph ${paragraphNo} (article '${title ?? "(untitled)"}')`;
      if (typeof p?.context !== "string" || !Array.isArray(p.qas)) {
        throw new DataError(file, `${where}: needs a 'context' string and a 'qas' array`);
      }
      const context = p.context;
      const spans = p.sentence_breaks === undefined ? splitSentences(context) : checkedBreaks(p.sentence_breaks, context, file, where);
      const sentences = Array.isArray(p.sentences) && p.sentences.length === spans.length ? (p.sentences as unknown[]) : undefined;
      for (const qa of p.qas) {
        if (typeof qa?.id !== "string" || typeof qa.question !== "string") {
          throw new DataError(file, `${where}: a question lacks a string 'id' or 'question'`);
        }
        if (seen.has(qa.id)) throw new DataError(file, `question id ${qa.id}: appears twice`);
        seen.add(qa.id);
        const skip = (reason: string) => skipped.push({ file, id: qa.id as string, reason });
        if (qa.question.trim() === "") {
          skip("empty question");
          continue;
        }
        const answer = qa.answers?.[0];
        const start = answer?.answer_start;
        if (typeof start !== "number" || !Number.isInteger(start)) {
          skip("no answer with an integer answer_start");
          continue;
        }
        if (start < 0 || start >= context.length) {
          skip(`answer_start ${start} outside the context (length ${context.length})`);
          continue;
        }
        if (typeof answer?.text === "string" && context.slice(start, start + answer.text.length) !== answer.text) {
          skip(`answer text does not match the context at answer_start ${start}`);
          continue;
        }
        const s = spans.findIndex(([b, e]) => start >= b && start < e);
        if (s < 0) {
          skip(`answer_start ${start} falls between sentences`);
          continue;
        }
        const listed = sentences?.[s];
        const positive = typeof listed === "string" ? listed : context.slice(spans[s][0], spans[s][1]);
        records.push(record(groupId(qa.id, lang), lang, qa.question, positive, context, title, options));
      }
    }
  }
  return { records, skipped };
}

function checkedBreaks(breaks: unknown, context: string, file: string, where: string): [number, number][] {
  if (!Array.isArray(breaks)) throw new DataError(file, `${where}: 'sentence_breaks' is not an array`);
  return breaks.map((b: unknown, s) => {
    if (!Array.isArray(b) || b.length !== 2 || !Number.isInteger(b[0]) || !Number.isInteger(b[1])) {
      throw new DataError(file, `${where}: sentence break ${s} is not a [start, end] pair`);
    }
    const [start, end] = b as [number, number];
    const previous = s > 0 ? (breaks[s - 1] as [number, number])[1] : 0;
    if (start < previous || end > context.length || start >= end) {
      throw new DataError(
        file,
        `${where}: sentence break ${s} [${start}, ${end}) lies outside its context (length ${context.length}) or overlaps the previous one`,
      );
    }
    return [start, end];
  });
}

/** Ends a sentence only when followed by whitespace or the end: keeps "3.14", "e.g.x" and "U.S.A" whole. */
const SPACED_END = new Set([".", "!", "?", "\u0964" /* Devanagari danda */, "\u061F" /* Arabic question mark */]);
/** Ends a sentence wherever it stands: Chinese and Japanese put no space after a sentence. */
const FULL_WIDTH_END = new Set(["\u3002" /* 。 */, "\uFF01" /* ！ */, "\uFF1F" /* ？ */]);
/** Closing quotes and brackets that belong to the sentence they follow, as in 「…。」 or "Go." */
const CLOSERS = new Set(['"', "'", "\u201D", "\u2019", "\u300D", "\u300F", ")", "\uFF09", "]"]);

/**
 * [start, end) spans of the sentences of `text`, without surrounding whitespace. A sentence ends
 * after a run of terminators (and the closing quotes or brackets right after it): always when
 * the run holds one of 。！？, otherwise (. ! ? । ؟) only when whitespace or the end of the text
 * follows. Deliberately simple: abbreviations followed by a space ("Dr. Smith") split, and text
 * without sentence punctuation (Thai) stays one sentence.
 *
 * @example
 * splitSentences("It rained. 雨が降った。Then it stopped!") // [[0, 10], [11, 17], [17, 33]]
 */
export function splitSentences(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let start = skipSpace(text, 0);
  let i = start;
  while (i < text.length) {
    const ch = text[i];
    if (!SPACED_END.has(ch) && !FULL_WIDTH_END.has(ch)) {
      i += 1;
      continue;
    }
    let fullWidth = false;
    while (i < text.length && (SPACED_END.has(text[i]) || FULL_WIDTH_END.has(text[i]))) {
      fullWidth ||= FULL_WIDTH_END.has(text[i]);
      i += 1;
    }
    while (i < text.length && CLOSERS.has(text[i])) i += 1;
    if (fullWidth || i === text.length || /\s/.test(text[i])) {
      spans.push([start, i]);
      start = skipSpace(text, i);
      i = start;
    }
  }
  const end = text.trimEnd().length;
  if (start < end) spans.push([start, end]);
  return spans;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i])) i += 1;
  return i;
}

function record(
  group: string,
  lang: string,
  query: string,
  positive: string,
  context: string,
  article: string | undefined,
  options: ConversionOptions,
): TrainingRecord {
  return {
    group,
    lang,
    query,
    positive,
    ...(options.context ? { context } : {}),
    ...(article !== undefined ? { article } : {}),
  };
}
