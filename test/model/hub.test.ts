import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { copyFile, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { HubError, ModelNotCachedError, resolveModel, selectModelFiles } from "../../src/model/hub.js";

// The machine's own hub settings must not leak into these tests.
for (const name of ["HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_DOWNLOAD_TIMEOUT"]) delete process.env[name];
process.env.HF_TOKEN_PATH = join(tmpdir(), "hybrid-ir-hub-test-no-token");

/** Deterministic filler: byte i is (i·31 + seed) mod 251, so no two files share content. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 251;
  return b;
}

interface RepoFile {
  readonly bytes: Buffer;
  /** Stored with Git LFS: listed with a sha256, the etag Python names its blob after. */
  readonly lfs?: boolean;
}

interface FakeRepo {
  readonly sha: string;
  readonly files: ReadonlyMap<string, RepoFile>;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const ENCODER: FakeRepo = {
  sha: "a".repeat(40),
  files: new Map<string, RepoFile>([
    ["config.json", { bytes: json({ model_type: "xlm-roberta", hidden_size: 8 }) }],
    ["tokenizer.json", { bytes: json({ model: { type: "Unigram" } }) }],
    ["tokenizer_config.json", { bytes: json({ model_max_length: 512 }) }],
    ["sentence_bert_config.json", { bytes: json({ max_seq_length: 128 }) }],
    [
      "modules.json",
      {
        bytes: json([
          { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
          { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
          { idx: 2, name: "2", path: "2_Normalize", type: "sentence_transformers.models.Normalize" },
        ]),
      },
    ],
    ["1_Pooling/config.json", { bytes: json({ pooling_mode_mean_tokens: true }) }],
    ["model.safetensors", { bytes: bytes(200_000, 1), lfs: true }],
    // Present on the hub, never wanted:
    ["pytorch_model.bin", { bytes: bytes(5_000, 2), lfs: true }],
    ["onnx/model.onnx", { bytes: bytes(3_000, 3), lfs: true }],
    ["sentencepiece.bpe.model", { bytes: bytes(1_000, 4), lfs: true }],
    ["README.md", { bytes: Buffer.from("# encoder\n") }],
  ]),
};

const shards = { "model-00001-of-00002.safetensors": bytes(7_000, 5), "model-00002-of-00002.safetensors": bytes(6_000, 6) };
/** Sharded weights, a Dense module, and no tokenizer.json. */
const SHARDED: FakeRepo = {
  sha: "b".repeat(40),
  files: new Map<string, RepoFile>([
    ["config.json", { bytes: json({ model_type: "bert" }) }],
    ["model.safetensors.index.json", { bytes: json({ weight_map: { "a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors" } }) }],
    ...Object.entries(shards).map(([p, b]): [string, RepoFile] => [p, { bytes: b, lfs: true }]),
    [
      "modules.json",
      {
        bytes: json([
          { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
          { idx: 1, name: "1", path: "1_Pooling", type: "sentence_transformers.models.Pooling" },
          { idx: 2, name: "2", path: "2_Dense", type: "sentence_transformers.models.Dense" },
        ]),
      },
    ],
    ["1_Pooling/config.json", { bytes: json({ pooling_mode_cls_token: true }) }],
    ["2_Dense/config.json", { bytes: json({ in_features: 8, out_features: 4 }) }],
    ["2_Dense/model.safetensors", { bytes: bytes(4_000, 7), lfs: true }],
    ["2_Dense/pytorch_model.bin", { bytes: bytes(4_000, 8), lfs: true }],
  ]),
};

const REPOS = new Map<string, FakeRepo>([
  ["acme/encoder", ENCODER],
  ["acme/sharded", SHARDED],
]);

function etagOf(f: RepoFile): string {
  if (f.lfs) return createHash("sha256").update(f.bytes).digest("hex");
  return createHash("sha1").update(`blob ${f.bytes.length}\0`).update(f.bytes).digest("hex");
}

interface Logged {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
}

/** The part of the hub API that @huggingface/hub's modelInfo / listFiles and a resolve download use. */
class FakeHub {
  readonly requests: Logged[] = [];
  /** Paths whose first full download is cut off halfway. */
  readonly dropOnce = new Set<string>();
  /** Paths whose every response sends half its bytes, then nothing, without closing. */
  readonly stall = new Set<string>();
  /** Paths served with one byte changed. */
  readonly corrupt = new Set<string>();
  /** Answer Range requests with the whole file and 200, as some proxies do. */
  ignoreRange = false;
  /** Accept requests and never answer them. */
  hang = false;
  private readonly server = createServer((req, res) => this.handle(req, res));
  url = "";

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.dropOnce.clear();
    this.corrupt.clear();
    this.stall.clear();
    this.ignoreRange = false;
    this.hang = false;
  }

  resolves(file: string): Logged[] {
    return this.requests.filter((r) => r.path.includes("/resolve/") && r.path.endsWith(`/${file}`));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://x");
    const path = decodeURIComponent(url.pathname);
    const range = req.headers.range;
    this.requests.push({ method: req.method ?? "", path, range });
    if (this.hang) return;
    const notFound = (error: string, code: string) => {
      res.writeHead(404, { "Content-Type": "application/json", "X-Error-Code": code });
      res.end(JSON.stringify({ error }));
    };
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repo = REPOS.get((api ?? resolve)?.[1] ?? "");
    if (!repo) return notFound("Repository not found", "RepoNotFound");
    const rev = api ? api[3] : resolve![2];
    if (rev !== "main" && rev !== repo.sha) return notFound(`Invalid rev id: ${rev}`, "RevisionNotFound");

    if (api?.[2] === "revision") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ _id: "0123", id: api[1], sha: repo.sha, private: false, downloads: 0, likes: 0, lastModified: "2024-01-01T00:00:00.000Z" }));
      return;
    }
    if (api?.[2] === "tree") {
      const dirs = new Set([...repo.files.keys()].filter((p) => p.includes("/")).map((p) => dirname(p)));
      const entries = [
        ...[...dirs].map((d) => ({ type: "directory", path: d, oid: "d".repeat(40), size: 0 })),
        ...[...repo.files].map(([p, f]) => ({
          type: "file",
          path: p,
          oid: createHash("sha1").update(p).digest("hex"),
          size: f.bytes.length,
          ...(f.lfs ? { lfs: { oid: etagOf(f), size: f.bytes.length, pointerSize: 134 } } : { oid: etagOf(f) }),
        })),
      ];
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(entries));
      return;
    }

    const file = repo.files.get(resolve![3]);
    if (!file) return notFound("Entry not found", "EntryNotFound");
    let body = file.bytes;
    if (this.corrupt.has(resolve![3])) {
      body = Buffer.from(body);
      body[body.length - 1] ^= 0xff;
    }
    const headers = { ETag: `"${etagOf(file)}"`, "X-Repo-Commit": repo.sha, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
    const m = /^bytes=(\d+)-$/.exec(range ?? "");
    const start = m && !this.ignoreRange ? Number(m[1]) : 0;
    if (start >= body.length) {
      res.writeHead(416, { "Content-Range": `bytes */${body.length}` });
      res.end();
      return;
    }
    if (m && !this.ignoreRange) {
      res.writeHead(206, { ...headers, "Content-Length": body.length - start, "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { ...headers, "Content-Length": body.length });
    if (this.stall.has(resolve![3])) {
      res.write(body.subarray(start, start + ((body.length - start) >> 1)));
      return;
    }
    if (start > 0) {
      res.end(body.subarray(start));
      return;
    }
    if (this.dropOnce.delete(resolve![3])) {
      // Flush half, then cut the connection, as a flaky network would.
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }
}

const hub = new FakeHub();
const temps: string[] = [];
const quiet = { onProgress: () => {} };

before(() => hub.start());
after(async () => {
  await hub.stop();
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-hub-"));
  temps.push(dir);
  return dir;
}

/** A fresh cache and a clean request log. */
async function fresh(): Promise<string> {
  hub.reset();
  return tempDir();
}

const WANTED = ["config.json", "tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json", "modules.json", "1_Pooling/config.json", "model.safetensors"];

async function assertSameFiles(dir: string, repo: FakeRepo, paths: readonly string[]): Promise<void> {
  for (const p of paths) assert.ok((await readFile(join(dir, p))).equals(repo.files.get(p)!.bytes), `${p} differs`);
}

test("selects what an encoder needs and nothing else", () => {
  const all = [...ENCODER.files.keys(), ...SHARDED.files.keys(), "tf_model.h5", "flax_model.msgpack", "rust_model.ot", "onnx/config.json", "special_tokens_map.json", "config_sentence_transformers.json"];
  assert.deepEqual(new Set(selectModelFiles(all)), new Set([
    ...WANTED,
    "model.safetensors.index.json",
    ...Object.keys(shards),
    "2_Dense/config.json",
    "2_Dense/model.safetensors",
    "special_tokens_map.json",
    "config_sentence_transformers.json",
  ]));
});

test("downloads a hub model into the Python-compatible cache, byte-identical", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  const repoDir = join(cache, "models--acme--encoder");
  assert.equal(dir, join(repoDir, "snapshots", ENCODER.sha));
  await assertSameFiles(dir, ENCODER, WANTED);
  assert.equal((await readFile(join(repoDir, "refs", "main"), "utf8")).trim(), ENCODER.sha);
  // Snapshot entries are relative links into blobs/, named by etag, as huggingface_hub lays them out.
  assert.equal(await readlink(join(dir, "model.safetensors")), `../../blobs/${etagOf(ENCODER.files.get("model.safetensors")!)}`);
  assert.equal(await readlink(join(dir, "1_Pooling/config.json")), `../../../blobs/${etagOf(ENCODER.files.get("1_Pooling/config.json")!)}`);
  for (const skipped of ["pytorch_model.bin", "onnx/model.onnx", "sentencepiece.bpe.model", "README.md"]) {
    assert.equal(hub.resolves(skipped).length, 0, `${skipped} was requested`);
    await assert.rejects(stat(join(dir, skipped)));
  }
  assert.equal(hub.requests.length, 2 + WANTED.length, "one info, one listing, one GET per file");
});

test("a second call is answered from the cache without a single request", async () => {
  const cache = await fresh();
  const first = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), first);
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, revision: ENCODER.sha, ...quiet }), first);
  assert.equal(hub.requests.length, 0);
});

