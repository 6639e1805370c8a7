#!/bin/sh
# Builds native/blas_matmul.cc into dist/native/blas_matmul.node (part of `npm run build`): the
# BLAS matrix products for tfjs's wasm backend (src/compute/blas.ts). Optional: without a C++
# compiler or Node's headers it says so and exits 0, and the suite keeps XNNPACK's products.
# HYBRID_IR_NATIVE=0 skips it; CXX picks the compiler. The BLAS itself is opened at run time.
set -eu
cd "$(dirname "$0")/.."
src=native/blas_matmul.cc
out=dist/native/blas_matmul.node
if [ "${HYBRID_IR_NATIVE:-1}" = "0" ]; then
  echo "build-native: skipped (HYBRID_IR_NATIVE=0)"
  exit 0
fi
# Up to date: nothing to do (keeps `npm run build` at tsc's speed).
if [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$0" ]; then exit 0; fi
cxx="${CXX:-c++}"
if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "build-native: no C++ compiler ($cxx); matrix products stay on XNNPACK (see environment.md)"
  exit 0
fi
# Node's own headers: installed beside the node binary by nodesource, nvm and the official tarballs.
include="$(node -p 'require("node:path").join(process.execPath, "..", "..", "include", "node")')"
if [ ! -f "$include/node_api.h" ]; then
  echo "build-native: no node_api.h in $include; matrix products stay on XNNPACK (see environment.md)"
  exit 0
fi
case "$(uname -s)" in
  Darwin) link="-bundle -undefined dynamic_lookup" ;;
  *) link="-shared" ;;
esac
mkdir -p dist/native
tmp="$out.$$.tmp"
# shellcheck disable=SC2086 # $link is two words on macOS
if "$cxx" -O2 -std=c++17 -fPIC -Wall -Wextra -DNODE_GYP_MODULE_NAME=blas_matmul -I"$include" $link "$src" -o "$tmp" -ldl; then
  mv "$tmp" "$out"
else
  rm -f "$tmp"
  echo "build-native: compiling $src failed; matrix products stay on XNNPACK"
  exit 0
fi
