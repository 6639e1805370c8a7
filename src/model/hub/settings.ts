/**
 * How to reach the hub: the caller's options and the defaults Python's huggingface_hub takes
 * from the environment (HF_ENDPOINT, HF_HUB_OFFLINE, HF_HUB_DOWNLOAD_TIMEOUT, HF_TOKEN and the
 * token file), so the variables set for it work here unchanged.
 */
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

/** Bytes of one file received so far; `done` counts a resumed file's earlier bytes too. */
export interface DownloadProgress {
  readonly file: string;
  readonly done: number;
  readonly total: number;
}

/**
 * How `resolveModel` finds and fetches a hub model. Every field has a default that matches
 * Python's huggingface_hub, so the environment variables set for it work here unchanged.
 *
 * @example
 * ```ts
 * // Downloads once (progress on stderr), then answers from the cache without the network.
 * const dir = await resolveModel("sentence-transformers/LaBSE");
 * // A pinned commit, an air-gapped machine: fails fast, naming the missing files and where to put them.
 * const pinned = await resolveModel("FacebookAI/xlm-roberta-base", { revision: "e73636d4f797dec63c3081bb6ed5c7b0bb3f2089", offline: true });
 * ```
 */
export interface ResolveModelOptions {
  /** Hub cache root. Default: `HF_HUB_CACHE`, else `HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cacheDir?: string;
  /** Default: `HF_ENDPOINT`, else `https://huggingface.co`. */
  endpoint?: string;
  /** Branch, tag or 40-hex commit sha. Default: `"main"`. */
  revision?: string;
  /** Never use the network, only the cache. Default: `HF_HUB_OFFLINE` (1/true/yes/on). */
  offline?: boolean;
  /** Repo paths to fetch instead of the encoder selection (`selectModelFiles`); all must exist. */
  files?: readonly string[];
  /** Access token. Default: `HF_TOKEN`, else the token file `huggingface-cli login` writes. */
  token?: string;
  /**
   * Milliseconds to wait for a response, and then between two chunks of a download, before
   * giving up on a request. Default: `HF_HUB_DOWNLOAD_TIMEOUT` (seconds), else 30 000.
   */
  timeoutMs?: number;
  /** Called as bytes arrive; when given, no progress bar is drawn on stderr. */
  onProgress?: (progress: DownloadProgress) => void;
}

/** One download session: the repo and how to talk to its hub. */
export interface Hub {
  readonly repoId: string;
  readonly endpoint: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly onProgress: ((progress: DownloadProgress) => void) | undefined;
}

export async function defaultToken(): Promise<string | undefined> {
  const fromEnv = process.env.HF_TOKEN?.trim() || process.env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromEnv) return fromEnv;
  const home = process.env.HF_HOME ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "huggingface");
  try {
    return (await readFile(process.env.HF_TOKEN_PATH ?? join(home, "token"), "utf8")).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function envFlag(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.trim().toLowerCase());
}

export function envSeconds(value: string | undefined): number | undefined {
  const s = Number(value);
  return value !== undefined && value.trim() !== "" && Number.isFinite(s) && s > 0 ? s * 1000 : undefined;
}
