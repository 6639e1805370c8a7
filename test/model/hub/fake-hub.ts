/**
 * A fake Hugging Face hub on localhost for the hub tests: repos, request log, and the ways a real
 * one fails (cut connections, stalls, no Range support, wrong bytes, no answer).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before } from "node:test";

// The machine's own hub settings must not leak into these tests.
for (const name of ["HF_HUB_OFFLINE", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_DOWNLOAD_TIMEOUT"]) delete process.env[name];
process.env.HF_TOKEN_PATH = join(tmpdir(), "hybrid-ir-hub-test-no-token");

/** Deterministic filler: byte i is (i·31 + seed) mod 251, so no two files share content. */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) % 251;
  return b;
}

interface RepoFile {
  readonly bytes: Buffer;
  /** Stored with Git LFS: listed with a sha256, the etag Python names its blob after. */
  readonly lfs?: boolean;
}

export interface FakeRepo {
  readonly sha: string;
  readonly files: ReadonlyMap<string, RepoFile>;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export const ENCODER: FakeRepo = {
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

export const shards = { "model-00001-of-00002.safetensors": bytes(7_000, 5), "model-00002-of-00002.safetensors": bytes(6_000, 6) };
/** Sharded weights, a Dense module, and no tokenizer.json. */
export const SHARDED: FakeRepo = {
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

export function etagOf(f: RepoFile): string {
  if (f.lfs) return createHash("sha256").update(f.bytes).digest("hex");
  return createHash("sha1").update(`blob ${f.bytes.length}\0`).update(f.bytes).digest("hex");
}

interface Logged {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
}

/** The part of the hub API that @huggingface/hub's modelInfo / listFiles and a resolve download use. */
export class FakeHub {
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

export const hub = new FakeHub();
const temps: string[] = [];
/** Progress goes to a callback, so no bar is drawn on the test's stderr. */
export const quiet = { onProgress: () => {} };

/** Starts the fake hub before a test file's tests and stops it (and removes temp dirs) after. */
export function serveFakeHub(): void {
  before(() => hub.start());
  after(async () => {
    await hub.stop();
    for (const t of temps) await rm(t, { recursive: true, force: true });
  });
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hybrid-ir-hub-"));
  temps.push(dir);
  return dir;
}

/** A fresh cache and a clean request log. */
export async function fresh(): Promise<string> {
  hub.reset();
  return tempDir();
}

export const WANTED = ["config.json", "tokenizer.json", "tokenizer_config.json", "sentence_bert_config.json", "modules.json", "1_Pooling/config.json", "model.safetensors"];

export async function assertSameFiles(dir: string, repo: FakeRepo, paths: readonly string[]): Promise<void> {
  for (const p of paths) assert.ok((await readFile(join(dir, p))).equals(repo.files.get(p)!.bytes), `${p} differs`);
}

