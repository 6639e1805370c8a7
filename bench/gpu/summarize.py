#!/usr/bin/env python3
"""Collects what bench/gpu/run.sh's steps wrote into one results.json and a markdown report.

  python3 bench/gpu/summarize.py --parts DIR --bundle UNPACKED_BUNDLE_DIR --out OUT_DIR

Reads the parts folder (status.tsv, *.json, safetensors.tsv, hf-cache.txt; any may be missing
when a step failed or was not selected) and writes OUT/results.json and OUT/results.md. Prints the
name the report should get under bench/results/: <date>-<device>-<commit>.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any, Optional


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def read_text(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def fmt(x: Any) -> str:
    """Numbers as a table wants them: 1234 ms, 3.21 loss, 1.2e-06 differences."""
    if x is None:
        return "–"
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")) or x == 0:
            return str(x)
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 1e-3:
            return f"{x:.3g}"
        return f"{x:.2e}"
    return str(x)


def bundle_facts(top: Path) -> dict:
    text = read_text(top / "BUNDLE-README.md")
    commit = re.search(r"from commit `([0-9a-f]+|unknown)( with uncommitted changes)?`", text)
    node = re.search(r"with Node\.js (v[\d.]+)", text)
    return {
        "commit": commit.group(1) if commit else "unknown",
        "dirty": bool(commit and commit.group(2)),
        "node": node.group(1) if node else None,
        "bundle": top.name,
    }


def table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(c) for c in r) + " |" for r in rows]
    return out


def parity_rows(parity: Optional[dict]) -> list[list[Any]]:
    if not parity:
        return []
    rows = []
    groups: dict[tuple, list[dict]] = {}
    for r in parity.get("results", []):
        if "model" in r:
            groups.setdefault((r["backend"], r["model"]), []).append(r)
        else:
            rows.append([r.get("backend"), "–", "did not start", r.get("error"), "–"])
    for (backend, model), rs in groups.items():
        rows.append([
            backend, model,
            max(x["hiddenVsExpected"] for x in rs), max(x["embeddingVsExpected"] for x in rs),
            max(x["hiddenVsFirstBackend"] for x in rs),
        ])
    return rows


def throughput_rows(webgpu: Optional[dict], torch: Optional[list]) -> list[list[Any]]:
    rows = []
    if webgpu:
        adapter = webgpu.get("adapter") or {}
        rows.append([f"{webgpu.get('impl')} on {webgpu.get('backend')} ({adapter.get('vendor', '')} {adapter.get('architecture', '')})".strip(),
                     "fp32", webgpu["train"]["medianStepMs"], webgpu["embed"]["sentencesPerSec"], None])
    for r in torch or []:
        rows.append([f"{r['impl']}, torch {r['torch']} on {r['device_name']}", r["mode"], r["train"]["median_step_ms"],
                     r["embed"]["sentences_per_s"], r["train"].get("peak_mib")])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--parts", type=Path, required=True)
    ap.add_argument("--bundle", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    p = args.parts
    statuses = [line.split("\t") for line in read_text(p / "status.tsv").splitlines() if line]
    gpu = read_text(p / "gpu.txt").strip()
    results = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
        "bundle": bundle_facts(args.bundle),
        "gpu": gpu,
        "python": read_json(p / "python.json"),
        "adapter": read_json(p / "adapter.json"),
        "steps": [{"step": s[0], "exit": int(s[1]), "seconds": int(s[2])} for s in statuses],
        "parity_tfjs": read_json(p / "parity-tfjs.json"),
        "cli_embed": read_json(p / "cli-embed.json"),
        "parity_transformers": read_json(p / "parity-transformers.json"),
        "train_webgpu": read_json(p / "train-webgpu.json"),
        "webgpu_step": read_json(p / "webgpu-step.json"),
        "torch_step": read_json(p / "torch-step.json"),
        "safetensors_over_100mb": [
            {"bytes": int(size), "path": path}
            for size, path in (line.split("\t", 1) for line in read_text(p / "safetensors.tsv").splitlines() if "\t" in line)
        ],
        "hf_cache": [line for line in read_text(p / "hf-cache.txt").splitlines() if line],
    }
    device = re.sub(r"[^a-z0-9]+", "-", (gpu.split(",")[0] if gpu else "unknown-device").lower()).strip("-")
    commit = results["bundle"]["commit"][:10]
    name = f"{results['date']}-{device}-{commit}.md"

    md = [f"# GPU run {results['date']}: {gpu or 'no GPU seen'}", "",
          f"Bundle `{results['bundle']['bundle']}`, commit `{results['bundle']['commit']}`"
          f"{' (with uncommitted changes)' if results['bundle']['dirty'] else ''}, Node {results['bundle']['node']}; "
          f"python {json.dumps(results['python'])}; WebGPU adapter {json.dumps(results['adapter'])}.", "",
          "## Steps", ""]
    md += table(["step", "exit", "seconds"], [[s["step"], s["exit"], s["seconds"]] for s in results["steps"]])
    md += ["", "## (a) Encoder parity (max abs difference)", ""]
    md += table(["backend", "model", "hidden vs expected", "embedding vs expected", "hidden vs first backend"],
                parity_rows(results["parity_tfjs"]))
    cli = results["cli_embed"] or {}
    md += ["", f"`hybrid-ir embed` on tiny-xlmr, webgpu vs wasm: {fmt(cli.get('max_abs_webgpu_vs_wasm'))} "
               f"({cli.get('rows', '–')} × {cli.get('cols', '–')}){' — ' + cli['error'] if 'error' in cli else ''}", ""]
    pt = results["parity_transformers"]
    if pt:
        md += ["transformers against expected.json:", ""]
        md += table(["model", "reference in expected.json", "last_hidden_state", "pooled", "dense", "embedding", "tokenizer ids match", "via"],
                    [[m["model"], m["expected_reference"], m["max_abs"].get("last_hidden_state"), m["max_abs"].get("pooled"),
                      m["max_abs"].get("dense"), m["max_abs"].get("embedding"), m["tokenizer"].get("ok"),
                      f"transformers {m['transformers']}; {m['sentence_transformers']}"] for m in pt["models"]])
    md += ["", "## (b) Short training runs on webgpu (mini, XQuAD-R records)", ""]
    tr = results["train_webgpu"] or {}
    md += table(["sampler", "steps", "batch", "first loss", "last loss", "median ms/step", "finite"],
                [[r["sampler"], r["steps"], r["batchSize"], r["firstLoss"], r["lastLoss"], r["medianStepMs"], r["finite"]]
                 for r in tr.get("runs", [])])
    md += ["", "## (c) XLM-R-base-sized random model: one training step (batch 100, 32 + 128 tokens, AdamW) and embedding", ""]
    md += table(["implementation", "precision", "train ms/step (median)", "embed sentences/s (100 × 128)", "peak MiB"],
                throughput_rows(results["webgpu_step"], results["torch_step"]))
    md += ["", "## (d) Pretrained checkpoints on the machine", "",
           f"{len(results['safetensors_over_100mb'])} `*.safetensors` over 100 MB; {len(results['hf_cache'])} Hugging Face cache entries.", ""]
    md += [f"- `{s['path']}` ({s['bytes'] / 2**20:.0f} MiB)" for s in results["safetensors_over_100mb"][:40]]
    md += [f"- `{h}`" for h in results["hf_cache"][:40]]
    md += ["", f"Suggested name: `bench/results/{name}`.", ""]

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text("\n".join(md))
    print("\n".join(md))
    print(f"\nwrote {args.out / 'results.json'} and {args.out / 'results.md'}; keep the report as bench/results/{name}")


if __name__ == "__main__":
    main()
