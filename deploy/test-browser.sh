#!/usr/bin/env bash
# The template studio in a real browser: Debian's headless Chromium driven by selenium against a
# real Herald (API and worker) on a throwaway PostgreSQL, with an SMTP server on loopback for the
# test send. Screenshots of each main view and the first-load transfer go to
# HERALD_BROWSER_OUT (default .build/browser).
#
#   deploy/test-browser.sh            run the scenarios (deploy/browser/studio_test.py)
#   deploy/test-browser.sh --serve    no browser: serve the same setup and print the URL and keys
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"

serve_only=0
[ "${1:-}" = "--serve" ] && serve_only=1
out=${HERALD_BROWSER_OUT:-.build/browser}
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/*.png  # this run's screenshots only

ensure_packages
ensure_test_peers
ensure_browser

log "building herald"
swift build --product herald >/dev/null
herald="$(swift build --show-bin-path)/herald"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-browser.XXXXXX")
chmod 755 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  pg_stop "$tmp/pg"; rm -rf "$tmp"
}
trap cleanup EXIT

pg_port=$((20000 + RANDOM % 20000))
log "starting a throwaway PostgreSQL in $tmp/pg"
pg_start "$tmp/pg" "$pg_port" -c fsync=off -c synchronous_commit=off -c full_page_writes=off
export DATABASE_URL; DATABASE_URL=$(pg_url "$tmp/pg" "$pg_port")
export_throwaway_secrets
export HERALD_PASSWORD_HASH_COST=test HERALD_LOG_LEVEL=${HERALD_LOG_LEVEL:-warning}
# The test send goes to an SMTP server on loopback.
export HERALD_OUTBOUND_ALLOW=127.0.0.0/8
export HERALD_HOST=127.0.0.1 HERALD_PORT=$((20000 + RANDOM % 20000))
"$herald" migrate >/dev/null
token=$("$herald" token create --email studio@herald.local)

"$herald" serve >"$out/server.log" 2>&1 &
pids+=($!)
"$herald" worker >"$out/worker.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$HERALD_PORT"
wait_healthy "$base" "${pids[0]}" "$out/server.log"

# A tenant as a new user makes one: through the API, which gives it the built-in templates.
tenant_id=$(curl -fsS "$base/api/v0/tenants" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Studio Test Tenant","environment":"development"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
keys=$(curl -fsS "$base/api/v0/auth/tenants/$tenant_id/env" -H "Authorization: Bearer $token")
export STUDIO_BASE=$base STUDIO_TENANT_ID=$tenant_id STUDIO_OUT=$out
STUDIO_PUBLIC_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["PXYZ_PUBLIC_KEY"])' "$keys")
STUDIO_SECRET_KEY=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["PXYZ_SECRET_KEY"])' "$keys")
export STUDIO_PUBLIC_KEY STUDIO_SECRET_KEY

if [ "$serve_only" = 1 ]; then
  printf 'studio: %s/studio\npublic key: %s\nsecret key: %s\n' "$base" "$STUDIO_PUBLIC_KEY" "$STUDIO_SECRET_KEY"
  log "serving until Ctrl-C"
  wait "${pids[0]}" || true
  exit 0
fi

log "driving the studio in headless Chromium (artifacts: $out)"
python3 deploy/browser/studio_test.py
