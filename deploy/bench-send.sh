#!/usr/bin/env bash
# Send benchmark for issue 15: POST /notifications/send and its bulk form
# against the raw SQL limit, on one private PostgreSQL (fsync on), in one run.
#
#   deploy/bench-send.sh            DURATION=8 ROUNDS=2 SAMPLES=300 BULK_CLIENTS=2
#   BASELINE_BIN=path deploy/bench-send.sh   also measures that herald (say, main's) alike
#
# Each round, back to back on the same database:
#   raw single  pgbench -c4 enqueue-one.pgb (../shared/bench): one row per commit;
#   raw batch   pgbench -c BULK_CLIENTS, 1,000 rows per transaction
#               (deploy/bench/enqueue-batch.pgb), reported as rows/s;
#   schema      the same with Herald's own rows: 1,000 notifications and their queue
#               rows per transaction (indexes, foreign keys, jsonb), for context;
#   single      wrk -t2 -c16 posting sends to an in-app channel (no worker);
#   bulk        wrk -t2 -c BULK_CLIENTS posting bulk sends of 1,000 messages, as messages/s:
#               the API's acceptance (each request's unkeyed messages become one batch row);
#   fan-out     right after, with no API running, `herald bench fan-out -c BULK_CLIENTS` turns
#               the accumulated batches into notifications and queue rows with the worker's own
#               statement until none is left, as rows/s: the cost acceptance leaves to the worker;
#   idle p50    SAMPLES sends one at a time on a keep-alive connection: the median latency;
#   repeats     wrk -t2 -c16 posting one send again and again with one Idempotency-Key (a client
#               retrying): every answer is the same notification;
#   and, with BASELINE_BIN, that binary's single and repeat rates and idle p50 on the same
#   database, the two taking turns at going first.
# The best figure of each kind over the rounds is kept. Aims: single >= 0.5x raw single,
# bulk >= 0.5x raw batch, idle p50 no worse than the baseline's. The fan-out rate is printed
# beside the bulk rate (with its own ratio to raw batch) so acceptance is not mistaken for the
# whole cost of a bulk send.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

duration=${DURATION:-8}
rounds=${ROUNDS:-2}
samples=${SAMPLES:-300}
bulk_clients=${BULK_CLIENTS:-2}
sql_dir=${BENCH_SQL_DIR:-"$(herald_root)/../shared/bench"}
scratch=${SCRATCH:-.build-release}
[ -f "$sql_dir/enqueue-one.pgb" ] || { echo "no enqueue-one.pgb in $sql_dir (set BENCH_SQL_DIR)" >&2; exit 1; }

if [ -n "${HERALD_BIN:-}" ]; then
  bin=$HERALD_BIN
else
  log "building herald (release)"
  swift build -c release --product herald --scratch-path "$scratch" >&2
  bin="$(swift build -c release --product herald --scratch-path "$scratch" --show-bin-path)/herald"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-send.XXXXXX"); chmod 755 "$tmp"