test("sharded weights, a Dense module and a missing tokenizer.json are cached completely", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/sharded", { cacheDir: cache, endpoint: hub.url, ...quiet });
  const expected = ["config.json", "model.safetensors.index.json", ...Object.keys(shards), "modules.json", "1_Pooling/config.json", "2_Dense/config.json", "2_Dense/model.safetensors"];
  await assertSameFiles(dir, SHARDED, expected);
  assert.equal(hub.resolves("pytorch_model.bin").length, 0);
  hub.reset();
  assert.equal(await resolveModel("acme/sharded", { cacheDir: cache, endpoint: hub.url, offline: true }), dir);
  assert.equal(hub.requests.length, 0);
});

test("a connection cut mid-file is resumed with a Range request", async () => {
  const cache = await fresh();
  hub.dropOnce.add("model.safetensors");
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  const gets = hub.resolves("model.safetensors");
  assert.equal(gets.length, 2);
  assert.equal(gets[0].range, undefined);
  const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? "")?.[1]);
  assert.ok(resumedAt > 0 && resumedAt < 200_000, `second request asked for ${gets[1].range}`);
});

test("a partial file left by an earlier run is resumed, not restarted", async () => {
  const cache = await fresh();
  const weights = ENCODER.files.get("model.safetensors")!;
  const part = join(cache, "models--acme--encoder", "blobs", `${etagOf(weights)}.incomplete`);
  await mkdir(dirname(part), { recursive: true });
  await writeFile(part, weights.bytes.subarray(0, 12_345));
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.deepEqual(hub.resolves("model.safetensors").map((r) => r.range), ["bytes=12345-"]);
  await assert.rejects(stat(part));
});

