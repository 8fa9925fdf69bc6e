#!/usr/bin/env bash
# Serves the whole product on http://127.0.0.1:8787 through `wrangler dev` (real workerd) with
# local SQLite/D1 state in $1 (default .state/, gitignored), seeding the demo account once.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
state="${1:-.state}"
port="${PORT:-8787}"

# A local signing secret, made once and kept out of git (.dev.vars is gitignored).
if [[ ! -f .dev.vars ]] || ! grep -q '^PARLEY_SECRET=' .dev.vars; then
  echo "PARLEY_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >> .dev.vars
fi

step "local database ($state)"
result=$(bash scripts/db.sh "$state")
[[ "$result" == seeded ]] && echo "created the DEMO account" || echo "kept the existing local data"

cat <<BANNER

  Parley is starting on http://127.0.0.1:$port
    demo host page   http://127.0.0.1:$port/
    operator console http://127.0.0.1:$port/console
    widget loader    http://127.0.0.1:$port/widget.js
  DEMO logins (local only), password parley-demo for both:
    demo  Dana, admin, English + German, up to 3 chats
    sam   Sam, operator, Spanish + French, up to 2 chats
  In the console click "Go online" and tick "Demo channel" to receive chats.
  With an operator online, an auto-invite greets on the demo page after 8 s (Admin → Entry
  points); its funnel and the traffic are under Reports (Invites & traffic).
  State persists in $state/ (delete it to start over). Ctrl-C stops.

BANNER
PARLEY_SKIP_EDGE_BUILD=1 exec "${WRANGLER[@]}" dev --ip 127.0.0.1 --port "$port" --persist-to "$state" \
  --show-interactive-dev-session=false
