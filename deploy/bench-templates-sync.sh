#!/usr/bin/env bash
# `herald templates pull` and a no-op `push` of a new tenant's built-in templates against a
# release `herald serve` on a private PostgreSQL: the median wall time of ROUNDS runs of each
# (one process each, as an author runs them), next to two baselines from the same run:
# `herald templates check` on the pulled folder (the same compile and render, no server) and one
# `curl` of the template list (one round trip). Also counts the template versions before and
# after the pushes: a no-op push must leave them alone.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages

rounds=${ROUNDS:-11}
log "building herald (release)"
swift build -c release --product herald >/dev/null
bin=$PWD/.build/release/herald

start_throwaway_postgres herald-bench
export HERALD_LOG_LEVEL=warning
serve_herald "$bin" "$throwaway/server.log"
create_tenant "$bin" "Bench Tenant" production
url=$herald_base base="$herald_base/api/v0" tenant=$tenant_id tmp=$throwaway
export PXYZ_PUBLIC_KEY=$tenant_public_key PXYZ_SECRET_KEY=$tenant_secret_key HERALD_TENANT_ID=$tenant
versions() {
  command psql -X -qAt "$DATABASE_URL" -c "SELECT count(*) FROM notification_template_versions WHERE tenant_id = '$tenant'"
}

# Median seconds of `rounds` runs of the command.
median() {
  local times=()
  for _ in $(seq "$rounds"); do
    local start end
    start=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; end=$(date +%s.%N)
    times+=("$(echo "$end - $start" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

dir="$tmp/templates"
"$bin" templates pull --dir "$dir" --url "$url" >/dev/null
count=$(find "$dir" -mindepth 2 -maxdepth 2 -type d | wc -l)
before=$(versions)
pull=$(median "$bin" templates pull --dir "$dir" --url "$url")
push=$(median "$bin" templates push --dir "$dir" --url "$url")
dry=$(median "$bin" templates push --dir "$dir" --url "$url" --dry-run)
after=$(versions)
# Baselines: the same folder checked locally (it needs sample-data.json), and one list request.
[ -f "$dir/sample-data.json" ] || cp templates/sample-data.json "$dir/"
check=$(median "$bin" templates check --dir "$dir")
list=$(median curl -fs -o /dev/null "$base/tenants/$tenant/notifications/templates?perPage=100" \
  -H "x-protocol-public-key: $PXYZ_PUBLIC_KEY" -H "x-protocol-secret-key: $PXYZ_SECRET_KEY")
echo "templates=$count rounds=$rounds (median wall seconds, one process each)"
echo "pull_s=$pull noop_push_s=$push dry_run_push_s=$dry"
echo "baseline_check_s=$check baseline_list_curl_s=$list"
python3 -c "print('pull_over_check=%.2f noop_push_over_check=%.2f' % ($pull / $check, $push / $check))"
echo "template_versions_before=$before after=$after"
[ "$before" = "$after" ] || { echo "a no-op push made new versions" >&2; exit 1; }
