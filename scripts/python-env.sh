#!/usr/bin/env bash
# The project's Python environment for the checks that compare with real Python libraries
# (transformers, sentence-transformers, sentencepiece, pytrec_eval, ...). Creates .venv/ from
# the system Python with --system-site-packages (so Debian packages installed by apt, such as
# python3-torch, are visible), installs every pinned file in python/requirements/, and prints the
# venv's python on stdout. A stamp of the requirement files' contents skips pip when nothing
# changed, so a second call costs a fraction of a second.
#
#   PY=$(scripts/python-env.sh)            # all requirement files
#   PY=$(scripts/python-env.sh tokenizer)  # only python/requirements/tokenizer.txt
#
# HYBRID_IR_VENV overrides the location (default: .venv in the repository root).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${HYBRID_IR_VENV:-$root/.venv}"
base_python="${HYBRID_IR_BASE_PYTHON:-/usr/bin/python3}"
[ -x "$base_python" ] || base_python="$(command -v python3)"

files=()
if [ "$#" -eq 0 ]; then
  for f in "$root"/python/requirements/*.txt; do [ -e "$f" ] && files+=("$f"); done
else
  for name in "$@"; do
    f="$root/python/requirements/$name.txt"
    [ -e "$f" ] || { echo "python-env: no requirement file $f" >&2; exit 1; }
    files+=("$f")
  done
fi

# Test files run in parallel (node --test --test-concurrency) and several ask for the venv at
# once: one creates it and runs pip at a time, the others wait and then find the stamp.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [ ! -x "$venv/bin/python" ]; then
  "$base_python" -m venv --system-site-packages "$venv" >&2 || {
    echo "python-env: could not create a venv with $base_python (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi

if [ "${#files[@]}" -gt 0 ]; then
  stamp="$venv/.hybrid-ir-stamp-$(cat "${files[@]}" | sha256sum | cut -c1-16)"
  if [ ! -e "$stamp" ]; then
    args=()
    for f in "${files[@]}"; do args+=(-r "$f"); done
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "${args[@]}" >&2 || {
      echo "python-env: pip install failed for ${files[*]} (needs PyPI)" >&2
      exit 1
    }
    touch "$stamp"
  fi
fi
echo "$venv/bin/python"
