#!/usr/bin/env bash
# `make deploy`: puts Parley on your Cloudflare account, each step only if it is not done yet.
#   1. creates the D1 database of every `[[d1_databases]]` binding of wrangler.toml that does
#      not exist yet (`wrangler d1 list --json`, then `wrangler d1 create NAME`);
#   2. writes their ids into wrangler.deploy.toml (a copy of wrangler.toml; gitignored, so
#      wrangler.toml keeps its placeholders);
#   3. applies the migrations to every shard (`wrangler d1 migrations apply BINDING --remote`);
#      then creates the R2 bucket of every `[[r2_buckets]]` binding that does not exist yet
#      (`wrangler r2 bucket list`, then `wrangler r2 bucket create NAME`; issue 21's files);
#   4. sets PARLEY_SECRET if the worker has none (`wrangler secret list`): a new random one,
#      also kept in .parley-secret (gitignored, mode 600) so `make setup-code` can print the
#      code /console/setup asks for;
#   5. `wrangler deploy`.
# `--dry-run` (`make deploy DRY_RUN=1`, run by `make test`): no Cloudflare call at all — prints
# the steps it would take and runs `wrangler deploy --dry-run --outdir target/deploy-dry-run`
# on the generated config (placeholder ids), which builds and bundles the worker.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

dry=0
[[ "${1:-}" == "--dry-run" ]] && dry=1
config=wrangler.deploy.toml
wr() { "${WRANGLER[@]}" "$@"; }

