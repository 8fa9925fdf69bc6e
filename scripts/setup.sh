#!/usr/bin/env bash
# Installs whatever is missing, idempotently and quickly when everything is there.
#   scripts/setup.sh        tools for building and serving (make dev)
#   scripts/setup.sh test   the same plus Debian's Chromium for the end-to-end tests
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

lock_version() { # version of crate $1 in Cargo.lock
  awk -v n="$1" '$0 == "name = \"" n "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

want_bindgen="$(lock_version wasm-bindgen)"
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $want_bindgen" ]]; then
  step "cargo install wasm-bindgen-cli $want_bindgen (once per machine, ~5 min)"
  # Not --locked: the CLI's own lockfile pins a crate the registry no longer has.
  cargo install wasm-bindgen-cli --version "=$want_bindgen" --force
fi

want_wb="$(lock_version worker)"
if [[ "$(worker-build --version 2>/dev/null)" != "$want_wb" ]]; then
  step "cargo install worker-build $want_wb (once per machine, ~9 min)"
  cargo install worker-build --version "=$want_wb" --locked --force
fi

# npm packages from the committed lockfile; re-run only when the lockfile changes.
stamp="node_modules/.parley-lock"
if [[ ! -f "$stamp" ]] || ! cmp -s package-lock.json "$stamp"; then
  step "npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

if [[ "${1:-}" == "test" ]] && [[ ! -x /usr/bin/chromium ]]; then
  step "apt-get install chromium (headless browser for the end-to-end tests)"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
