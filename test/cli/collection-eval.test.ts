/** Scoring a loaded collection from the CLI: flags, the run file, the printed result and what goes to stderr. */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../src/cli/args.js";
import { scoreCollection } from "../../src/cli/collection-eval.js";
import type { Collection } from "../../src/data/collection.js";
import { loadCollection } from "../../src/data/load-collection.js";
import type { RankedResult } from "../../src/eval/ranked.js";
import type { Scorer } from "../../src/eval/types.js";
import { pathExists } from "../../src/util/fs.js";
import { capture } from "./capture.js";

const BEIR_TINY = fileURLToPath(new URL("../../../test/fixtures/collections/beir-tiny", import.meta.url));

/** Scores each document by its grade for the query: a perfect ranking (ties: document id descending). */
function oracle(c: Collection): Scorer {
  const n = c.docIds.length;
  return {
    numQueries: c.queries.length,
    numCandidates: n,
    scoreBlock(start, count, out) {
      for (let i = 0; i < count; i++) for (let d = 0; d < n; d++) out[i * n + d] = c.judged[start + i].get(d) ?? 0;
    },
  };
}

describe("scoreCollection", () => {
  let dir: string;
  let c: Collection;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-collection-eval-"));
    c = await loadCollection(BEIR_TINY);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  test("--json --run-out --depth: the collection's header, the metrics at that depth, the run cut there, --out the same JSON", async () => {
    const run = join(dir, "oracle.trec");
    const out = join(dir, "oracle.json");
    const { stdout, stderr } = await capture(() =>
      scoreCollection(c, oracle(c), { label: "oracle", model: "m", "run-out": run, depth: "3", tag: "t", json: true, out }),
    );
    const printed = JSON.parse(stdout) as { trec: Record<string, RankedResult> } & Record<string, unknown>;
    assert.deepEqual(Object.keys(printed.trec), ["oracle beir-tiny/test"]);
    assert.deepEqual({ ...printed, trec: undefined }, { collection: "beir-tiny", layout: "beir", split: "test", scorer: "oracle", model: "m", trec: undefined });
    const r = printed.trec["oracle beir-tiny/test"];
    assert.deepEqual([r.depth, r.recallKs, r.numQueries, r.skippedQueries, r.numDocuments], [3, [1], 5, 0, 12]);
    // Every query's relevant documents fit in the top 3 but q2's four: its AP is 3/4.
    assert.equal(r.mean?.map, (1 + 0.75 + 1 + 1 + 1) / 5);
    assert.equal(await readFile(out, "utf8"), stdout);
    assert.match(stderr, new RegExp(`^wrote ${run.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
    assert.match(stderr, /^oracle beir-tiny █{24} 5\/5 100%/m);

    const lines = (await readFile(run, "utf8")).trimEnd().split("\n");
    assert.equal(lines.length, 5 * 3);
    // d05 and d02 tie at grade 2: the higher id first, as trec_eval orders ties.
    assert.deepEqual(lines.slice(0, 3), ["q1 Q0 d05 1 2 t", "q1 Q0 d02 2 2 t", "q1 Q0 d01 3 1 t"]);
  });

  test("text output; a judged query with nothing relevant is counted on stderr, not scored", async () => {
    const hand: Collection = {
      name: "hand",
      layout: "beir",
      split: "dev",
      queries: [
        { id: "q1", text: "one" },
        { id: "q2", text: "two" },
      ],
      judged: [new Map([[0, 1]]), new Map([[1, 0]])],
      docIds: ["x", "y"],
      corpusChecksum: "",
      documents: async function* () {},
    };
    const { stdout, stderr } = await capture(() => scoreCollection(hand, oracle(hand), { label: "bm25", tag: "t" }));
    assert.match(stderr, /^1 judged queries have no relevant document and are not scored$/m);
    assert.doesNotMatch(stderr, /^wrote /m, "no --run-out, no run");
    const [first, blank, header, , row] = stdout.split("\n");
    assert.equal(first, "trec_eval metrics over the top 1000 per query (ties: score, then document id, descending):");
    assert.equal(blank, "");
    assert.match(header, /^run\s+queries\s+nDCG@10\s+MRR@10\s+MRR\s+MAP\s+R@1\s+R@5\s+R@10\s+R@100$/);
    assert.match(row, /^bm25 hand\/dev\s+1\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000\s+1\.0000$/);
  });

  test("--run-settings and a bad --depth are usage errors, raised before anything is scored or written", async () => {
    const run = join(dir, "never.trec");
    let scored = 0;
    const counting: Scorer = { ...oracle(c), scoreBlock: (s, n, out) => ((scored += n), oracle(c).scoreBlock(s, n, out)) };
    await assert.rejects(
      scoreCollection(c, counting, { label: "x", tag: "t", "run-settings": "mono", "run-out": run }),
      (e: unknown) => e instanceof UsageError && e.message === "--run-settings is for the LAReQA datasets; a collection has one run",
    );
    await assert.rejects(
      scoreCollection(c, counting, { label: "x", tag: "t", depth: "0", "run-out": run }),
      (e: unknown) => e instanceof UsageError && e.message === "--depth takes a whole number >= 1, got '0'",
    );
    assert.equal(scored, 0);
    assert.equal(await pathExists(run), false);
  });
});
