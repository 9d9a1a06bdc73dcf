#!/usr/bin/env bash
# Queue benchmark for issue 5: Herald's worker against the raw SQL limit, on
# one private PostgreSQL (fsync on), in one run, interleaved.
#
#   deploy/bench-queue.sh            ROWS=300000 ROUNDS=2 DURATION=5 SAMPLES=200 WORKERS=1,2,4 TUNED=1
#
# Each round runs, back to back on the same database:
#   raw     pgbench claim-batch.pgb (../shared/bench): 50 jobs claimed with
#           SKIP LOCKED and completed, two clients, on a bare queue table;
#   schema  the same pgbench loop with Herald's own claim and complete SQL on
#           notification_queue and the notifications log (attempt rows
#           included): the limit of Herald's schema, for context;
#   herald  `herald bench queue` at the worker's defaults (no HERALD_WORKER_*
#           set): the worker with the no-op in-app channel for DURATION
#           seconds on ROWS queued notifications (as many as the raw table
#           holds; neither may run dry), then enqueue→dispatch latency on an
#           idle worker (one enqueue with pg_notify at a time);
#   tuned   (TUNED=1) the same with HERALD_WORKER_CONCURRENCY=2048 and
#           HERALD_WORKER_BATCH=1024, the hand-tuned figure before the
#           defaults adapted, for comparison.
# After the rounds, for each count in WORKERS, that many `herald worker`
# processes (defaults) drain the same kind of backlog for DURATION seconds
# on one database: notifications per second (completion span) and
# duplicates (notifications with more than one `sent` attempt).
# BASELINE_BIN=path (another build of herald, e.g. main's) runs its
# `herald bench queue` at defaults in every round too, interleaved with this
# build's (the order alternates by round), and reports the ratio of the two:
# a change is judged against the baseline on the same noisy machine, in the
# same run. TUNED=0 and WORKERS= keep such a run short.
# The best figure of each kind is kept; the ratio is herald / raw. All three
# runs last DURATION seconds and count the same way, from the rows' own
# completion times (jobs / span; for pgbench not tps x 50, so a table that
# runs dry cannot inflate them); the worker's wall-clock rate from its start
# is printed too.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages

rows=${ROWS:-300000}
rounds=${ROUNDS:-2}
duration=${DURATION:-5}
samples=${SAMPLES:-200}
sql_dir=${BENCH_SQL_DIR:-"$(herald_root)/../shared/bench"}
scratch=${SCRATCH:-.build-release}
[ -f "$sql_dir/claim-batch.pgb" ] || { echo "no claim-batch.pgb in $sql_dir (set BENCH_SQL_DIR)" >&2; exit 1; }

log "building herald (release)"
swift build -c release --product herald --scratch-path "$scratch" >&2
bin="$(swift build -c release --product herald --scratch-path "$scratch" --show-bin-path)/herald"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-bench-queue.XXXXXX"); chmod 755 "$tmp"
pgport=$(free_port)
cleanup() { pg_stop "$tmp/pg"; rm -rf "$tmp"; }
trap cleanup EXIT
log "starting PostgreSQL (durable settings: fsync on)"
pg_start "$tmp/pg" "$pgport" ${BENCH_PG_OPTIONS:-}
psql -q "$(pg_url "$tmp/pg" "$pgport")" -c "CREATE DATABASE herald_bench"
url=$(pg_url "$tmp/pg" "$pgport" herald_bench)
export DATABASE_URL="$url" HERALD_LOG_LEVEL=warning
unset HERALD_WORKER_CONCURRENCY HERALD_WORKER_BATCH HERALD_WORKER_MAX_IN_FLIGHT
export_throwaway_secrets
"$bin" migrate >/dev/null
workers=${WORKERS-1,2,4}
tuned=${TUNED:-1}