pgport=$(free_port); port=$(free_port)
pid=""
stop_server() { [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }; pid=""; }
cleanup() { stop_server; pg_stop "$tmp/pg"; rm -rf "$tmp"; }
trap cleanup EXIT
log "starting PostgreSQL (durable settings: fsync on)"
pg_start "$tmp/pg" "$pgport" ${BENCH_PG_OPTIONS:-}
psql -q "$(pg_url "$tmp/pg" "$pgport")" -c "CREATE DATABASE herald_bench"
export DATABASE_URL; DATABASE_URL=$(pg_url "$tmp/pg" "$pgport" herald_bench)
export_throwaway_secrets
export HERALD_PORT=$port HERALD_LOG_LEVEL=warning
sql() { command psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" "$@"; }
"$bin" migrate >/dev/null
base="http://127.0.0.1:$port/api/v0"
serve() { "$1" serve >>"$tmp/serve.log" 2>&1 & pid=$!; wait_healthy "http://127.0.0.1:$port" "$pid" "$tmp/serve.log"; }

# A tenant with an in-app channel and template, made through the API.
serve "$bin"
token=$("$bin" token create --email bench@example.com)
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
tenant=$(curl -fs "$base/tenants" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"name":"Bench Tenant","environment":"production"}' | json '["id"]')
keys=$(curl -fs "$base/auth/tenants/$tenant/env" -H "Authorization: Bearer $token")
export BENCH_PUBLIC_KEY; BENCH_PUBLIC_KEY=$(echo "$keys" | json '["PXYZ_PUBLIC_KEY"]')
export BENCH_SECRET_KEY; BENCH_SECRET_KEY=$(echo "$keys" | json '["PXYZ_SECRET_KEY"]')
curl -fs -o /dev/null "$base/notifications/channels" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"tenantId\":\"$tenant\",\"name\":\"Inbox\",\"key\":\"inbox\",\"type\":\"inapp\",\"provider\":\"inapp_pxyz\",\"providerSettings\":{}}"
curl -fs -o /dev/null "$base/notifications/templates" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"tenantId\":\"$tenant\",\"type\":\"inapp\",\"name\":\"code\",\"body\":{\"text\":\"Hi {{name}}, your code is {{code}}\"}}"
stop_server
echo "{\"tenantId\":\"$tenant\",\"template\":\"code\",\"channel\":\"inbox\",\"variables\":{\"name\":\"Ann\",\"code\":\"123456\"},\"input\":{\"to\":[\"user_1\"]}}" >"$tmp/single.json"
python3 - "$tenant" >"$tmp/bulk.json" <<'PY'
import json, sys
messages = [{"variables": {"name": "User %d" % i, "code": "%06d" % i}, "input": {"to": ["user_%d" % i]}} for i in range(1000)]
print(json.dumps({"tenantId": sys.argv[1], "template": "code", "channel": "inbox", "messages": messages}))
PY

# wrk CONNECTIONS BODY PATH [IDEMPOTENCY-KEY]: requests per second (non-2xx answers count as none: reported).
rate() {
  local out
  out=$(BENCH_BODY_FILE=$2 BENCH_PATH=$3 BENCH_IDEMPOTENCY_KEY=${4:-} wrk -t2 -c"$1" -d"${duration}s" -s deploy/bench/send.lua "http://127.0.0.1:$port")
  local non2xx; non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  [ -z "$non2xx" ] || echo "warning: $non2xx non-2xx answers ($3)" >&2
  echo "$out" | awk '/Requests\/sec/ {print $2}'
}
# The median latency in ms of SAMPLES sends one at a time on one keep-alive connection.
idle_p50() {
  python3 - "$port" "$tmp/single.json" "$samples" <<'PY'
import http.client, os, statistics, sys, time
port, body, samples = int(sys.argv[1]), open(sys.argv[2], "rb").read(), int(sys.argv[3])
headers = {"x-protocol-public-key": os.environ["BENCH_PUBLIC_KEY"], "x-protocol-secret-key": os.environ["BENCH_SECRET_KEY"],
           "Content-Type": "application/json"}
conn = http.client.HTTPConnection("127.0.0.1", port)
times = []
for i in range(samples + 20):
    start = time.perf_counter()
    conn.request("POST", "/api/v0/notifications/send", body, headers)
    response = conn.getresponse(); response.read()
    assert response.status == 200, response.status
    if i >= 20: times.append((time.perf_counter() - start) * 1000)  # the first 20 warm up
    time.sleep(0.002)
print("%.3f" % statistics.median(times))
PY
}
pgrate() { command pgbench -n -c "$1" -j 2 -T "$duration" -f "$2" "${@:3}" "$DATABASE_URL" 2>/dev/null | awk '/^tps/ {print $3; exit}'; }
# Herald's rows as a bulk send of 1,000 writes them, bare: the limit of Herald's schema.
cat >"$tmp/herald-batch.pgb" <<'SQL'
WITH n AS (INSERT INTO notifications (id, tenant_id, template_id, template_name, channel_id, type, "to", locale, variables, rendered, priority, max_attempts) SELECT 'pgbench-' || gen_random_uuid(), ':tenant', ':template', 'code', ':channel', 'inapp', jsonb_build_object('to', jsonb_build_array('user_' || g)), 'en', jsonb_build_object('name', 'User ' || g, 'code', '123456'), jsonb_build_object('text', 'Hi User ' || g || ', your code is 123456'), 1, 8 FROM generate_series(1, 1000) g RETURNING id, priority) INSERT INTO notification_queue (id, priority, run_at) SELECT id, priority, now() FROM n;
SQL
ids=$(sql -Atc "SELECT c.id || ' ' || t.id FROM channels c, notification_templates t WHERE c.tenant_id = '$tenant' AND t.tenant_id = '$tenant' AND t.name = 'code'")
schema_vars=(-D tenant="$tenant" -D channel="${ids% *}" -D template="${ids#* }")
best() { awk -v a="$1" -v b="$2" -v lower="${3:-0}" 'BEGIN { if (a == "") print b; else if (lower ? b < a : b > a) print b; else print a }'; }

raw_one=""; raw_batch=""; schema_batch=""; single=""; bulk=""; fanout=""; p50=""; repeats=""
base_single=""; base_p50=""; base_repeats=""
for round in $(seq "$rounds"); do
  log "round $round: pgbench single-row inserts (-c4) and 1,000-row transactions (-c$bulk_clients), ${duration}s each"
  sql -f "$sql_dir/queue-limit.sql" >/dev/null 2>&1; sql -c CHECKPOINT
  one=$(pgrate 4 "$sql_dir/enqueue-one.pgb")
  batch=$(pgrate "$bulk_clients" deploy/bench/enqueue-batch.pgb | awk '{printf "%.0f", $1 * 1000}')
  sql -c "DROP TABLE qjobs" -c CHECKPOINT
  schema=$(pgrate "$bulk_clients" "$tmp/herald-batch.pgb" "${schema_vars[@]}" | awk '{printf "%.0f", $1 * 1000}')
  sql -c "TRUNCATE notification_queue, notifications CASCADE" -c CHECKPOINT >/dev/null 2>&1

  # The two binaries take turns going first (a table that grew, autovacuum, the other's WAL
  # still being flushed all favour whoever goes first), each after a checkpoint. The bulk sends
  # come after both: their WAL is flushed for a while after, which no idle p50 must meet.
  order=(candidate); [ -z "${BASELINE_BIN:-}" ] || { [ $((round % 2)) = 1 ] && order=(baseline candidate) || order=(candidate baseline); }
  for who in "${order[@]}"; do
    log "round $round: $who herald: single sends (-c16), idle p50, repeats of one key (-c16)"
    sql -c CHECKPOINT >/dev/null
    if [ "$who" = baseline ]; then serve "$BASELINE_BIN"; else serve "$bin"; fi
    one_single=$(rate 16 "$tmp/single.json" /api/v0/notifications/send); one_p50=$(idle_p50)
    one_repeats=$(rate 16 "$tmp/single.json" /api/v0/notifications/send "$who-$round")
    stop_server
    if [ "$who" = baseline ]; then
      b_single=$one_single; b_p50=$one_p50; b_repeats=$one_repeats
      base_single=$(best "$base_single" "$b_single"); base_p50=$(best "$base_p50" "$b_p50" 1); base_repeats=$(best "$base_repeats" "$b_repeats")
    else
      c_single=$one_single; c_p50=$one_p50; c_repeats=$one_repeats
    fi
  done
  log "round $round: herald: bulk sends of 1,000 (-c$bulk_clients)"
  serve "$bin"
  c_bulk=$(rate "$bulk_clients" "$tmp/bulk.json" /api/v0/notifications/send/bulk | awk '{printf "%.0f", $1 * 1000}')
  stop_server
  log "round $round: fanning out the accepted bulk batches ($(sql -Atc "SELECT count(*) FROM notification_batches") batches, -c$bulk_clients)"
  sql -c CHECKPOINT >/dev/null
  c_fanout=$("$bin" bench fan-out --clients "$bulk_clients" | awk -F= '/^fan_out_rows_per_s=/ {print $2}')
  echo "round=$round raw_single_inserts_per_s=$one raw_batched_rows_per_s=$batch schema_batched_rows_per_s=$schema herald_sends_per_s=$c_single herald_bulk_messages_per_s=$c_bulk fan_out_rows_per_s=$c_fanout idle_p50_ms=$c_p50 repeats_per_s=$c_repeats${BASELINE_BIN:+ baseline_sends_per_s=$b_single baseline_idle_p50_ms=$b_p50 baseline_repeats_per_s=$b_repeats}"
  raw_one=$(best "$raw_one" "$one"); raw_batch=$(best "$raw_batch" "$batch"); schema_batch=$(best "$schema_batch" "$schema")
  single=$(best "$single" "$c_single"); bulk=$(best "$bulk" "$c_bulk"); fanout=$(best "$fanout" "$c_fanout"); p50=$(best "$p50" "$c_p50" 1)
  repeats=$(best "$repeats" "$c_repeats")
  sql -c "TRUNCATE notification_queue, notifications, notification_batches CASCADE" -c "VACUUM ANALYZE" -c CHECKPOINT 2>/dev/null
done
grep -iv "shutting down\|stopped" "$tmp/serve.log" | head -5 >&2 || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
cat <<OUT

raw_single_inserts_per_s=$raw_one        (pgbench -c4 enqueue-one.pgb)
herald_sends_per_s=$single               (wrk -c16, POST /notifications/send)
single_ratio=$(ratio "$single" "$raw_one")                  (aim: >= 0.5)
raw_batched_rows_per_s=$raw_batch        (pgbench -c$bulk_clients, 1,000 rows per transaction)
herald_bulk_messages_per_s=$bulk         (wrk -c$bulk_clients, bulk sends of 1,000: the API's acceptance, one batch row each)
bulk_ratio=$(ratio "$bulk" "$raw_batch")                    (aim: >= 0.5)
fan_out_rows_per_s=$fanout               (the worker's fan-out of those batches into notification + queue rows, -c$bulk_clients)
fan_out_ratio=$(ratio "$fanout" "$raw_batch")                 (to raw batched rows: the cost acceptance leaves to the worker)
schema_batched_rows_per_s=$schema_batch  (pgbench -c$bulk_clients, 1,000 of Herald's notification + queue rows per transaction)
bulk_ratio_to_schema=$(ratio "$bulk" "$schema_batch")
idle_p50_ms=$p50                         (one send at a time)
repeats_per_s=$repeats                   (wrk -c16, one send repeated with one Idempotency-Key)
OUT
if [ -n "${BASELINE_BIN:-}" ]; then
  cat <<OUT
baseline_sends_per_s=$base_single
baseline_idle_p50_ms=$base_p50
sends_over_baseline=$(ratio "$single" "$base_single")
idle_p50_over_baseline=$(ratio "$p50" "$base_p50")         (aim: <= 1.0)
baseline_repeats_per_s=$base_repeats
repeats_over_baseline=$(ratio "$repeats" "$base_repeats")
OUT
fi
