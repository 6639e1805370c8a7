/**
 * The sha256sum-format manifest of vendored data: parsing, writing (as `sha256sum` itself reads
 * and writes it), and files checked against it before any is returned.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { formatManifest, MANIFEST_NAME, parseManifest, readManifest, readVerified, relativeTo, sha256 } from "../../src/data/manifest.js";
import { dataDir } from "../../src/paths.js";
import { DataError } from "../../src/util/errors.js";

const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // FIPS 180-2's "abc"
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

function hasSha256sum(): boolean {
  try {
    execFileSync("sha256sum", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function rejectsData(p: Promise<unknown>, file: string, problem: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof DataError, `not a DataError: ${String(err)}`);
    assert.equal(err.file, file);
    assert.equal(err.problem, problem);
    return true;
  });
}

test("sha256 of known inputs", () => {
  assert.equal(sha256(new TextEncoder().encode("abc")), ABC);
  assert.equal(sha256(new Uint8Array(0)), EMPTY);
});

test("parseManifest: text and binary mode lines, a leading ./ dropped, blank lines skipped", () => {
  const m = parseManifest(`${ABC}  xquad-r/en.json\n\n${EMPTY} *./mlqa-r/de.json\n${ABC}  name with spaces.json\n`, "SUMS");
  assert.deepEqual([...m], [
    ["xquad-r/en.json", ABC],
    ["mlqa-r/de.json", EMPTY],
    ["name with spaces.json", ABC],
  ]);
  assert.equal(parseManifest("", "SUMS").size, 0);
});

test("parseManifest: a line that is not '<sha256>  <path>' names its number", () => {
  const bad = [
    `${ABC.toUpperCase()}  a.json`, // sha256sum writes lower case
    `${ABC.slice(1)}  a.json`,
    `${ABC}a.json`,
    `${ABC}  `,
    `${ABC}\ta.json`,
  ];
  for (const line of bad) {
    assert.throws(
      () => parseManifest(`${EMPTY}  ok.json\n${line}\n`, "data/SHA256SUMS"),
      (err: unknown) => err instanceof DataError && err.message === "data/SHA256SUMS: line 2 is not '<sha256>  <path>'",
      line,
    );
  }
});

test("formatManifest: sorted by path, one '<hash>  <path>' line each; parse(format(m)) is m", () => {
  const m = new Map([
    ["xquad-r/en.json", ABC],
    ["mlqa-r/de.json", EMPTY],
    ["B.json", ABC],
  ]);
  const text = formatManifest(m);
  assert.equal(text, `${ABC}  B.json\n${EMPTY}  mlqa-r/de.json\n${ABC}  xquad-r/en.json\n`);
  assert.deepEqual(parseManifest(text, "SUMS"), new Map([...m].sort()));
  assert.equal(formatManifest(new Map()), "");
});

describe("manifests on disk", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "hybrid-ir-manifest-"));
    await mkdir(join(dir, "xquad-r"));
    await writeFile(join(dir, "xquad-r", "en.json"), "abc");
    await writeFile(join(dir, "empty.txt"), "");
    await writeFile(join(dir, MANIFEST_NAME), formatManifest(new Map([["xquad-r/en.json", ABC], ["empty.txt", EMPTY]])));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test("what formatManifest writes, `sha256sum -c` checks; what `sha256sum` writes, parseManifest reads", { skip: !hasSha256sum() && "no sha256sum" }, () => {
    assert.match(execFileSync("sha256sum", ["-c", MANIFEST_NAME], { cwd: dir, encoding: "utf8" }), /xquad-r\/en\.json: OK/);
    const written = execFileSync("sha256sum", ["-b", "xquad-r/en.json", "empty.txt"], { cwd: dir, encoding: "utf8" });
    assert.deepEqual(parseManifest(written, "out"), new Map([["xquad-r/en.json", ABC], ["empty.txt", EMPTY]]));
  });

  test("readVerified returns the bytes of files that match", async () => {
    const files = await readVerified(dir, ["xquad-r/en.json", "empty.txt"]);
    assert.deepEqual([...files.keys()], ["xquad-r/en.json", "empty.txt"]);
    assert.equal(files.get("xquad-r/en.json")!.toString("utf8"), "abc");
    assert.equal(files.get("empty.txt")!.length, 0);
  });

  test("readVerified: a file not listed, missing or changed, or no manifest, is a DataError naming the file", async () => {
    await writeFile(join(dir, "extra.txt"), "x");
    await rejectsData(readVerified(dir, ["empty.txt", "extra.txt"]), join(dir, "extra.txt"), `not listed in ${join(dir, MANIFEST_NAME)}`);

    await rm(join(dir, "empty.txt"));
    await rejectsData(readVerified(dir, ["xquad-r/en.json", "empty.txt"]), join(dir, "empty.txt"), "file is missing");
    await writeFile(join(dir, "empty.txt"), "");

    await writeFile(join(dir, "xquad-r", "en.json"), "abd");
    await rejectsData(
      readVerified(dir, ["empty.txt", "xquad-r/en.json"]),
      join(dir, "xquad-r", "en.json"),
      `checksum mismatch (sha256 ${sha256(new TextEncoder().encode("abd"))}, manifest says ${ABC}): the file was modified or truncated`,
    );
    await writeFile(join(dir, "xquad-r", "en.json"), "abc");

    const bare = join(dir, "xquad-r");
    await rejectsData(readManifest(bare), join(bare, MANIFEST_NAME), "checksum manifest is missing (re-vendor with `npm run vendor-data`)");
    await rejectsData(readVerified(bare, ["en.json"]), join(bare, MANIFEST_NAME), "checksum manifest is missing (re-vendor with `npm run vendor-data`)");
  });

  test("the vendored reference results check against their manifest", async () => {
    const reference = join(dataDir(), "reference");
    const manifest = await readManifest(reference);
    const paths = [...manifest.keys()];
    assert.ok(paths.includes("paper-2408.10536-results.json"), paths.join(", "));
    const files = await readVerified(reference, paths);
    for (const path of paths) assert.deepEqual(files.get(path), await readFile(join(reference, path)));
  });
});

test("relativeTo: a forward-slash path below the directory", () => {
  assert.equal(relativeTo("/data/lareqa", "/data/lareqa/xquad-r/en.json"), "xquad-r/en.json");
  assert.equal(relativeTo("/data/lareqa/", "/data/lareqa/SHA256SUMS"), "SHA256SUMS");
  assert.equal(relativeTo("/data/lareqa", "/data/other/x.json"), "../other/x.json");
});
