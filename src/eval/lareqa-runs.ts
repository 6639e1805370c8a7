/**
 * TREC runs and qrels for the LAReQA settings, one file per setting, named by inserting the
 * setting before the extension of the path given (`runs/bm25.trec` → `runs/bm25.mono.trec`,
 * `runs/bm25.cross.trec`, `runs/bm25.multi.trec`):
 * - mono: query id = question uid; ranks the candidates of the question's own language;
 * - cross: query id = `<question uid>><target language>` (e.g. `56be…_de>en`), one ranked query
 *   per target language the question has an answer in, ranking that language's candidates;
 * - multi: query id = question uid; ranks the whole multilingual pool.
 * Every relevant candidate has grade 1. The metrics of these runs are trec_eval's (ranks after
 * trec_eval's tie order, lists cut at the run depth), not the LAReQA protocol's (pessimistic
 * ties, full ranking), and are printed beside them.
 */
import { basename, dirname, extname, join } from "node:path";
import type { Judgements } from "../data/collection.js";
import type { RankedQuery, RankedSetting } from "./ranked-runs.js";
import { writeQrels } from "./trec.js";
import type { EvalTask } from "./types.js";

export type LareqaSettingName = "mono" | "cross" | "multi";
export const LAREQA_SETTINGS: readonly LareqaSettingName[] = ["mono", "cross", "multi"];

export function isLareqaSettingName(s: string): s is LareqaSettingName {
  return (LAREQA_SETTINGS as readonly string[]).includes(s);
}

/** `runs/x.trec` + `mono` → `runs/x.mono.trec`; a path without extension gets `.mono` appended. */
export function settingPath(path: string, setting: string): string {
  const ext = extname(path);
  return join(dirname(path), `${basename(path, ext)}.${setting}${ext}`);
}

export function lareqaSetting(task: EvalTask, name: LareqaSettingName): RankedSetting {
  if (!task.queryIds) throw new Error("lareqaSetting: the task carries no query ids");
  const queryIds = task.queryIds;
  const numLangs = task.languages.length;
  const byLang: number[][] = task.languages.map(() => []);
  task.candidateLang.forEach((l, c) => byLang[l].push(c));
  const subsets = byLang.map((cs) => Int32Array.from(cs));
  const judgedIn = (q: number, lang: number): Judgements => {
    const judged = new Map<number, number>();
    for (const c of task.relevant[q]) if (task.candidateLang[c] === lang) judged.set(c, 1);
    return judged;
  };
  const queriesOf = (q: number): RankedQuery[] => {
    const a = task.queryLang[q];
    if (name === "mono") return [{ id: queryIds[q], subset: subsets[a], judged: judgedIn(q, a) }];
    if (name === "multi") return [{ id: queryIds[q], judged: new Map(Array.from(task.relevant[q], (c) => [c, 1])) }];
    const out: RankedQuery[] = [];
    for (let b = 0; b < numLangs; b++) {
      if (b === a) continue;
      const judged = judgedIn(q, b);
      if (judged.size > 0) out.push({ id: `${queryIds[q]}>${task.languages[b]}`, subset: subsets[b], judged });
    }
    return out;
  };
  return { name, queriesOf };
}

/**
 * The qrels matching a setting's runs: every ranked query of every score row with its judged
 * documents. Works for any setting, a collection's included.
 */
export function writeSettingQrels(path: string, setting: RankedSetting, numQueries: number, docIds: readonly string[]): void {
  function* queries(): Generator<{ id: string; judged: Iterable<[string, number]> }> {
    for (let q = 0; q < numQueries; q++) {
      for (const rq of setting.queriesOf(q)) {
        const sorted = [...rq.judged].sort((x, y) => x[0] - y[0]);
        yield { id: rq.id, judged: sorted.map(([d, g]): [string, number] => [docIds[d], g]) };
      }
    }
  }
  writeQrels(path, queries());
}
