/**
 * What can go wrong getting a hub model, said in words that name the repo and what to do: the
 * errors callers catch, and the classification of fetch failures the downloader retries on.
 */
import { HubApiError } from "@huggingface/hub";
import type { Hub } from "./settings.js";

/** A hub model could not be had; the message starts with the repo id. */
export class HubError extends Error {
  constructor(
    readonly repoId: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${repoId}: ${problem}`, options);
    this.name = "HubError";
  }
}

/** The cache lacks files and the hub cannot supply them (offline, or unreachable). */
export class ModelNotCachedError extends HubError {
  constructor(
    repoId: string,
    readonly snapshotDir: string,
    readonly missing: readonly string[],
    why: string,
    options?: { cause?: unknown },
  ) {
    super(
      repoId,
      `not in the cache, and ${why}.\n` +
        `  Missing: ${missing.join(", ")}\n` +
        `  Put them in: ${snapshotDir}\n` +
        `  Or, on a machine with network: huggingface-cli download ${repoId} --local-dir DIR\n` +
        `  then copy DIR here and pass its path instead of "${repoId}".`,
      options,
    );
    this.name = "ModelNotCachedError";
  }
}

/** A failure worth another attempt: a dropped connection, a stall, a 5xx. */
export class RetryableError extends Error {}

/** No answer at all, or the hub is down: the cases where a cached copy would have helped. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof HubApiError) return err.statusCode >= 500 || err.statusCode === 429 || err.statusCode === 408;
  if (!(err instanceof Error)) return false;
  // undici's fetch reports refused / reset / DNS failures as TypeError("fetch failed"), a body cut short as "terminated".
  return err.name === "TimeoutError" || err.name === "AbortError" || (err instanceof TypeError && /fetch failed|terminated/.test(err.message));
}

export function apiError(err: unknown, hub: Hub, revision: string): Error {
  if (!(err instanceof HubApiError)) return err instanceof Error ? err : new Error(String(err));
  const said = err.message.split(". URL:")[0];
  if (err.statusCode === 404 || err.statusCode === 401) {
    const auth = hub.token ? "the token sent may lack access to it" : "if it is private, set HF_TOKEN";
    return new HubError(
      hub.repoId,
      `no such model (or revision "${revision}") at ${hub.endpoint}, and no local directory of that name; ${auth} (hub said: ${said})`,
      { cause: err },
    );
  }
  if (err.statusCode === 403) {
    return new HubError(hub.repoId, `access denied by ${hub.endpoint}: the model is gated or private; accept its terms at ${hub.endpoint}/${hub.repoId} and set HF_TOKEN (hub said: ${said})`, {
      cause: err,
    });
  }
  return new HubError(hub.repoId, `${hub.endpoint} answered ${err.statusCode}: ${said}`, { cause: err });
}

export function describe(err: unknown, hub: Hub): string {
  if (!(err instanceof Error)) return String(err);
  if (err instanceof RetryableError || err instanceof HubError) return err.message;
  if (err.name === "TimeoutError") return `no response within ${hub.timeoutMs / 1000} s`;
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return `${err.message}: ${code ? `${code} ` : ""}${cause.message}`;
  }
  return err.message;
}
