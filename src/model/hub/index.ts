/**
 * Getting a model: a local directory as is, or a Hugging Face hub id fetched into the cache
 * layout Python's huggingface_hub uses (cache.ts), downloaded resumably (download.ts) with the
 * settings Python's environment variables give (settings.ts).
 */
import { join } from "node:path";
import { getHFHubCachePath, getRepoFolderName } from "@huggingface/hub";
import { checkRepoPath, findCachedSnapshot, isDirectory } from "./cache.js";
import { downloadSnapshot } from "./download.js";
import { HubError, ModelNotCachedError } from "./errors.js";
import { defaultToken, envFlag, envSeconds, type Hub, type ResolveModelOptions } from "./settings.js";

export { selectModelFiles } from "./cache.js";
export { HubError, ModelNotCachedError } from "./errors.js";
export type { DownloadProgress, ResolveModelOptions } from "./settings.js";

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/**
 * The directory holding the model `ref` names: `ref` itself if it is an existing directory,
 * else the cached snapshot of hub model `owner/name`, downloaded first if the cache lacks files.
 * A complete cached snapshot is used without contacting the hub.
 */
export async function resolveModel(ref: string, opts: ResolveModelOptions = {}): Promise<string> {
  if (await isDirectory(ref)) return ref;
  if (!HUB_ID.test(ref) || ref.includes("..")) {
    throw new HubError(ref, "is neither an existing directory nor a hub model id of the form owner/name");
  }
  const files = opts.files?.map((f) => checkRepoPath(ref, f));
  const revision = opts.revision ?? "main";
  const repoDir = join(opts.cacheDir ?? getHFHubCachePath(), getRepoFolderName({ type: "model", name: ref }));
  const cached = await findCachedSnapshot(repoDir, revision, files);
  if (cached.missing.length === 0) return cached.dir;
  if (opts.offline ?? envFlag(process.env.HF_HUB_OFFLINE)) {
    throw new ModelNotCachedError(ref, cached.dir, cached.missing, "offline mode is on (HF_HUB_OFFLINE or offline: true)");
  }
  const timeoutMs = opts.timeoutMs ?? envSeconds(process.env.HF_HUB_DOWNLOAD_TIMEOUT) ?? 30_000;
  const hub: Hub = {
    repoId: ref,
    endpoint: (opts.endpoint ?? process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, ""),
    token: opts.token ?? (await defaultToken()),
    timeoutMs,
    onProgress: opts.onProgress,
  };
  return downloadSnapshot(hub, repoDir, revision, files, cached);
}