# Herald's claim and complete SQL (Store.claim / Store.finish, 50 rows) as a pgbench loop.
cat > "$tmp/herald-sql.pgb" <<'SQL'
WITH c AS (SELECT q.id FROM unnest('{0,1,2}'::smallint[]) AS p(priority) CROSS JOIN LATERAL (SELECT j.id FROM notification_queue j WHERE j.locked_by IS NULL AND j.priority = p.priority AND j.run_at <= now() ORDER BY j.run_at LIMIT 50 FOR UPDATE SKIP LOCKED) q LIMIT 50), u AS (UPDATE notification_queue j SET locked_by = 'pgbench-' || :client_id, claimed_at = herald_now(), locked_until = now() + interval '30 seconds', attempts = j.attempts + 1 FROM c WHERE j.id = c.id RETURNING j.id, j.attempts) SELECT coalesce(array_agg(n.id), '{}')::text AS ids FROM u JOIN notifications n ON n.id = u.id \gset
WITH r AS (SELECT id, 1 AS attempt FROM unnest(':ids'::text[]) AS r(id)), ended AS (DELETE FROM notification_queue j WHERE j.id = ANY(ARRAY(SELECT id FROM r)) AND j.locked_by = 'pgbench-' || :client_id RETURNING j.id), u AS (UPDATE notifications n SET status = 'sent', attempts = r.attempt, sent_at = herald_now(), provider_message_id = n.id, last_error = NULL, updated_at = herald_now() FROM r JOIN ended e ON e.id = r.id WHERE n.id = r.id RETURNING n.id, n.tenant_id, r.attempt AS attempts) INSERT INTO notification_attempts (tenant_id, notification_id, attempt, started_at, duration_ms, outcome, provider_response) SELECT u.tenant_id, u.id, u.attempts, now(), 0, 'sent', 'noop' FROM u;
SQL
cat > "$tmp/herald-sql-fill.sql" <<'SQL'
DELETE FROM tenants WHERE id = 'pgbench-tenant';
INSERT INTO tenants (id, name, slug, environment, public_key, secret_key_enc, secret_key_digest)
VALUES ('pgbench-tenant', 'pgbench', 'pgbench-tenant', 'development', 'pgbench-tenant', '-', 'pgbench-tenant');
INSERT INTO channels (id, tenant_id, name, key, type, provider) VALUES ('pgbench-channel', 'pgbench-tenant', 'In-app', 'inapp', 'inapp', 'inapp_pxyz');
INSERT INTO notifications (id, tenant_id, channel_id, type, "to", rendered, priority)
SELECT 'pgbench-' || g, 'pgbench-tenant', 'pgbench-channel', 'inapp', '["user"]', '{"text":"Your code is 123456"}', 1
FROM generate_series(1, 300000) g;
INSERT INTO notification_queue (id, priority, run_at) SELECT id, priority, now() FROM notifications WHERE tenant_id = 'pgbench-tenant';
VACUUM ANALYZE notifications, notification_queue;
SQL

# Completed jobs per second over the span of their completion timestamps.
rate() { psql -Atq "$url" -c "SELECT round(count(*) / greatest(extract(epoch FROM max($2) - min($2)), 0.001)) FROM $1 WHERE status = 'sent'"; }
left() { psql -Atq "$url" -c "SELECT count(*) FROM $1"; }
best_raw=0; best_schema=0; best_herald=0; best_wall=0; best_median=""; best_p99=""; best_tuned=0; best_baseline=0
baseline_bin=${BASELINE_BIN:-}
[ -z "$baseline_bin" ] || [ -x "$baseline_bin" ] || { echo "BASELINE_BIN is not an executable: $baseline_bin" >&2; exit 1; }
baseline_round() {  # the baseline binary's worker at defaults, counted the same way
  [ -n "$baseline_bin" ] || return 0
  log "round $round: baseline worker at its defaults ($baseline_bin)"
  local out rate
  out=$("$baseline_bin" bench queue --rows "$rows" --seconds "$duration" --latency-samples 20)
  rate=$(field "$out" worker_completion_span_per_s)
  echo "round=$round baseline_notifications_per_s=$rate"
  [ "$rate" -gt "$best_baseline" ] && best_baseline=$rate
  return 0
}
field() { echo "$1" | awk -F= -v k="$2" '$1 == k {print $2}'; }
for round in $(seq "$rounds"); do
  log "round $round: raw SQL (pgbench claim-batch, ${duration}s)"
  psql -q "$url" -f "$sql_dir/queue-limit.sql" 2>/dev/null; psql -q "$url" -c CHECKPOINT
  pgbench -n -c 2 -j 2 -T "$duration" -f "$sql_dir/claim-batch.pgb" "$url" >/dev/null 2>&1
  raw_jobs=$(rate qjobs updated_at)
  [ "$(left "qjobs WHERE status = 'queued'")" -gt 0 ] || echo "warning: the raw queue ran dry: lower DURATION" >&2
  psql -q "$url" -c "DROP TABLE qjobs"

  log "round $round: Herald's SQL (pgbench on notifications, ${duration}s)"
  psql -q "$url" -f "$tmp/herald-sql-fill.sql"; psql -q "$url" -c CHECKPOINT
  pgbench -n -c 2 -j 2 -T "$duration" -f "$tmp/herald-sql.pgb" "$url" >/dev/null 2>&1
  schema_jobs=$(rate notifications sent_at)
  [ "$(left notification_queue)" -gt 0 ] || echo "warning: Herald's queue ran dry: lower DURATION" >&2
  psql -q "$url" -c "DELETE FROM tenants WHERE id = 'pgbench-tenant'" -c "VACUUM ANALYZE notifications, notification_queue, notification_attempts"

  [ $((round % 2)) = 0 ] && baseline_round
  log "round $round: herald worker at its defaults (${duration}s on $rows notifications, no-op channel)"
  out=$("$bin" bench queue --rows "$rows" --seconds "$duration" --latency-samples "$samples")
  herald=$(field "$out" worker_completion_span_per_s); wall=$(field "$out" worker_notifications_per_s)
  median=$(field "$out" latency_median_ms); p99=$(field "$out" latency_p99_ms)
  tuned_rate=0
  if [ "$tuned" = 1 ]; then
    log "round $round: herald worker tuned by hand (2048 in flight, claims of 1024)"
    out=$(HERALD_WORKER_CONCURRENCY=2048 HERALD_WORKER_BATCH=1024 "$bin" bench queue --rows "$rows" --seconds "$duration" --latency-samples 20)
    tuned_rate=$(field "$out" worker_completion_span_per_s)
    [ "$tuned_rate" -gt "$best_tuned" ] && best_tuned=$tuned_rate
  fi
  [ $((round % 2)) = 1 ] && baseline_round
  echo "round=$round raw_jobs_per_s=$raw_jobs schema_jobs_per_s=$schema_jobs herald_notifications_per_s=$herald herald_tuned_per_s=$tuned_rate herald_wall_per_s=$wall latency_median_ms=$median latency_p99_ms=$p99"
  [ "$raw_jobs" -gt "$best_raw" ] && best_raw=$raw_jobs
  [ "$schema_jobs" -gt "$best_schema" ] && best_schema=$schema_jobs
  if [ "$herald" -gt "$best_herald" ]; then best_herald=$herald; best_wall=$wall; fi
  if [ -z "$best_median" ] || awk -v a="$median" -v b="$best_median" 'BEGIN {exit !(a < b)}'; then best_median=$median; best_p99=$p99; fi
  psql -q "$url" -c "VACUUM ANALYZE notifications, notification_queue, notification_attempts" -c CHECKPOINT
