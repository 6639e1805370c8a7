import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { initBackend } from "../../src/compute/backend.js";
import { activeBlas, useBlas, useXnnpack, withBlasThreads } from "../../src/compute/blas.js";
import { loadDataset } from "../../src/data/lareqa.js";
import { fillFrozenStates, FrozenStates, parseShard } from "../../src/model/frozen-states.js";
import type { TextInput } from "../../src/model/inputs.js";
import { createMiniEncoder } from "../../src/model/mini.js";
import type { SentenceEncoder } from "../../src/model/sentence-encoder.js";
import { DataError } from "../../src/util/errors.js";
import { silentLogger } from "../../src/util/logger.js";
import { freshDirs } from "./helpers.js";

const ARCHITECTURE = { layers: 3, hidden: 32, heads: 2, intermediate: 64 };

describe("FrozenStates", () => {
  const freshDir = freshDirs("hybrid-ir-frozen-states-");
  let texts: TextInput[];
  let corpus: string[];

  const mini = (seed: number, trainLayers?: number): Promise<SentenceEncoder> =>
    createMiniEncoder({ corpus, seed, architecture: ARCHITECTURE, encoder: trainLayers === undefined ? {} : { trainLayers } });

  before(async () => {
    await initBackend("wasm", silentLogger);
    const ds = await loadDataset("xquad-r", { languages: ["en", "th", "de"], maxQuestionIds: 8 });
    // Questions and candidates of three scripts, lengths from a few tokens to a long sentence.
    texts = [...ds.questions.map((q) => ({ text: q.text })), ...ds.candidates.slice(0, 16).map((c) => ({ text: c.text }))];
    corpus = texts.map((t) => t.text);
  });

  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

  test("the cached frozen part and the layers above it embed as the whole encoder does; each text is computed once however it is padded", async () => {
    const whole = await mini(4);
    const top = await mini(4, 1);
    try {
      const states = await FrozenStates.open(top.encoder, null);
      top.useFrozenStates(states);
      assert.equal(states.storeDir, null);
      const expected = await whole.embed(texts, { batchSize: 8, prefix: "Query: ", threads: 1 });
      const got = await top.embed(texts, { batchSize: 8, prefix: "Query: " });
      assert.ok(maxDiff(got, expected) < 1e-6, `max |difference| ${maxDiff(got, expected)}`);
      const distinct = new Set(texts.map((t) => t.text)).size;
      assert.equal(states.size, distinct);
      assert.equal(states.pending, distinct);
      // Other batches pad every text differently: nothing new is computed, and the embeddings stay.
      const again = await top.embed(texts, { batchSize: 3, prefix: "Query: " });
      assert.equal(states.size, distinct);
      assert.ok(maxDiff(again, expected) < 1e-6);
      // Another prefix is another token sequence.
      await top.embed(texts.slice(0, 2), { batchSize: 2, prefix: "Passage: " });
      assert.equal(states.size, distinct + 2);
    } finally {
      whole.dispose();
      top.dispose();
    }
  });

  test("states from the BLAS get their own fingerprint (XNNPACK's is unchanged), and are the same bits at any BLAS thread count", async (t) => {
    const chosen = activeBlas();
    try {
      useBlas(1);
    } catch (error) {
      if (process.env.CI) throw error; // .ci/run builds the native module and installs OpenBLAS
      return t.skip(`no BLAS here: ${(error as Error).message}`);
    }
    const top = await mini(6, 1);
    try {
      const onBlas = await FrozenStates.open(top.encoder, null);
      const batch = top.encodeInputs(texts.slice(0, 6), { maxLength: 64 });
      const one = (await onBlas.statesOf(batch, top.encoder).data()) as Float32Array;
      const two = await withBlasThreads(2, async () => (await FrozenStates.open(top.encoder, null)).statesOf(batch, top.encoder).data());
      assert.deepEqual(two, one);
      useXnnpack();
      const onXnnpack = await FrozenStates.open(top.encoder, null);
      assert.notEqual(onXnnpack.fingerprint, onBlas.fingerprint);
    } finally {
      top.dispose();
      if (chosen === null) useXnnpack();
      else useBlas(chosen.threads);
    }
  });

  test("flush writes shards that a later process reads back bit for bit; other frozen weights get another directory", async () => {
    const dir = await freshDir();
    const first = await mini(5, 2);
    const second = await mini(5, 2);
    const otherSeed = await mini(6, 2);
    const otherSplit = await mini(5, 1);
    try {
      const states = await FrozenStates.open(first.encoder, dir);
      first.useFrozenStates(states);
      const expected = await first.embed(texts, { batchSize: 8 });
      assert.equal(await states.flush(), states.size);
      assert.equal(states.pending, 0);
      assert.equal(await states.flush(), 0, "nothing new, nothing written");
      const shards = await readdir(join(dir, states.fingerprint));
      assert.equal(shards.length, 1);

      // What a shard write killed midway leaves: removed when the cache is next opened.
      const killed = join(dir, states.fingerprint, "0123.bin.999999999.tmp");
      await writeFile(killed, "half a shard");
      const reopened = await FrozenStates.open(second.encoder, dir);
      assert.deepEqual(await readdir(join(dir, states.fingerprint)), shards);
      assert.equal(reopened.fingerprint, states.fingerprint);
      assert.equal(reopened.size, states.size);
      second.useFrozenStates(reopened);
      assert.deepEqual(await second.embed(texts, { batchSize: 8 }), expected);
      assert.equal(reopened.pending, 0, "every text came from disk");

      for (const other of [otherSeed, otherSplit]) {
        const fresh = await FrozenStates.open(other.encoder, dir);
        assert.notEqual(fresh.fingerprint, states.fingerprint);
        assert.equal(fresh.size, 0);
      }
      assert.throws(() => otherSplit.useFrozenStates(states), /frozen states of 1 layers × 32 do not fit an encoder freezing 2 × 32/);
    } finally {
      for (const m of [first, second, otherSeed, otherSplit]) m.dispose();
    }
  });

  test("refresh reads what another process flushed since, and keeps the values this one computed", async () => {
    const dir = await freshDir();
    const a = await mini(7, 1);
    const b = await mini(7, 1);
    try {
      const statesA = await FrozenStates.open(a.encoder, dir);
      const statesB = await FrozenStates.open(b.encoder, dir);
      a.useFrozenStates(statesA);
      b.useFrozenStates(statesB);
      await a.embed(texts.slice(0, 10), { batchSize: 4 });
      await b.embed(texts.slice(5, 12), { batchSize: 4 });
      await statesA.flush();
      await statesB.refresh();
      assert.equal(statesB.size, 12);
      await b.embed(texts.slice(0, 12), { batchSize: 4 });
      assert.equal(statesB.pending, 7, "the five texts A wrote were not computed again");
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test("fillFrozenStates computes each part's texts once, writes them, and stops early on abort keeping what it computed", async () => {
    const dir = await freshDir();
    const model = await mini(9, 1);
    const plain = await mini(9);
    try {
      assert.equal(await fillFrozenStates(plain, [{ inputs: texts, maxLength: 32, prefix: "" }]), 0, "no frozen states, nothing to fill");
      const states = await FrozenStates.open(model.encoder, dir);
      model.useFrozenStates(states);
      const parts = [
        { inputs: texts, maxLength: 32, prefix: "Query: " },
        { inputs: texts, maxLength: 8, prefix: "" },
      ];
      const seen: number[] = [];
      // Cut to 8 tokens, some texts begin alike: what is computed is one per distinct token sequence.
      const sequences = (p: (typeof parts)[number]) => new Set(p.inputs.map((t) => model.encodeInputs([t], p).inputIds.join(","))).size;
      const expected = sequences(parts[0]) + sequences(parts[1]);
      assert.ok(sequences(parts[1]) > 30);
      assert.equal(await fillFrozenStates(model, parts, { onProgress: (done, total) => seen.push(done, total) }), expected);
      assert.deepEqual(seen.slice(-2), [2 * texts.length, 2 * texts.length]);
      assert.equal(states.pending, 0, "written to disk at the end");
      assert.equal((await FrozenStates.open(model.encoder, dir)).size, expected);
      // The same texts embedded with the same prefix and limit: nothing new.
      await model.embed(texts, { batchSize: 8, maxLength: 8 });
      assert.equal(states.pending, 0);
      assert.equal(await fillFrozenStates(model, parts), 0);

      const aborted = new AbortController();
      aborted.abort();
      assert.equal(await fillFrozenStates(model, [{ inputs: texts, maxLength: 16, prefix: "" }], { signal: aborted.signal }), 0);
    } finally {
      model.dispose();
      plain.dispose();
    }
  });

  test("a damaged shard is refused with the file, the byte and the problem", async () => {
    const dir = await freshDir();
    const model = await mini(8, 1);
    try {
      const states = await FrozenStates.open(model.encoder, dir);
      model.useFrozenStates(states);
      await model.embed(texts.slice(0, 3), { batchSize: 3 });
      await states.flush();
      const [name] = await readdir(join(dir, states.fingerprint));
      const path = join(dir, states.fingerprint, name);
      const bytes = new Uint8Array(await readFile(path));
      assert.equal(parseShard(path, bytes, 32).length, 3);
      const refused = (data: Uint8Array, width: number, pattern: RegExp) =>
        assert.throws(
          () => parseShard(path, data, width),
          (err: unknown) => err instanceof DataError && err.file === path && pattern.test(err.message),
        );
      refused(bytes.subarray(0, bytes.length - 5), 32, /: byte \d+: the file ends 5 bytes early/);
      refused(bytes.subarray(0, 10), 32, /: byte 0: not a frozen-states shard/);
      refused(Uint8Array.from([...bytes, 0, 0, 0, 0]), 32, new RegExp(`: byte ${bytes.length}: 4 bytes after the 3 entries`));
      refused(bytes, 16, /: byte 8: states are 32 wide, the model's are 16/);
      const flagged = Uint8Array.from(bytes);
      flagged[16 + 4] = 7;
      refused(flagged, 32, /: byte 20: entry 0: token-type flag 7 is not 0 or 1/);
      const empty = Uint8Array.from(bytes);
      empty.fill(0, 16, 20);
      refused(empty, 32, /: byte 16: entry 0 has no tokens/);
      // Opening the cache over a damaged file says which file to delete.
      await writeFile(path, bytes.subarray(0, 40));
      await assert.rejects(FrozenStates.open(model.encoder, dir), (err: unknown) => err instanceof DataError && err.file === path && /delete it/.test(err.message));
    } finally {
      model.dispose();
    }
  });
});