test("a server that ignores Range still ends byte-identical", async () => {
  const cache = await fresh();
  hub.ignoreRange = true;
  hub.dropOnce.add("model.safetensors");
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.equal(hub.resolves("model.safetensors").length, 2);
});

test("bytes that do not match the listed sha256 are rejected and deleted", async () => {
  const cache = await fresh();
  hub.corrupt.add("model.safetensors");
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.match(err.message, /^acme\/encoder: model\.safetensors: downloaded bytes have sha256/);
    return true;
  });
  const blob = join(cache, "models--acme--encoder", "blobs", etagOf(ENCODER.files.get("model.safetensors")!));
  await assert.rejects(stat(blob));
  await assert.rejects(stat(`${blob}.incomplete`));
});

test("offline with an empty cache names the missing files, where to put them, and how to get them", async () => {
  const cache = await fresh();
  const err = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }).then(
    () => assert.fail("resolved offline from an empty cache"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ModelNotCachedError);
  const target = join(cache, "models--acme--encoder", "snapshots", "main");
  assert.equal(err.snapshotDir, target);
  assert.deepEqual(err.missing, ["config.json", "tokenizer.json", "model.safetensors (or model.safetensors.index.json and its shards)"]);
  assert.match(err.message, /^acme\/encoder: not in the cache, and offline mode is on/);
  assert.ok(err.message.includes(`Put them in: ${target}`));
  assert.ok(err.message.includes("huggingface-cli download acme/encoder --local-dir DIR"));
  assert.equal(hub.requests.length, 0);

  // Following the message works: files dropped in the named folder are found offline.
  const src = await resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: hub.url, ...quiet });
  for (const p of WANTED) {
    await mkdir(dirname(join(target, p)), { recursive: true });
    await copyFile(join(src, p), join(target, p));
  }
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }), target);
  assert.equal(hub.requests.length, 0);
});

