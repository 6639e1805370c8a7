/**
 * TREC interchange files, the formats trec_eval, pytrec_eval and ranx read:
 * - a run: `qid Q0 docid rank score tag`, one line per retrieved document, each query's lines
 *   in the order of `ranking.ts` (score descending, ties by document id descending, which is
 *   also the order trec_eval re-sorts into), ranks from 1;
 * - qrels: `qid 0 docid grade`.
 * Both are written to `<file>.<pid>.tmp` and renamed on `close()`, so an interrupted evaluation
 * leaves no half-written run behind.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** A score as text that parses back to the same double, so ties and order survive the file. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) throw new RangeError(`score ${score} cannot go into a TREC run`);
  return String(score);
}

/** An id usable as one whitespace-free TREC column. */
function checkId(kind: string, id: string): string {
  if (id.length === 0 || /\s/.test(id)) throw new RangeError(`${kind} '${id}' is empty or holds whitespace, which TREC files cannot carry`);
  return id;
}

/** Line-oriented writer to a temp file, renamed into place on close. */
class AtomicLineFile {
  private readonly tmp: string;
  private fd: number | null;
  private buffer = "";

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.tmp, "w");
  }

  protected line(text: string): void {
    if (this.fd === null) throw new Error(`${this.path}: written after close`);
    this.buffer += text + "\n";
    if (this.buffer.length > 1 << 20) this.flush();
  }

  private flush(): void {
    if (this.fd !== null && this.buffer.length > 0) writeSync(this.fd, this.buffer);
    this.buffer = "";
  }

  close(): void {
    if (this.fd === null) return;
    this.flush();
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tmp, this.path);
  }

  /** Drops the temp file; the target is left as it was. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }
}

export class TrecRunWriter extends AtomicLineFile {
  constructor(
    path: string,
    private readonly docIds: readonly string[],
    readonly tag: string,
  ) {
    // The tag is checked before the base class opens its temporary file, which a throw here
    // would otherwise leave behind.
    super((checkId("run tag", tag), path));
  }

  /** One query's ranked list: `ranking` holds document indices best first, `row[offset + d]` their scores. */
  write(queryId: string, ranking: ArrayLike<number>, row: ArrayLike<number>, offset: number): void {
    checkId("query id", queryId);
    for (let i = 0; i < ranking.length; i++) {
      const d = ranking[i];
      this.line(`${queryId} Q0 ${checkId("document id", this.docIds[d])} ${i + 1} ${formatScore(row[offset + d])} ${this.tag}`);
    }
  }
}

export class TrecQrelsWriter extends AtomicLineFile {
  write(queryId: string, docId: string, grade: number): void {
    if (!Number.isInteger(grade)) throw new RangeError(`grade ${grade} of ${queryId}/${docId} is not an integer`);
    this.line(`${checkId("query id", queryId)} 0 ${checkId("document id", docId)} ${grade}`);
  }
}

/** Writes a whole qrels file: per query, its judged documents as (document id, grade). */
export function writeQrels(path: string, queries: Iterable<{ id: string; judged: Iterable<[string, number]> }>): void {
  const out = new TrecQrelsWriter(path);
  try {
    for (const q of queries) for (const [doc, grade] of q.judged) out.write(q.id, doc, grade);
    out.close();
  } catch (err) {
    out.abort();
    throw err;
  }
}
