#!/usr/bin/env bash
# GPU checks and benchmarks for a machine with an NVIDIA GPU, CUDA, PyTorch and transformers but
# neither Node nor network (the device machine of a development session). Node comes from the
# offline bundle (scripts/bundle.ts); run from the repository root:
#
#   npm run build && node dist/scripts/bundle.js --device      # here: bundle/hybrid-ir-*-device.tar.xz
#   bash bench/gpu/run.sh [BUNDLE]                              # there (carry the bundle and .gl)
#
# BUNDLE defaults to bundle/hybrid-ir-*-linux-x64-device.tar.xz, else bundle/hybrid-ir-*.tar.gz.
# The device variant leaves data/ out (this checkout's data/ is linked in) to stay under the
# device's upload limit. Steps (STEPS="env parity train throughput checkpoints" by default; set
# STEPS to a subset to split the work over several calls):
#   env          GPU, driver, torch/transformers versions; the Vulkan loader (from .gl/*.deb when
#                missing, as the device README says) and the WebGPU adapter Dawn finds
#   parity       (a) tiny-xlmr / tiny-bert parity fixtures on webgpu and wasm against expected.json
#                and each other (dist/bench/gpu/parity.js), `hybrid-ir embed` webgpu vs wasm on the
#                fixture model, and transformers (+ sentence-transformers) against expected.json
#                (bench/gpu/parity_transformers.py)
#   train        (b) a short training run per strategy (x-x, x-y, hybrid) on webgpu
#   throughput   (c) one training step and embedding throughput of an XLM-R-base-sized random model:
#                tfjs on webgpu (dist/bench/gpu/webgpu-step.js) vs PyTorch + transformers fp32 and
#                bf16 autocast (bench/gpu/torch_step.py)
#   checkpoints  (d) pretrained multilingual checkpoints on the machine: *.safetensors over 100 MB
#                and Hugging Face caches
# Writes $OUT/results.json (every step's JSON, statuses, environment), $OUT/results.md (tables; copy
# it to bench/results/<date>-<device>-<commit>.md, the name it prints) and $OUT/run.log.
# OUT defaults to /tmp/hybrid-ir-gpu-results. Each step has its own time limit; the whole run takes ~5 min.
set -uo pipefail

ROOT=$(cd -- "$(dirname -- "$0")/../.." && pwd)
cd "$ROOT" || exit 1
OUT=${OUT:-/tmp/hybrid-ir-gpu-results}
STEPS=${STEPS:-env parity train throughput checkpoints}
PARTS=$(mktemp -d /tmp/hybrid-ir-gpu-parts.XXXXXX)
mkdir -p "$OUT"
exec > >(tee -a "$OUT/run.log") 2>&1
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}

