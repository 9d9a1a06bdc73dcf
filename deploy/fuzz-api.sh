#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis against the /openapi.json Herald serves, once with a
# tenant's key pair and once with a platform user's bearer token, with every check
# (not_a_server_error, status code, content type, response headers and schema, …) and the
# stateful phase where the spec's links allow it.
#
#   deploy/fuzz-api.sh            short pass for CI: 3 examples per operation and phase, and only the
#                                 checks of Herald's answers (server errors, status codes, content
#                                 types, headers and bodies against the schema)
#   deploy/fuzz-api.sh --long     long pass: 25 examples (or FUZZ_API_EXAMPLES) and every check,
#                                 including whether invalid input is refused and valid input accepted
#   FUZZ_API_EXAMPLES=N FUZZ_API_WORKERS=N FUZZ_API_SEED=N deploy/fuzz-api.sh
#   FUZZ_API_CHECKS=not_a_server_error deploy/fuzz-api.sh   only some checks (empty: all)
#   deploy/fuzz-api.sh -- EXTRA SCHEMATHESIS ARGS            e.g. --include-path-regex /tenants
#   deploy/fuzz-api.sh --serve    no schemathesis: serve the same setup and print BASE, PK, SK and
#                                 TOKEN for replaying a finding's curl command, until Ctrl-C
#
# Builds herald, starts a throwaway PostgreSQL, migrates, makes a platform token and a tenant
# (through the API itself) and serves on a random loopback port. Exits non-zero on any
# failure. Reports (JUnit, NDJSON) and the server log stay in FUZZ_API_OUT
# (default .build/fuzz-api).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"

serve_only=0
if [ "${1:-}" = "--serve" ]; then serve_only=1; shift; fi
examples=${FUZZ_API_EXAMPLES:-3}
checks=${FUZZ_API_CHECKS-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance}
# Empty: schemathesis's default, every check, minus what schemathesis.toml turns off per operation
# (`--checks all` would turn those back on).
if [ "${1:-}" = "--long" ]; then examples=${FUZZ_API_EXAMPLES:-25}; checks=${FUZZ_API_CHECKS-}; shift; fi
[ "${1:-}" = "--" ] && shift
extra=("$@")
out=${FUZZ_API_OUT:-.build/fuzz-api}
mkdir -p "$out"
out=$(cd "$out" && pwd)

ensure_packages
if ! python3 -c 'import schemathesis' 2>/dev/null \
   || [ "$(python3 -c 'import importlib.metadata as m; print(m.version("schemathesis"))')" != "4.32.5" ]; then
  log "installing schemathesis"
  req=deploy/fuzz-api/requirements.txt
  python3 -m pip install -q -r "$req" 2>/dev/null || python3 -m pip install -q --break-system-packages -r "$req"
fi
command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

log "building herald"
swift build --product herald >/dev/null
herald="$(swift build --show-bin-path)/herald"

log "starting a throwaway PostgreSQL"
start_throwaway_postgres herald-fuzz-api -c fsync=off -c synchronous_commit=off -c full_page_writes=off
export HERALD_PASSWORD_HASH_COST=test HERALD_LOG_LEVEL=${HERALD_LOG_LEVEL:-warning}
# Webhook and SMTP tests may point at loopback; thousands of requests must not meet the
# per-address limits meant for people. (Harmless where a build does not know these yet.)
export HERALD_OUTBOUND_ALLOW=127.0.0.0/8
export HERALD_RATE_LIMIT_PER_ADDRESS=${HERALD_RATE_LIMIT_PER_ADDRESS:-100000/1s}
export HERALD_RATE_LIMIT_PER_TENANT=${HERALD_RATE_LIMIT_PER_TENANT:-100000/1s}
log "serving (log: $out/server.log)"
serve_herald "$herald" "$out/server.log"
server_pid=$herald_pid base=$herald_base
# The tenant (and its key pair) come from the API, as a new user's would.
create_tenant "$herald" "Fuzz Tenant"
public_key=$tenant_public_key secret_key=$tenant_secret_key
export HERALD_FUZZ_TENANT_ID=$tenant_id

if [ "$serve_only" = 1 ]; then
  printf 'export BASE=%s PK=%s SK=%s TOKEN=%s TENANT=%s\n' "$base" "$public_key" "$secret_key" "$token" "$tenant_id"
  log "serving until Ctrl-C"
  wait "$server_pid" || true
  exit 0
fi

run_pass() {  # run_pass NAME HEADER...
  local name=$1; shift
  local headers=() header
  for header in "$@"; do headers+=(-H "$header"); done
  log "schemathesis with $name: $examples examples per operation, checks: ${checks:-all}"
  # NUL bytes are kept in generated strings: PostgreSQL cannot store them, so they are what
  # finds the 500s. --continue-on-failure keeps going within an operation to find more causes.
  schemathesis --config-file deploy/fuzz-api/schemathesis.toml run "$base/openapi.json" --url "$base/api/v0" "${headers[@]}" \
    ${checks:+--checks "$checks"} --phases examples,coverage,fuzzing,stateful \
    --max-examples "$examples" --generation-allow-x00 true --continue-on-failure \
    --workers "${FUZZ_API_WORKERS:-1}" --request-timeout 30 --no-color \
    ${FUZZ_API_SEED:+--seed "$FUZZ_API_SEED"} --suppress-health-check all \
    --report junit,ndjson --report-dir "$out" \
    --report-junit-path "$out/$name.junit.xml" --report-ndjson-path "$out/$name.ndjson" \
    ${extra[@]+"${extra[@]}"} 2>&1 | tee "$out/$name.log"
  local rc=${PIPESTATUS[0]}
  # Python 3.11's compile() is not thread-safe ("AST constructor recursion depth mismatch" in
  # Hypothesis, with --workers > 1): such an error is schemathesis's own, not Herald's, so it is
  # reported but fails nothing as long as no check failed.
  if [ "$rc" -ne 0 ] && ! grep -qE '^=+ [0-9]+ failures?' "$out/$name.log"; then
    local errors known
    errors=$(grep -c '^Runtime Error$' "$out/$name.log" || true)
    known=$(grep -c '^AST constructor recursion depth mismatch' "$out/$name.log" || true)
    if [ "$errors" -gt 0 ] && [ "$errors" = "$known" ]; then
      log "$name: no failures; schemathesis itself hit $errors Python 3.11 thread-safety error(s), ignored"
      rc=0
    fi
  fi
  return "$rc"
}

status=0
run_pass tenant-keys "x-protocol-public-key: $public_key" "x-protocol-secret-key: $secret_key" || status=1
run_pass platform-token "Authorization: Bearer $token" || status=1
if ! kill -0 "$server_pid" 2>/dev/null; then log "herald serve died during the run"; status=1; fi
# What the server logged for its 5xx answers, by cause (the reports name the requests).
if grep -q '"request failed"' "$out/server.log"; then
  log "server-side errors by cause:"
  python3 -c '
import collections, json, sys
causes = collections.Counter()
for line in open(sys.argv[1]):
    try: entry = json.loads(line)
    except ValueError: continue
    if entry.get("msg") == "request failed": causes[entry.get("error", "?")[:160]] += 1
for cause, count in causes.most_common(): print(f"{count:6}  {cause}")' "$out/server.log" >&2
fi
if [ "$status" -ne 0 ]; then log "schemathesis found failures (reports in $out)"; exit 1; fi
log "schemathesis: no failures"
