#!/usr/bin/env bash
# Chaos suite (issue 13): faults against a live `herald serve` and `herald worker` under a steady
# load of sends, with mail going to a real SMTP server on loopback that counts what arrives by
# Message-ID. PostgreSQL runs inside a network namespace of its own (a veth pair to the host), so
# its port can be cut both ways with iptables; the harness administers it through its Unix socket,
# which no partition touches. Needs root.
#
#   deploy/chaos.sh                 every scenario (lease 30 s: about 12 minutes)
#   deploy/chaos.sh --short         CI: restart, kill, a 10 s partition, pgbouncer (lease 10 s)
#   deploy/chaos.sh partition-lease locks    the named scenarios only
#
# Scenarios: restart (PostgreSQL stopped and started), terminate (pg_terminate_backend of every
# Herald backend), partition (20 s; 10 s with --short), partition-lease (2x the lease), locks (the
# queue tables locked against writes for 15 s: every pooled connection waits), kill (the worker
# SIGKILLed three times, restarted 2 s later each time, as deploy/systemd's RestartSec=2 would), smtp (the mail
# server stalls every message mid-DATA and drops every other new connection for 20 s), pgbouncer
# (PgBouncer in transaction mode in front of it all, HERALD_DATABASE_POOL_MODE=transaction, LISTEN
# direct, and PostgreSQL restarted behind it).
#
# Each scenario runs a fresh API and worker against the same database and prints one row: sent
# (answered 200), lost (answered 200, never arrived and no longer queued), pending (not arrived yet
# but still queued for a retry), twice (Message-IDs that arrived more than once; "2 (1 at kill)"
# when one first arrived in the second around a SIGKILL, which at-least-once delivery cannot
# avoid: the bar counts only the others), recovery (from
# the fault's end to the first send started after it that was answered 200 and delivered),
# sends/s answered in the WINDOW seconds before the fault and after recovery and their ratio, the
# longest wait of any send that overlapped the fault, for partitions the slowest /readyz, sends not
# answered 200, sends skipped (every client still waiting), and before the fault the median of a
# send's answer and of its trip from the answer to the mail server (milliseconds while the worker
# hears NOTIFY; its poll interval when it is deaf).
#
# Exits 1 when a row breaks a bar. The bars are options, so a known failure can be reported with
# its figures instead of hidden:
#   --bar-lost N (0)  --bar-twice N (0)  --bar-recovery S (10)  --bar-throughput R (0.95)
#   --bar-wait S (11: the pool's 10 s timeout and a second)  --bar-readyz S (2.1: 2 s and the round trip)  --no-bars
# Settings: --lease S (HERALD_WORKER_LEASE_SECONDS; 30, --short 10), --rate N sends/s (40),
# --window S (10), --workers N worker processes (1; kill kills the first), HERALD_BIN=path (a built herald; default: a release build), CHAOS_KEEP=1 keeps
# the logs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/common.sh"
source "$here/lib/netns.sh"
source "$here/lib/pgbouncer.sh"
cd "$(herald_root)"

short=0; names=(); lease=""; rate=40; window=10; workers=1; bars=()
while [ $# -gt 0 ]; do
  case $1 in
    --short) short=1 ;;
    --lease) lease=$2; shift ;;
    --rate) rate=$2; shift ;;
    --window) window=$2; shift ;;
    --workers) workers=$2; shift ;;
    --bar-*) bars+=("$1" "$2"); shift ;;
    --no-bars) bars+=(--bar-lost 1000000 --bar-twice 1000000 --bar-recovery 1e9 --bar-throughput 0 --bar-wait 1e9 --bar-readyz 1e9) ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
