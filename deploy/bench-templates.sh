#!/usr/bin/env bash
# Read benchmark for issue 4: `wrk -t2 -c64 -d10s` on GET /notifications/templates/{id}
# over 1,000 templates with a tenant's keys, next to pgbench running the same
# SELECT Herald runs, with as many clients as Herald's pool has connections, on
# the same database in the same run. Prints both rates, Herald's share of the
# raw rate, its non-2xx count and its resident memory after the run.
# HERALD_BIN=path uses that binary instead of building one. BASELINE_BIN=path
# also measures another herald on the same database, alternating with this one
# for ROUNDS rounds (default 3), and prints the medians and their ratio.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

duration=${DURATION:-10s}
pool=${HERALD_API_POOL_SIZE:-8}
if [ -n "${HERALD_BIN:-}" ]; then
  bin=$HERALD_BIN
else
  log "building herald (release)"
  swift build -c release --product herald >/dev/null
  bin=$PWD/.build/release/herald
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-bench.XXXXXX"); chmod 755 "$tmp"
pgport=$(free_port); port=$(free_port)
cleanup() { [ -n "${KEEP:-}" ] && { echo "pid=$pid"; sleep "$KEEP"; }; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; pg_stop "$tmp/pg"; rm -rf "$tmp"; }
trap cleanup EXIT
pg_start "$tmp/pg" "$pgport"
export DATABASE_URL; DATABASE_URL=$(pg_url "$tmp/pg" "$pgport")
export_throwaway_secrets
export HERALD_PORT=$port HERALD_LOG_LEVEL=warning HERALD_API_POOL_SIZE=$pool
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }

"$bin" migrate >/dev/null
token=$("$bin" token create --email bench@example.com)
"$bin" serve & pid=$!
wait_healthy "http://127.0.0.1:$port" "$pid"
base="http://127.0.0.1:$port/api/v0"
tenant=$(curl -fs "$base/tenants" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Bench Tenant","environment":"production"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
keys=$(curl -fs "$base/auth/tenants/$tenant/env" -H "Authorization: Bearer $token")
export BENCH_PUBLIC_KEY; BENCH_PUBLIC_KEY=$(echo "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["PXYZ_PUBLIC_KEY"])')
export BENCH_SECRET_KEY; BENCH_SECRET_KEY=$(echo "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["PXYZ_SECRET_KEY"])')
psql -c "INSERT INTO notification_templates (id, tenant_id, name, type, subject, body)
         SELECT 'cbench' || lpad(g::text, 19, '0'), '$tenant', 'bench-' || g, 'email', 'Hello {{user.name}}',
                jsonb_build_object('html', '<p>Hi {{user.name}}, your code is {{code}}</p>', 'text', 'Code {{code}}')
         FROM generate_series(1, 1000) g;"
psql -c "VACUUM ANALYZE notification_templates;"
curl -fs -o /dev/null -w '%{http_code}\n' "$base/notifications/templates/cbench0000000000000000001" \
  -H "x-protocol-public-key: $BENCH_PUBLIC_KEY" -H "x-protocol-secret-key: $BENCH_SECRET_KEY" | grep -q 200

# The SELECT Herald runs for this route (Store.templateJSON), with a random id.
cat > "$tmp/select.pgb" <<'SQL'
\set n random(1, 1000)
SELECT t.tenant_id, (json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'body', t.body, 'subject', t.subject, 'type', t.type, 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at)))::text AS json, t.version FROM notification_templates t WHERE t.id = 'cbench' || lpad(:n::text, 19, '0');
SQL
secs=${duration%s}
raw=$(command pgbench -n -M prepared -c "$pool" -j 2 -T "$secs" -f "$tmp/select.pgb" "$DATABASE_URL" 2>/dev/null \
  | awk '/^tps/ {print $3; exit}')
rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
for round in $(seq "${ROUNDS:-1}"); do
  out=$(wrk -t2 -c64 -d"$duration" -s deploy/bench/template-get.lua "http://127.0.0.1:$port")
  [ "${ROUNDS:-1}" -gt 1 ] && echo "round=$round rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"
done
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
errors=$(echo "$out" | awk '/Socket errors/ {print $0}')
rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "pgbench_select_tps=$raw (clients=$pool)"
echo "herald_requests_per_s=$rps non_2xx=${non2xx:-0} socket_errors=\"${errors:-none}\" rss_idle_kb=$rss_idle rss_kb=$rss"
python3 -c "print('herald_share_of_raw=%.1f%%' % (100 * float('$rps') / float('$raw')))"

if [ -n "${BASELINE_BIN:-}" ]; then
  # Both binaries serve the same database in turn; rounds alternate so drift hits both alike.
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # Prints "requests/s CPU-µs-per-request": the CPU Herald's process spent per
  # request is steadier than the rate on a machine busy with other work.
  rate_of() {
    "$1" serve >&2 & pid=$!
    wait_healthy "http://127.0.0.1:$port" "$pid"
    local before after out
    before=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    out=$(wrk -t2 -c64 -d"$duration" -s deploy/bench/template-get.lua "http://127.0.0.1:$port")
    after=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "$out" | awk -v cpu=$((after - before)) -v hz="$(getconf CLK_TCK)" \
      '/requests in/ {n=$1} /Requests\/sec/ {r=$2} END {printf "%s %.1f\n", r, cpu / hz * 1e6 / n}'
  }
  base_runs=(); cand_runs=()
  for round in $(seq "${ROUNDS:-3}"); do
    base_runs+=("$(rate_of "$BASELINE_BIN")")
    cand_runs+=("$(rate_of "$bin")")
    echo "round=$round baseline_rps_cpu_us=(${base_runs[-1]}) candidate_rps_cpu_us=(${cand_runs[-1]})"
  done
  python3 - "${base_runs[*]}" "${cand_runs[*]}" <<'PY'
import statistics, sys
def split(text):
    v = [float(x) for x in text.split()]
    return v[0::2], v[1::2]
(b_rps, b_cpu), (c_rps, c_cpu) = split(sys.argv[1]), split(sys.argv[2])
rb, rc = statistics.median(b_rps), statistics.median(c_rps)
cb, cc = statistics.median(b_cpu), statistics.median(c_cpu)
print(f"baseline_median_rps={rb:.0f} candidate_median_rps={rc:.0f} candidate_over_baseline={rc / rb:.3f}")
print(f"baseline_cpu_us_per_request={cb:.1f} candidate_cpu_us_per_request={cc:.1f} candidate_over_baseline={cc / cb:.3f}")
PY
  "$bin" serve & pid=$!
  wait_healthy "http://127.0.0.1:$port" "$pid"
fi

# Clone-all of those 1,000 templates (plus the built-ins) into a new tenant, in one request.
target=$(curl -fs "$base/tenants" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Clone Target","environment":"staging"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
clone=$(curl -fs -o "$tmp/clone.json" -w '%{time_total}' "$base/notifications/templates/clone-all-to-tenant" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"fromTenantId\":\"$tenant\",\"toTenantId\":\"$target\"}")
copied=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["successes"]))' "$tmp/clone.json")
echo "clone_all_copied=$copied clone_all_seconds=$clone"