say() { printf '\n== %s\n' "$*"; }
status() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$PARTS/status.tsv"; }
# step NAME SECONDS CMD...: runs with a time limit, records its exit status.
step() {
  local name=$1 limit=$2
  shift 2
  say "$name: $*"
  local t0=$SECONDS
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  LAST_RC=$rc
  status "$name" "$rc" "$((SECONDS - t0))"
  [ "$rc" -eq 0 ] || echo "!! $name exited with $rc"
  return 0
}
wants() { case " $STEPS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

# ---- bundle: unpack, link data/ ----------------------------------------------------------------
BUNDLE=${1:-}
if [ -z "$BUNDLE" ]; then
  BUNDLE=$(ls bundle/hybrid-ir-*-linux-x64-device.tar.xz 2>/dev/null | head -n1)
  [ -n "$BUNDLE" ] || BUNDLE=$(ls bundle/hybrid-ir-*-linux-x64.tar.gz 2>/dev/null | head -n1)
fi
if [ -z "$BUNDLE" ] || [ ! -f "$BUNDLE" ]; then
  echo "run.sh: no bundle (build one with: node dist/scripts/bundle.js --device; carry it)" >&2
  exit 2
fi
UNPACK=/tmp/hybrid-ir-bundle
rm -rf "$UNPACK" && mkdir -p "$UNPACK"
say "unpacking $BUNDLE"
if ! tar -xf "$BUNDLE" -C "$UNPACK" 2>/dev/null; then
  # No xz binary for tar: Python's tarfile reads xz and gzip itself.
  "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE" "$UNPACK" || exit 2
fi
TOP=$(ls -d "$UNPACK"/hybrid-ir-* | head -n1)
[ -e "$TOP/data" ] || ln -s "$ROOT/data" "$TOP/data"
NODE=$TOP/node/bin/node
HIR=$TOP/bin/hybrid-ir
"$NODE" --version || { echo "run.sh: the bundled node does not run here" >&2; exit 2; }
grep -m1 'from commit' "$TOP/BUNDLE-README.md" || true

# ---- Vulkan: the loader and the NVIDIA driver's ICD ---------------------------------------------
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if ls .gl/*.deb >/dev/null 2>&1; then
    say "no Vulkan loader: installing .gl/*.deb"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "!! no libvulkan.so.1 and no .gl/*.deb: webgpu cannot start (see bench/gpu/run.sh header)"
  fi
fi
if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* >/dev/null 2>&1 \
  && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export VK_ICD_FILENAMES=$VK_DRIVER_FILES
fi

if wants env; then
  say "environment"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$PARTS/gpu.txt"
  "$PY" - <<'EOF' > "$PARTS/python.json"
import json, platform
info = {"python": platform.python_version()}
for mod in ("torch", "transformers", "sentence_transformers", "tokenizers"):
    try:
        info[mod] = __import__(mod).__version__
    except Exception as e:  # noqa: BLE001
        info[mod] = None
try:
    import torch
    info["cuda"] = torch.version.cuda
    info["device_name"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
except Exception:  # noqa: BLE001
    pass
print(json.dumps(info))
EOF
  cat "$PARTS/python.json"
  # The adapter Dawn picks (a CPU Vulkan such as llvmpipe would show here).
  (cd "$TOP" && timeout 60 "$NODE" --input-type=module -e '
    const { create } = await import("webgpu");
    const gpu = create([]);
    const a = await gpu.requestAdapter({ powerPreference: "high-performance" });
    const info = a === null ? null : (a.info ?? (a.requestAdapterInfo ? await a.requestAdapterInfo() : {}));
    const pick = (o) => o && { vendor: o.vendor, architecture: o.architecture, device: o.device, description: o.description };
    console.log(JSON.stringify({ adapter: pick(info), maxBufferSize: a?.limits?.maxBufferSize ?? null, maxStorageBufferBindingSize: a?.limits?.maxStorageBufferBindingSize ?? null }));
    process.exit(0);' > "$PARTS/adapter.json")
  status adapter $? 0
  cat "$PARTS/adapter.json"
fi

if wants parity; then
  step parity-tfjs 300 "$NODE" "$TOP/dist/bench/gpu/parity.js" --backends wasm,webgpu \
    --fixtures test/fixtures/parity --out "$PARTS/parity-tfjs.json"
  # The command line on both backends, on the fixture model (texts of its cases).
  "$PY" -c '
import json, sys
cases = json.load(open("test/fixtures/parity/tiny-xlmr/expected.json"))["cases"]
for c in cases:
    for i, t in enumerate(c["texts"]):
        row = {"text": t}
        if c["text_pairs"]:
            row["context"] = c["text_pairs"][i]
        print(json.dumps(row, ensure_ascii=False))' > "$PARTS/texts.jsonl"
  for b in wasm webgpu; do
    step "cli-embed-$b" 90 "$HIR" embed --model test/fixtures/parity/tiny-xlmr --input "$PARTS/texts.jsonl" \
      --out "$PARTS/cli-$b.npy" --backend "$b"
    if [ "$LAST_RC" -eq 124 ] && [ -f "$PARTS/cli-$b.npy" ]; then
      echo "!! hybrid-ir embed --backend $b wrote its output but did not exit (a live Dawn GPU object keeps Node running?)"
    fi
  done
  "$PY" -c '
import json, sys, numpy as np
p = sys.argv[1]
try:
    w, g = np.load(p + "/cli-wasm.npy"), np.load(p + "/cli-webgpu.npy")
    print(json.dumps({"rows": int(w.shape[0]), "cols": int(w.shape[1]), "max_abs_webgpu_vs_wasm": float(np.abs(w - g).max())}))
except Exception as e:
    print(json.dumps({"error": str(e)}))' "$PARTS" | tee "$PARTS/cli-embed.json"
  step parity-transformers 300 "$PY" bench/gpu/parity_transformers.py --out "$PARTS/parity-transformers.json"
fi

if wants train; then
  step train-webgpu 420 "$NODE" "$TOP/dist/bench/gpu/train-strategies.js" --backend webgpu \
    --steps "${TRAIN_STEPS:-30}" --batch-size "${TRAIN_BATCH:-32}" --out "$PARTS/train-webgpu.json"
fi

if wants throughput; then
  step webgpu-step 420 "$NODE" "$TOP/dist/bench/gpu/webgpu-step.js" --backend webgpu --config base \
    --batch 100 --query-tokens 32 --passage-tokens 128 --steps "${WEBGPU_STEPS:-3}" --out "$PARTS/webgpu-step.json"
  step torch-step 300 "$PY" bench/gpu/torch_step.py --config base --modes fp32,bf16 \
    --batch 100 --query-tokens 32 --passage-tokens 128 --out "$PARTS/torch-step.json"
fi

if wants checkpoints; then
  say "checkpoints: *.safetensors over 100 MB, Hugging Face caches"
  timeout 120 find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path "$UNPACK" \) -prune -o \
    -name '*.safetensors' -size +100M -printf '%s\t%p\n' 2>/dev/null | sort -k2 > "$PARTS/safetensors.tsv"
  status find-safetensors $? 0
  for d in "${HF_HUB_CACHE:-}" "${HF_HOME:-}" "$HOME/.cache/huggingface" /root/.cache/huggingface /data /models /opt; do
    [ -n "$d" ] && [ -d "$d" ] && timeout 60 find "$d" -maxdepth 4 -type d -name 'models--*' 2>/dev/null
  done | sort -u > "$PARTS/hf-cache.txt"
  wc -l < "$PARTS/safetensors.tsv" | xargs echo "safetensors files over 100 MB:"
  head -n 40 "$PARTS/safetensors.tsv"
  echo "Hugging Face cache entries:" && cat "$PARTS/hf-cache.txt"
fi

say "summary"
"$PY" bench/gpu/summarize.py --parts "$PARTS" --bundle "$TOP" --out "$OUT"