all=(restart terminate partition partition-lease locks kill smtp pgbouncer)
if [ ${#names[@]} -eq 0 ]; then
  if [ $short = 1 ]; then names=(restart kill partition pgbouncer); else names=("${all[@]}"); fi
fi
for name in "${names[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || { echo "no scenario $name (scenarios: ${all[*]})" >&2; exit 2; }
done
lease=${lease:-${HERALD_WORKER_LEASE_SECONDS:-$([ $short = 1 ] && echo 10 || echo 30)}}
partition_seconds=$([ $short = 1 ] && echo 10 || echo 20)

ensure_packages
ensure_test_peers
ensure_netns_tools
if [ -n "${HERALD_BIN:-}" ]; then
  bin=$HERALD_BIN
else
  log "building herald (release)"
  swift build -c release --product herald >&2
  bin="$(swift build -c release --product herald --show-bin-path)/herald"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-chaos.XXXXXX"); chmod 755 "$tmp"
ns="hchaos$$"; subnet="10.213.$((RANDOM % 250))"; host_addr="$subnet.1"; pg_addr="$subnet.2"; pg_port=5432
bouncer_port=$(free_port); api_port=$(free_port)
api_pid=""; worker_pid=""; extra_pids=(); load_pid=""; smtp_pid=""; lock_pid=""
cleanup() {
  local pid
  for pid in $load_pid $api_pid $worker_pid "${extra_pids[@]}" $lock_pid $smtp_pid; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pgbouncer_stop "$tmp/bouncer"
  pg_stop "$tmp/pg"
  netns_destroy "$ns"
  if [ "${CHAOS_KEEP:-0}" = 1 ]; then log "logs kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
# The first error in Herald's log lines on stdin, quotes unescaped, cut short.
first_error() { { sed "s/\\\\\"/'/g" | grep -m1 -o 'Error[.a-zA-Z]*: [^"]*' | head -c 160; } || true; }
log "PostgreSQL in network namespace $ns at $pg_addr:$pg_port"
netns_create "$ns" "$host_addr" "$pg_addr"
pg_start_netns "$ns" "$tmp/pg" "$pg_addr" "$pg_port"
admin_url=$(pg_url "$tmp/pg" "$pg_port" herald_chaos)
psql -q "$(pg_url "$tmp/pg" "$pg_port")" -c "CREATE DATABASE herald_chaos"
direct_url="postgresql://postgres@$pg_addr:$pg_port/herald_chaos"
bouncer_url="postgresql://postgres@127.0.0.1:$bouncer_port/herald_chaos"
pgbouncer_start "$tmp/bouncer" "$bouncer_port" "$pg_addr" "$pg_port" transaction 20

python3 "$here/chaos/smtp_counter.py" --log "$tmp/mail.log" >"$tmp/smtp.out" 2>"$tmp/smtp.err" & smtp_pid=$!
for _ in $(seq 1 100); do grep -q READY "$tmp/smtp.out" 2>/dev/null && break; sleep 0.1; done
smtp_port=$(awk '/READY/ {print $2}' "$tmp/smtp.out")
[ -n "$smtp_port" ] || { cat "$tmp/smtp.err" >&2; log "the SMTP server did not start"; exit 1; }

export_throwaway_secrets
export DATABASE_URL=$direct_url HERALD_HOST=127.0.0.1 HERALD_PORT=$api_port HERALD_LOG_LEVEL=warning
export HERALD_OUTBOUND_ALLOW=127.0.0.0/8 HERALD_WORKER_LEASE_SECONDS=$lease HERALD_SHUTDOWN_SECONDS=5
"$bin" migrate >/dev/null
token=$("$bin" token create --email chaos@herald.test)

# start_api / start_worker [pgbouncer]: a fresh process, logging to the scenario's files.
herald_env() {
  if [ "${1:-}" = pgbouncer ]; then
    echo "DATABASE_URL=$bouncer_url HERALD_DATABASE_POOL_MODE=transaction HERALD_LISTEN_DATABASE_URL=$direct_url"
  else
    echo "DATABASE_URL=$direct_url"
  fi
}
start_api() { env $(herald_env "${1:-}") "$bin" serve >>"$tmp/$scenario.api.log" 2>&1 & api_pid=$!; }
start_worker() { env $(herald_env "${1:-}") "$bin" worker >>"$tmp/$scenario.worker.log" 2>&1 & worker_pid=$!; }
# The other workers (--workers): never killed by a fault, so takeovers between live workers show.
start_extra_workers() {
  local n
  extra_pids=()
  for n in $(seq 2 "$workers"); do
    env $(herald_env "${1:-}") "$bin" worker >>"$tmp/$scenario.worker$n.log" 2>&1 & extra_pids+=($!)
  done
}
stop_herald() {
  local pid
  for pid in "$api_pid" "$worker_pid" "${extra_pids[@]}"; do stop_process "$pid"; done
  api_pid=""; worker_pid=""; extra_pids=()
}
stop_process() {
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

log "seeding a tenant with an e-mail channel to the SMTP server on port $smtp_port"
scenario=seed; start_api
wait_healthy "http://127.0.0.1:$api_port" "$api_pid" "$tmp/seed.api.log"
python3 - "$api_port" "$token" "$smtp_port" >"$tmp/tenant.txt" <<'PY'
import http.client, json, sys
port, token, smtp_port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port)
def call(method, path, headers, body=None):
    connection.request(method, path, body=None if body is None else json.dumps(body).encode(),
                       headers={**headers, "Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)
bearer = {"Authorization": f"Bearer {token}"}
tenant = call("POST", "/api/v0/tenants", bearer, {"name": "Chaos Tenant", "environment": "development"})
env = call("GET", f"/api/v0/auth/tenants/{tenant['id']}/env", bearer)
keys = {"x-protocol-public-key": env["PXYZ_PUBLIC_KEY"], "x-protocol-secret-key": env["PXYZ_SECRET_KEY"]}
call("POST", "/api/v0/notifications/channels", keys, {
    "tenantId": tenant["id"], "name": "Chaos mail", "key": "chaos-mail", "type": "email", "provider": "email_pxyz",
    "providerSettings": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "from": "chaos@herald.test"}})
call("POST", "/api/v0/notifications/templates", keys, {
    "tenantId": tenant["id"], "type": "email", "name": "chaos", "subject": "Chaos {{n}}",
    "body": {"text": "Message {{n}} of the chaos suite.", "html": "<p>Message {{n}} of the chaos suite.</p>"}})
print(tenant["id"], env["PXYZ_PUBLIC_KEY"], env["PXYZ_SECRET_KEY"])
PY
read -r tenant_id public_key secret_key <"$tmp/tenant.txt"
stop_process "$api_pid"; api_pid=""

# --- faults: each sets fault_end -------------------------------------------------------------
fault_restart() {
  pg_stop "$tmp/pg"; sleep 2
  pg_start_netns "$ns" "$tmp/pg" "$pg_addr" "$pg_port"; fault_end=$(now)
}
fault_terminate() {
  psql -Atq "$admin_url" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
    WHERE client_addr = '$host_addr' AND pid <> pg_backend_pid()" >"$tmp/$scenario.terminated"
  fault_end=$(now)
}
fault_partition() {
  # The fault ends when healing starts: a /readyz answered 200 before that would be a lie.
  netns_partition "$ns" "$pg_port"; sleep "$1"; fault_end=$(now); netns_heal "$ns" "$pg_port"
}
fault_locks() {
  # EXCLUSIVE lets plain reads through (sign-in, lookups) but blocks every write to the queue.
  psql -q "$admin_url" -c "BEGIN" -c "LOCK TABLE notifications, notification_queue IN EXCLUSIVE MODE" \
    -c "SELECT pg_sleep(15)" -c "COMMIT" >/dev/null & lock_pid=$!
  wait "$lock_pid" || true; lock_pid=""; fault_end=$(now)
}
fault_kill() {
  local round
  for round in 1 2 3; do
    now >>"$tmp/$scenario.kills"
    kill -9 "$worker_pid" 2>/dev/null || true; wait "$worker_pid" 2>/dev/null || true
    sleep 2; start_worker "$via"
    [ $round = 3 ] || sleep 4
  done
  fault_end=$(now)
}
fault_smtp() { kill -USR1 "$smtp_pid"; sleep 20; kill -USR2 "$smtp_pid"; fault_end=$(now); }

# --- one scenario -----------------------------------------------------------------------------
printf 'scenario\tsent\tlost\tpending\ttwice\trecovery_s\tbefore_per_s\tafter_per_s\tratio\tlongest_wait_s\treadyz_slowest\tnot_200\tskipped\tp50_ms\tmail_p50_ms\tverdict\n' >"$tmp/rows.tsv"
failed=0
run_scenario() {
  scenario=$1; via=""; local partition_flag=() drain=$((2 * lease + 20))
  [ "$scenario" = pgbouncer ] && via=pgbouncer
  log "scenario $scenario"
  start_api "$via"; start_worker "$via"; start_extra_workers "$via"
  if ! wait_healthy "http://127.0.0.1:$api_port" "$api_pid" "$tmp/$scenario.api.log" 2>"$tmp/$scenario.start.err"; then
    printf '%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\tFAIL: herald did not start: %s\n' "$scenario" \
      "$(grep -m1 -o '"message":"[^"]*"' "$tmp/$scenario.api.log" | head -c 200)" >>"$tmp/rows.tsv"
    failed=1; stop_herald; return
  fi
  local load="$tmp/$scenario.load"
  python3 "$here/chaos/load.py" --port "$api_port" --tenant "$tenant_id" --public-key "$public_key" \
    --secret-key "$secret_key" --rate "$rate" --log "$load" & load_pid=$!
  sleep "$((window + 5))"
  if ! grep -q '^send [^ ]* [^ ]* 200 ' "$load"; then
    # Nothing works before any fault: no figures to compare, say why and move on.
    kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=""
    local reason; reason=$(cat "$tmp/$scenario.api.log" "$tmp/$scenario.worker.log" | first_error) || true
    printf '%s\t0\t-\t-\t-\t-\t0.0\t-\t-\t-\t-\t%s\t-\t-\t-\tFAIL: no send answered 200 before the fault: %s\n' \
      "$scenario" "$(grep -c '^send' "$load")" "${reason:-see the logs}" >>"$tmp/rows.tsv"
    tail -n 1 "$tmp/rows.tsv" >&2
    failed=1; stop_herald; return
  fi
  local fault_start; fault_start=$(now)
  case $scenario in
    restart|pgbouncer) fault_restart ;;
    terminate) fault_terminate ;;
    partition) partition_flag=(--partition); fault_partition "$partition_seconds" ;;
    partition-lease) partition_flag=(--partition); fault_partition "$((2 * lease))" ;;
    locks) fault_locks ;;
    kill) fault_kill ;;
    smtp) drain=100; fault_smtp ;;
  esac
  local recovered_at
  recovered_at=$(python3 "$here/chaos/report.py" recovered "$load" "$tmp/mail.log" "$fault_end" 60)
  if [ "$recovered_at" != none ]; then
    sleep "$(awk -v r="$recovered_at" -v w="$window" -v n="$(now)" 'BEGIN {d = r + w + 0.5 - n; print (d > 0 ? d : 0)}')"
  fi
  kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; load_pid=""
  python3 "$here/chaos/report.py" drained "$load" "$tmp/mail.log" "$drain" >/dev/null
  local notes=()
  [ -s "$tmp/$scenario.kills" ] && notes+=(--kills "$tmp/$scenario.kills")
  kill -0 "$worker_pid" 2>/dev/null || notes+=(--note "the worker exited: $(first_error <"$tmp/$scenario.worker.log")")
  stop_herald
  # Not arrived: still queued (a retry waiting for its time) is pending, anything else is lost.
  python3 "$here/chaos/report.py" missing "$load" "$tmp/mail.log" >"$tmp/$scenario.missing"
  local pending=0
  if [ -s "$tmp/$scenario.missing" ]; then
    pending=$(psql -Atq "$admin_url" -c "SELECT count(*) FROM notification_queue
      WHERE id = ANY(string_to_array('$(paste -sd, "$tmp/$scenario.missing")', ','))")
  fi
  local row status=0
  row=$(python3 "$here/chaos/report.py" row "$scenario" "$load" "$tmp/mail.log" "$fault_start" "$fault_end" \
    "$recovered_at" "$window" --pending "$pending" "${partition_flag[@]}" "${notes[@]}" "${bars[@]}") || status=$?
  [ $status = 0 ] || failed=1
  echo "$row" >>"$tmp/rows.tsv"
  echo "$row" >&2
}

for name in "${names[@]}"; do run_scenario "$name"; done

echo
echo "chaos suite: $workers worker(s), lease ${lease}s, ${rate} sends/s, windows of ${window}s, herald at $bin"
column -t -s $'\t' "$tmp/rows.tsv"
exit $failed
