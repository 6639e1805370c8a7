import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Collection } from "../../src/data/collection.js";
import { DataError } from "../../src/util/errors.js";

export const FIXTURES = fileURLToPath(new URL("../../../test/fixtures/collections/", import.meta.url));

/**
 * One test per malformed fixture: `load` of `FIXTURES/<dir>` fails with a DataError naming
 * `<dir>/<file>` and a message matching `problem`.
 */
export function malformedFixtureTests(load: (dir: string) => Promise<unknown>, cases: readonly (readonly [dir: string, file: string, problem: RegExp])[]): void {
  for (const [dir, file, problem] of cases) {
    test(dir, async () => {
      await assert.rejects(load(join(FIXTURES, dir)), (e: unknown) => {
        assert.ok(e instanceof DataError, `not a DataError: ${String(e)}`);
        assert.equal(e.file, join(FIXTURES, dir, file));
        assert.match(e.message, problem);
        return true;
      });
    });
  }
}

/** The collection's document ids in the order its corpus streams them. */
export async function documents(c: Collection): Promise<string[]> {
  const ids: string[] = [];
  for await (const d of c.documents()) ids.push(d.id);
  return ids;
}

/** Query `q`'s judgements as { document id: grade }. */
export function gradesOf(c: Collection, q: string): Record<string, number> {
  const i = c.queries.findIndex((x) => x.id === q);
  return Object.fromEntries([...c.judged[i]].map(([d, g]) => [c.docIds[d], g]));
}