test("offline with a complete cache works without requests, also through HF_HUB_OFFLINE", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  hub.reset();
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, offline: true }), dir);
  process.env.HF_HUB_OFFLINE = "1";
  try {
    assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url }), dir);
    // A deleted blob leaves a dangling link: the snapshot is incomplete, and the error says which file.
    await rm(join(cache, "models--acme--encoder", "blobs", etagOf(ENCODER.files.get("1_Pooling/config.json")!)));
    await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url }), (err: unknown) => {
      assert.ok(err instanceof ModelNotCachedError);
      assert.deepEqual(err.missing, ["1_Pooling/config.json"]);
      assert.equal(err.snapshotDir, dir);
      return true;
    });
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
  assert.equal(hub.requests.length, 0);
  // Online again, only the missing file is fetched.
  assert.equal(await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet }), dir);
  assert.deepEqual(hub.requests.filter((r) => r.path.includes("/resolve/")).map((r) => r.path), [`/acme/encoder/resolve/${ENCODER.sha}/1_Pooling/config.json`]);
});

test("an explicit file list replaces the selection", async () => {
  const cache = await fresh();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["config.json", "README.md"], ...quiet });
  await assertSameFiles(dir, ENCODER, ["config.json", "README.md"]);
  assert.equal(hub.resolves("model.safetensors").length, 0);
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["nope.json"], ...quiet }), /acme\/encoder: the repo at main has no nope\.json/);
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, files: ["../escape"], ...quiet }), /not a plain relative file path/);
});

test("a local directory is returned unchanged; a missing one is not mistaken for a hub id", async () => {
  const dir = await tempDir();
  hub.reset();
  assert.equal(await resolveModel(dir, { endpoint: hub.url }), dir);
  await assert.rejects(resolveModel(join(dir, "nope"), { endpoint: hub.url }), /is neither an existing directory nor a hub model id/);
  await assert.rejects(resolveModel("./nope/model", { endpoint: hub.url }), /is neither an existing directory nor a hub model id/);
  assert.equal(hub.requests.length, 0);
});

test("an unknown repo or revision is a clear error naming the id", async () => {
  const cache = await fresh();
  await assert.rejects(resolveModel("nobody/missing", { cacheDir: cache, endpoint: hub.url, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError && !(err instanceof ModelNotCachedError));
    assert.match(err.message, /^nobody\/missing: no such model \(or revision "main"\) at http:\/\/127\.0\.0\.1:\d+, and no local directory of that name; if it is private, set HF_TOKEN \(hub said: Repository not found\)/);
    return true;
  });
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, revision: "v9", ...quiet }), /revision "v9".*Invalid rev id: v9/);
});

test("an unreachable hub fails fast, with the cache hint", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: `http://127.0.0.1:${port}`, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof ModelNotCachedError);
    assert.match(err.message, /could not be reached \(fetch failed: ECONNREFUSED/);
    assert.match(err.message, /Put them in: /);
    return true;
  });
});

// The test's own timeout is only a guard against a hang; the behaviour is the error.
test("a hub that never answers times out instead of hanging", { timeout: 120_000 }, async () => {
  await fresh();
  hub.hang = true;
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: await tempDir(), endpoint: hub.url, timeoutMs: 300, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof ModelNotCachedError);
    assert.match(err.message, /could not be reached \(no response within 0\.3 s\)/);
    return true;
  });
});

test("a download that stalls mid-file gives up after the timeout, keeps its bytes, and resumes later", { timeout: 120_000 }, async () => {
  const cache = await fresh();
  hub.stall.add("model.safetensors");
  await assert.rejects(resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, timeoutMs: 200, ...quiet }), (err: unknown) => {
    assert.ok(err instanceof HubError);
    assert.match(err.message, /^acme\/encoder: downloading model\.safetensors failed after 5 attempts \(no data for 0\.2 s\); \d+ of 200000 bytes are kept in .*\.incomplete and the next call resumes from there$/);
    return true;
  });
  // Every attempt delivered half of what was left, and the next one asked for the rest.
  const ranges = hub.resolves("model.safetensors").map((r) => r.range);
  assert.deepEqual(ranges, [undefined, "bytes=100000-", "bytes=150000-", "bytes=175000-", "bytes=187500-"]);
  hub.reset();
  const dir = await resolveModel("acme/encoder", { cacheDir: cache, endpoint: hub.url, ...quiet });
  await assertSameFiles(dir, ENCODER, ["model.safetensors"]);
  assert.deepEqual(hub.resolves("model.safetensors").map((r) => r.range), ["bytes=193750-"]);
});

test("HF_HUB_CACHE and HF_ENDPOINT are the defaults", async () => {
  const cache = await fresh();
  process.env.HF_HUB_CACHE = cache;
  process.env.HF_ENDPOINT = `${hub.url}/`;
  try {
    const dir = await resolveModel("acme/encoder", quiet);
    assert.equal(dir, join(cache, "models--acme--encoder", "snapshots", ENCODER.sha));
  } finally {
    delete process.env.HF_HUB_CACHE;
    delete process.env.HF_ENDPOINT;
  }
});