# "BINDING DATABASE_NAME" for every [[d1_databases]] block of wrangler.toml.
bindings() {
  awk '
    /^\[\[d1_databases\]\]/ { inblock = 1; b = ""; n = ""; next }
    /^\[/ { inblock = 0 }
    inblock && /^binding *=/ { gsub(/.*= *"|".*/, ""); b = $0 }
    inblock && /^database_name *=/ { gsub(/.*= *"|".*/, ""); n = $0 }
    inblock && b != "" && n != "" { print b, n; b = ""; n = "" }
  ' wrangler.toml
}

# wrangler.toml with database_id of binding $1 set to $2, in $config.
set_id() {
  awk -v want="$1" -v id="$2" '
    /^\[\[d1_databases\]\]/ { cur = "" }
    /^binding *=/ { v = $0; gsub(/.*= *"|".*/, "", v); cur = v }
    /^database_id *=/ && cur == want { print "database_id = \"" id "\""; next }
    { print }
  ' "$config" >"$config.tmp" && mv "$config.tmp" "$config"
}

id_of() { # id of database $1 in the JSON list on stdin
  "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const db=JSON.parse(s).find(d=>d.name===process.argv[1]);console.log(db?db.uuid:"")})' "$1"
}

# The bucket_name of every [[r2_buckets]] block of wrangler.toml.
buckets() {
  awk '
    /^\[\[r2_buckets\]\]/ { inblock = 1; next }
    /^\[/ { inblock = 0 }
    inblock && /^bucket_name *=/ { gsub(/.*= *"|".*/, ""); print }
  ' wrangler.toml
}

mapfile -t dbs < <(bindings)
mapfile -t r2s < <(buckets)
[[ ${#dbs[@]} -gt 0 ]] || { echo "deploy: no [[d1_databases]] in wrangler.toml" >&2; exit 1; }
cp wrangler.toml "$config"

if [[ $dry == 1 ]]; then
  step "deploy --dry-run: the steps a deploy takes (nothing is sent to Cloudflare)"
  for entry in "${dbs[@]}"; do
    read -r binding name <<<"$entry"
    echo "  d1: create '$name' if missing, its id into $config as $binding; migrations apply $binding --remote"
  done
  for bucket in "${r2s[@]}"; do
    echo "  r2: create bucket '$bucket' if missing"
  done
  [[ ${#r2s[@]} == "$(grep -c '^\[\[r2_buckets\]\]' wrangler.toml)" ]] \
    || { echo "deploy --dry-run: not every [[r2_buckets]] block was read" >&2; exit 1; }
  echo "  secret: PARLEY_SECRET set if the worker has none (kept in .parley-secret for make setup-code)"
  echo "  deploy: wrangler deploy -c $config"
  # The steps' own parts that need no Cloudflare, checked on samples: the list's parsing, the
  # ids written into the config (each binding its own), every binding found.
  [[ "$(id_of parley-1 <<<'[{"name":"parley","uuid":"u-0"},{"name":"parley-1","uuid":"u-1"}]')" == u-1 ]] \
    || { echo "deploy --dry-run: d1 list parsing is broken" >&2; exit 1; }
  [[ -z "$(id_of parley-9 <<<'[{"name":"parley","uuid":"u-0"}]')" ]] \
    || { echo "deploy --dry-run: a missing database was found" >&2; exit 1; }
  [[ ${#dbs[@]} == "$(grep -c '^\[\[d1_databases\]\]' wrangler.toml)" ]] \
    || { echo "deploy --dry-run: not every [[d1_databases]] block was read" >&2; exit 1; }
  i=0
  for entry in "${dbs[@]}"; do
    read -r binding _ <<<"$entry"
    set_id "$binding" "dry-run-id-$i"
    i=$((i + 1))
  done
  for ((j = 0; j < i; j++)); do
    grep -q "^database_id = \"dry-run-id-$j\"$" "$config" || { echo "deploy --dry-run: id $j not written" >&2; exit 1; }
  done
  cp wrangler.toml "$config"
  step "wrangler deploy --dry-run"
  rm -rf target/deploy-dry-run
  wr deploy --dry-run -c "$config" --outdir target/deploy-dry-run 2>&1 | tail -n 12
  ls target/deploy-dry-run/*.wasm >/dev/null 2>&1 && [[ -s target/deploy-dry-run/shim.js ]] \
    || { echo "deploy --dry-run: no bundle (shim.js and the wasm) in target/deploy-dry-run" >&2; exit 1; }
  echo "deploy --dry-run: ok (${#dbs[@]} D1 bindings)"
  exit 0
fi

step "1-2. D1 databases (${#dbs[@]})"
list_json() { wr d1 list --json 2>/dev/null; }
listing=$(list_json)
for entry in "${dbs[@]}"; do
  read -r binding name <<<"$entry"
  id=$(id_of "$name" <<<"$listing")
  if [[ -z "$id" ]]; then
    echo "creating D1 database $name ($binding)"
    wr d1 create "$name" >/dev/null
    listing=$(list_json)
    id=$(id_of "$name" <<<"$listing")
    [[ -n "$id" ]] || { echo "deploy: $name was not created" >&2; exit 1; }
  else
    echo "D1 database $name ($binding) exists: $id"
  fi
  set_id "$binding" "$id"
done

step "3. migrations (every shard)"
for entry in "${dbs[@]}"; do
  read -r binding _ <<<"$entry"
  wr d1 migrations apply "$binding" --remote -c "$config"
done

step "3b. R2 buckets (${#r2s[@]})"
r2_listing=$(wr r2 bucket list 2>/dev/null || true)
for bucket in "${r2s[@]}"; do
  if grep -Eq "^name:[[:space:]]+$bucket\$" <<<"$r2_listing"; then
    echo "R2 bucket $bucket exists"
  else
    echo "creating R2 bucket $bucket"
    wr r2 bucket create "$bucket"
  fi
done

step "4. PARLEY_SECRET"
if wr secret list --format json -c "$config" 2>/dev/null | grep -q '"PARLEY_SECRET"'; then
  echo "PARLEY_SECRET is set (kept)"
else
  secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf 'PARLEY_SECRET=%s\n' "$secret" >.parley-secret)
  printf '%s' "$secret" | wr secret put PARLEY_SECRET -c "$config"
  echo "PARLEY_SECRET set; a copy is in .parley-secret (keep it safe; never commit it)"
fi

step "5. wrangler deploy"
wr deploy -c "$config"

if [[ -f .parley-secret ]]; then
  code=$(PARLEY_SECRET="$(sed -n 's/^PARLEY_SECRET=//p' .parley-secret)" cargo run -q -p parley-tools -- setup-code)
  echo
  echo "  A fresh deployment asks for its first account at https://<your worker>/console/setup"
  echo "  with the setup code $code (make setup-code prints it again)."
fi
