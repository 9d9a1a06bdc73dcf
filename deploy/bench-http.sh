#!/usr/bin/env bash
# HTTP soak benchmark for issue 2: a release `herald serve` on a private
# PostgreSQL, two rounds of `wrk -t2 -c64 -d10s` against GET /healthz, with
# the server's resident memory read after each round. Zero socket errors and
# no growth between the rounds is the bar. Everything stays on loopback.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

duration=${DURATION:-10s}
log "building herald (release)"
swift build -c release --product herald >/dev/null
bin=.build/release/herald

start_throwaway_postgres herald-bench
export HERALD_LOG_LEVEL=warning
serve_herald "$bin" "$throwaway/server.log"
pid=$herald_pid port=$HERALD_PORT

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "rss_before_kb=$(rss)"
for round in 1 2; do
  out=$(wrk -t2 -c64 -d"$duration" "http://127.0.0.1:$port/healthz")
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  errors=$(echo "$out" | awk '/Socket errors/ {print $0}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  echo "round=$round requests_per_s=$rps socket_errors=\"${errors:-none}\" non_2xx=${non2xx:-0} rss_after_kb=$(rss)"
done
