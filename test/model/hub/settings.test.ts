import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { defaultToken, envFlag, envSeconds } from "../../../src/model/hub/settings.js";

const VARS = ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HOME", "XDG_CACHE_HOME", "HOME"] as const;
type Env = Partial<Record<(typeof VARS)[number], string>>;

/** Runs `fn` with exactly `env` among VARS (the others unset), then puts the process env back. */
async function withEnv<T>(env: Env, fn: () => Promise<T>): Promise<T> {
  const saved = VARS.map((name) => [name, process.env[name]] as const);
  for (const name of VARS) {
    if (env[name] === undefined) delete process.env[name];
    else process.env[name] = env[name];
  }
  try {
    return await fn();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

let root = "";
before(async () => {
  root = await mkdtemp(join(tmpdir(), "hybrid-ir-hub-settings-"));
});
after(() => rm(root, { recursive: true, force: true }));

async function tokenFile(path: string, content: string): Promise<string> {
  const file = join(root, path);
  await mkdir(join(file, ".."), { recursive: true });
  await writeFile(file, content);
  return file;
}

test("defaultToken: HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, trimmed; blank ones do not count", async () => {
  const file = await tokenFile("a/token", "from-file\n");
  assert.equal(await withEnv({ HF_TOKEN: " hf_env \n", HUGGING_FACE_HUB_TOKEN: "old", HF_TOKEN_PATH: file }, defaultToken), "hf_env");
  assert.equal(await withEnv({ HUGGING_FACE_HUB_TOKEN: "old", HF_TOKEN_PATH: file }, defaultToken), "old");
  assert.equal(await withEnv({ HF_TOKEN: "  ", HUGGING_FACE_HUB_TOKEN: "", HF_TOKEN_PATH: file }, defaultToken), "from-file");
});

test("defaultToken: the token file at HF_TOKEN_PATH, else HF_HOME/token, else XDG_CACHE_HOME or ~/.cache/huggingface/token", async () => {
  await tokenFile("path/token", "hf_path");
  await tokenFile("home/token", "  hf_home\n");
  await tokenFile("xdg/huggingface/token", "hf_xdg");
  await tokenFile("user/.cache/huggingface/token", "hf_user\n");
  const user = join(root, "user");
  assert.equal(await withEnv({ HF_TOKEN_PATH: join(root, "path/token"), HF_HOME: join(root, "home"), HOME: user }, defaultToken), "hf_path");
  assert.equal(await withEnv({ HF_HOME: join(root, "home"), XDG_CACHE_HOME: join(root, "xdg"), HOME: user }, defaultToken), "hf_home");
  assert.equal(await withEnv({ XDG_CACHE_HOME: join(root, "xdg"), HOME: user }, defaultToken), "hf_xdg");
  assert.equal(await withEnv({ HOME: user }, defaultToken), "hf_user");
});

test("defaultToken: no token anywhere, an unreadable path or an empty file is undefined", async () => {
  const empty = await tokenFile("empty/token", " \n");
  assert.equal(await withEnv({ HF_TOKEN_PATH: empty }, defaultToken), undefined);
  assert.equal(await withEnv({ HF_TOKEN_PATH: join(root, "absent", "token") }, defaultToken), undefined);
  assert.equal(await withEnv({ HF_TOKEN_PATH: root }, defaultToken), undefined, "a directory is not a token file");
  assert.equal(await withEnv({ HOME: join(root, "nobody") }, defaultToken), undefined);
});

test("envFlag: 1/true/yes/on in any case and spacing; anything else, or unset, is false", () => {
  for (const on of ["1", "true", "TRUE", " yes ", "On"]) assert.equal(envFlag(on), true, JSON.stringify(on));
  for (const off of [undefined, "", "0", "false", "no", "off", "2", "y", "enabled"]) assert.equal(envFlag(off), false, JSON.stringify(off));
});

test("envSeconds: a positive number of seconds in milliseconds; anything else is undefined", () => {
  assert.equal(envSeconds("10"), 10_000);
  assert.equal(envSeconds(" 2.5 "), 2_500);
  assert.equal(envSeconds("1e1"), 10_000);
  for (const bad of [undefined, "", "  ", "0", "-5", "ten", "Infinity", "NaN", "5s"]) assert.equal(envSeconds(bad), undefined, JSON.stringify(bad));
});
