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

log "starting a throwaway PostgreSQL and herald serve and worker"
start_throwaway_postgres herald-browser -c fsync=off -c synchronous_commit=off -c full_page_writes=off
export HERALD_PASSWORD_HASH_COST=test HERALD_LOG_LEVEL=${HERALD_LOG_LEVEL:-warning}
# The test send goes to an SMTP server on loopback.
export HERALD_OUTBOUND_ALLOW=127.0.0.0/8
serve_herald "$herald" "$out/server.log"
"$herald" worker >"$out/worker.log" 2>&1 &
throwaway_pids+=($!)
create_tenant "$herald" "Studio Test Tenant"
base=$herald_base
export STUDIO_BASE=$base STUDIO_TENANT_ID=$tenant_id STUDIO_OUT=$out
export STUDIO_PUBLIC_KEY=$tenant_public_key STUDIO_SECRET_KEY=$tenant_secret_key

if [ "$serve_only" = 1 ]; then
  printf 'studio: %s/studio\npublic key: %s\nsecret key: %s\n' "$base" "$STUDIO_PUBLIC_KEY" "$STUDIO_SECRET_KEY"
  log "serving until Ctrl-C"
  wait "$herald_pid" || true
  exit 0
fi

log "driving the studio in headless Chromium (artifacts: $out)"
python3 deploy/browser/studio_test.py
