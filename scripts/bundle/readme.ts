/**
 * BUNDLE-README.md: what is inside a bundle, how to run it, what the host needs, versions and
 * licenses. Generated from what was actually packed, so it cannot drift from the archive.
 */
import { readFileSync } from "node:fs";
import type { ClosurePackage } from "./closure.js";
import { EXCLUDED_PACKAGES, PLATFORM } from "./contents.js";

/** The newest glibc / libstdc++ symbol versions an ELF binary asks for: its minimum host. */
export interface ElfNeeds {
  readonly glibc?: string;
  readonly glibcxx?: string;
}

function newest(versions: Iterable<string>): string | undefined {
  const parse = (v: string) => v.split(".").map(Number);
  let best: string | undefined;
  for (const v of versions) {
    if (best === undefined) best = v;
    else {
      const [a, b] = [parse(v), parse(best)];
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        if ((a[i] ?? 0) !== (b[i] ?? 0)) {
          if ((a[i] ?? 0) > (b[i] ?? 0)) best = v;
          break;
        }
      }
    }
  }
  return best;
}

/**
 * Reads the version names in the binary's dynamic string table (`GLIBC_2.28`, `GLIBCXX_3.4.30`);
 * the newest of each is what the host's libc and libstdc++ must provide. A byte scan, no ELF
 * parser: the names only occur there.
 */
export function elfNeeds(file: string): ElfNeeds {
  const text = readFileSync(file).toString("latin1");
  const glibc = new Set([...text.matchAll(/GLIBC_(2\.\d+(?:\.\d+)?)/g)].map((m) => m[1]));
  const glibcxx = new Set([...text.matchAll(/GLIBCXX_(3\.4\.\d+)/g)].map((m) => m[1]));
  return { glibc: newest(glibc), glibcxx: newest(glibcxx) };
}

export interface ReadmeFacts {
  readonly name: string;
  readonly version: string;
  readonly top: string;
  readonly archive: string;
  readonly commit: string;
  readonly builtAt: string;
  readonly nodeVersion: string;
  readonly nodeNeeds: ElfNeeds;
  readonly dawnNeeds: ElfNeeds | undefined;
  readonly packages: readonly ClosurePackage[];
  readonly withData: boolean;
  readonly nodeLicense: boolean;
}

function needs(n: ElfNeeds | undefined): string {
  if (n === undefined) return "not bundled";
  return [n.glibc && `glibc ≥ ${n.glibc}`, n.glibcxx && `libstdc++ with GLIBCXX_${n.glibcxx}`].filter(Boolean).join(", ") || "nothing beyond libc";
}

export function bundleReadme(f: ReadmeFacts): string {
  const rows = f.packages.map((p) => `| ${p.name}${p.name !== p.realName ? ` (alias of ${p.realName})` : ""} | ${p.version} | ${p.license} | \`${p.dir}\` |`);
  const excluded = [...EXCLUDED_PACKAGES].map(([name, why]) => `- \`${name}\`: ${why}`);
  return `# ${f.name} ${f.version} for ${PLATFORM}: offline bundle

Everything the \`hybrid-ir\` command needs to run on a Linux x86-64 machine without network access
and without Node.js: the Node runtime, the compiled suite, its run-time dependencies${f.withData ? " and the vendored data" : ""}.
Built ${f.builtAt} from commit \`${f.commit}\` with Node.js ${f.nodeVersion} (archive \`${f.archive}\`).

## Run

\`\`\`sh
tar -xf ${f.archive}                   # anywhere; the folder can be moved afterwards
${f.top}/bin/hybrid-ir --help
${f.top}/bin/hybrid-ir stats xquad-r
${f.top}/bin/hybrid-ir embed --model mini --input texts.jsonl --out texts.npy --backend auto
\`\`\`

\`bin/hybrid-ir\` runs \`node/bin/node dist/src/cli/main.js\` from this folder, whatever \`node\` is
on PATH; link it into a folder on PATH if you like (\`ln -s "$PWD/${f.top}/bin/hybrid-ir" ~/bin/\`).
Benchmarks run with the same Node: \`${f.top}/node/bin/node ${f.top}/dist/bench/gpu/webgpu-step.js --help\`.

Models: \`mini\` is built here from the vendored tokenizer. \`xlm-r-base\` and \`labse\` come from the
Hugging Face hub: on a machine without network, pass a local folder (\`--model DIR\`, the
sentence-transformers or transformers layout), or copy a Hugging Face cache filled elsewhere and set
\`HF_HUB_CACHE\` (or \`HF_HOME\`) and \`HF_HUB_OFFLINE=1\`.

## What the host needs

- Linux x86-64; Node: ${needs(f.nodeNeeds)}.
- Compute backends (\`--backend auto\` takes the first that starts, and says on stderr why it skipped others):
  - \`webgpu\`: Dawn (the \`webgpu\` package, ${needs(f.dawnNeeds)}) on Vulkan: the Vulkan loader
    \`libvulkan.so.1\` (Debian/Ubuntu package \`libvulkan1\`) and the GPU vendor's Vulkan driver (NVIDIA:
    part of the driver, \`nvidia_icd.json\` under \`/usr/share/vulkan/icd.d\` or \`/etc/vulkan/icd.d\`; point
    \`VK_DRIVER_FILES\` at it if it lives elsewhere).
  - \`tensorflow\`: **not in the bundle** (\`@tensorflow/tfjs-node-gpu\` downloads libtensorflow when
    installed and needs CUDA 11.2 / cuDNN 8.1); see docs/bundle.md in the repository.
  - \`wasm\` (XNNPACK, one thread) and \`cpu\`: always available.

## What is inside

| path | what |
|---|---|
| \`bin/hybrid-ir\` | launcher (POSIX sh) |
| \`node/bin/node\` | Node.js ${f.nodeVersion}${f.nodeLicense ? " (license: \`node/LICENSE\`)" : ""} |
| \`dist/src/\` | the compiled suite (\`dist/src/cli/main.js\` is the command line) |
| \`dist/bench/\` | benchmarks, including the GPU ones in \`dist/bench/gpu/\` |
| \`node_modules/\` | run-time dependencies, below |
| \`data/\` | ${f.withData ? "vendored XQuAD-R, MLQA-R, the XLM-R tokenizer and the paper's results, with their licenses and checksums" : "**not included** in this variant: link the repository's \`data/\` here"} |
| \`package.json\`, \`LICENSE\` | the suite's manifest and license |

Dependencies bundled (the production closure of package.json, trimmed to the files Node loads:
no source maps or type declarations; for \`@tensorflow/*\` each package's Node bundle and \`.wasm\`
files; for \`webgpu\` only Dawn's \`${PLATFORM}\` binary):

| package | version | license | folder |
|---|---|---|---|
${rows.join("\n")}

Left out on purpose:
${excluded.join("\n")}
- \`@types/*\`: type declarations, never loaded at run time

## Licenses

hybrid-ir: Apache-2.0 (\`LICENSE\`). Node.js: MIT and the bundled third-party licenses listed in its
LICENSE file. Each dependency's license is in its folder under \`node_modules/\` (table above).
${f.withData ? "Data keeps its own licenses: XQuAD-R CC BY-SA 4.0, MLQA-R CC BY-NC 4.0 (non-commercial), the XLM-R vocabulary MIT (via BlingFire); see the README.md and LICENSE files under `data/`." : "Data is not part of this variant."}
`;
}
