#!/usr/bin/env bash
# Applies the D1 migrations to every shard bound in wrangler.toml (`DB`, `DB_1`, …: each gets
# every migration) in the local state in $1 and, when the directory database (`DB`) holds no
# account, seeds the clearly labelled demo account (on shard 0). Prints "seeded" or "kept".
# PARLEY_NO_SEED=1: migrations only, the directory stays empty (a fresh deployment: /console/setup).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
state="${1:?usage: db.sh STATE_DIR}"
mkdir -p "$state"
shards=$(sed -nE 's/^binding = "(DB(_[0-9]+)?)"$/\1/p' wrangler.toml)
[[ -n "$shards" ]] || { echo "no D1 binding in wrangler.toml" >&2; exit 1; }
# Miniflare names each database's SQLite file by a hash; the file a binding's first migration
# creates is recorded in $state/d1-bindings.txt ("DB <file>"), for tests that read them directly.
d1dir="$state/v3/d1/miniflare-D1DatabaseObject"
sqlite_files() { ls "$d1dir" 2>/dev/null | grep '\.sqlite$' | grep -v '^metadata\.sqlite$' | sort || true; }
for db in $shards; do
  before=$(sqlite_files)
  "${WRANGLER[@]}" d1 migrations apply "$db" --local --persist-to "$state" >"$state/migrate-$db.log" 2>&1 \
    || { cat "$state/migrate-$db.log"; exit 1; }
  created=$(comm -13 <(echo "$before") <(sqlite_files))
  if [[ -n "$created" ]]; then echo "$db $created" >>"$state/d1-bindings.txt"; fi
done
count=$("${WRANGLER[@]}" d1 execute DB --local --persist-to "$state" --json \
  --command "SELECT COUNT(*) AS n FROM accounts" 2>/dev/null | "$NODE" -e \
  'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].results[0].n))')
if [[ "${PARLEY_NO_SEED:-}" == 1 ]]; then
  echo empty
elif [[ "$count" == 0 ]]; then
  cargo run -q -p parley-tools -- seed-sql >"$state/seed.sql"
  "${WRANGLER[@]}" d1 execute DB --local --persist-to "$state" --file "$state/seed.sql" >"$state/seed.log" 2>&1 \
    || { cat "$state/seed.log"; exit 1; }
  echo seeded
else
  echo kept
fi