done

# N `herald worker` processes at their defaults on one database, the in-app backlog of Herald's SQL fill.
multi_rows=""
for count in ${workers//,/ }; do
  [ -n "$count" ] || continue
  log "herald worker x$count (processes, defaults, ${duration}s)"
  psql -q "$url" -f "$tmp/herald-sql-fill.sql"; psql -q "$url" -c CHECKPOINT
  pids=()
  for i in $(seq "$count"); do
    "$bin" worker 2>>"$tmp/workers.log" & pids+=($!)
  done
  sleep "$duration"
  kill -TERM "${pids[@]}"; wait "${pids[@]}" || true
  done_rows=$(psql -Atq "$url" -c "SELECT count(*) FROM notifications WHERE tenant_id = 'pgbench-tenant' AND status = 'sent'")
  multi=$(psql -Atq "$url" -c "SELECT round(count(*) / greatest(extract(epoch FROM max(sent_at) - min(sent_at)), 0.001)) FROM notifications WHERE tenant_id = 'pgbench-tenant' AND status = 'sent'")
  twice=$(psql -Atq "$url" -c "SELECT count(*) FROM (SELECT notification_id FROM notification_attempts WHERE tenant_id = 'pgbench-tenant' AND outcome = 'sent' GROUP BY 1 HAVING count(*) > 1) d")
  again=$(psql -Atq "$url" -c "SELECT count(*) FROM notification_attempts WHERE tenant_id = 'pgbench-tenant' AND attempt > 1")
  [ "$(left "notification_queue")" -gt 0 ] || echo "warning: the queue ran dry with $count workers: lower DURATION" >&2
  echo "workers=$count sent=$done_rows notifications_per_s=$multi duplicates=$twice second_attempts=$again"
  multi_rows+="workers_${count}_notifications_per_s=$multi duplicates=$twice"$'\n'
  psql -q "$url" -c "DELETE FROM tenants WHERE id = 'pgbench-tenant'" -c "VACUUM ANALYZE notifications, notification_queue, notification_attempts"
done
grep -v "^$" "$tmp/workers.log" 2>/dev/null | grep -iv "shutting down\|stopped" | head -5 >&2 || true

ratio=$(awk -v h="$best_herald" -v r="$best_raw" 'BEGIN {printf "%.2f", h / r}')
schema_ratio=$(awk -v h="$best_herald" -v r="$best_schema" 'BEGIN {printf "%.2f", h / r}')
tuned_ratio=$(awk -v h="$best_tuned" -v r="$best_raw" 'BEGIN {printf "%.2f", h / r}')
cat <<EOF

raw_sql_jobs_per_s=$best_raw            (pgbench claim-batch.pgb: bare queue table)
herald_sql_jobs_per_s=$best_schema      (pgbench: Herald's claim + complete + attempt row on notifications)
herald_worker_notifications_per_s=$best_herald  (defaults; rows / span of their completion times in ${duration}s, as for pgbench)
herald_worker_wall_per_s=$best_wall         (defaults; rows / time from the worker's start to the last outcome)
ratio_to_raw_sql=$ratio                 (defaults; aim: >= 0.80)
ratio_to_herald_sql=$schema_ratio
herald_tuned_notifications_per_s=$best_tuned  (2048 in flight, claims of 1024; 0: TUNED=0)
tuned_ratio_to_raw_sql=$tuned_ratio
latency_median_ms=$best_median          (enqueue -> provider called, idle worker at defaults; aim: < 5)
latency_p99_ms=$best_p99
EOF
if [ -n "$baseline_bin" ]; then
  echo "baseline_notifications_per_s=$best_baseline  (BASELINE_BIN at defaults, interleaved)"
  echo "ratio_to_baseline=$(awk -v h="$best_herald" -v b="$best_baseline" 'BEGIN {printf "%.3f", h / b}')"
fi
printf '%s' "$multi_rows"
