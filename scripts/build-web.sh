#!/usr/bin/env bash
# Builds the browser apps (widget, console) for release into public/pkg/{widget,console}.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
for app in widget console; do
  crate="parley_${app}"
  step "build $app (wasm32, release)"
  cargo build --release --target wasm32-unknown-unknown -p "parley-$app"
  out="public/pkg/$app"
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" "target/wasm32-unknown-unknown/release/$crate.wasm"
  # Minify the JS glue (esbuild ships with wrangler); it goes to every visitor.
  "$ESBUILD_BIN" "$out/$crate.js" --minify --format=esm --log-level=warning --allow-overwrite --outfile="$out/$crate.js"
  if [[ "${PARLEY_NO_WASM_OPT:-}" != 1 ]]; then
    "$WASM_OPT_BIN" -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      "$out/${crate}_bg.wasm" -o "$out/${crate}_bg.wasm"
  fi
done
