#!/usr/bin/env bash
# Builds the worker (edge/) with worker-build into edge/build/. wrangler runs this as its
# [build] command; PARLEY_SKIP_EDGE_BUILD=1 skips it when the bundle was just built.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [[ "${PARLEY_SKIP_EDGE_BUILD:-}" == 1 && -f "$ROOT/edge/build/worker/shim.mjs" ]]; then
  exit 0
fi
cd "$ROOT/edge"
if [[ "${PARLEY_EDGE_DEV:-}" == 1 ]]; then
  worker-build --release --no-opt   # wasm-opt off for a quick local loop
else
  worker-build --release
fi
