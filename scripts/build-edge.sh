#!/usr/bin/env bash
# Builds the worker (edge/) with worker-build into edge/build/. wrangler runs this as its
# [build] command; PARLEY_SKIP_EDGE_BUILD=1 skips it when the bundle was just built.
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [[ "${PARLEY_SKIP_EDGE_BUILD:-}" == 1 && -f "$ROOT/edge/build/worker/shim.mjs" ]]; then
  exit 0
fi
cd "$ROOT/edge"
# Every crate of the worker optimised for speed, not only parley-edge (Cargo.toml's release
# profile is "z" for the widget, whose bytes matter; the worker's CPU does: issue 19 measured
# ~10-20 % less workerd CPU a message, for a 3 % larger wasm). Set here, not in Cargo.toml, so
# the widget and console builds are unchanged.
export CARGO_PROFILE_RELEASE_OPT_LEVEL=3
if [[ "${PARLEY_EDGE_DEV:-}" == 1 ]]; then
  worker-build --release --no-opt   # wasm-opt off for a quick local loop
else
  worker-build --release
fi
