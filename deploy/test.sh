#!/usr/bin/env bash
# Runs Herald's whole test suite on a fresh machine: installs what is missing,
# starts a throwaway PostgreSQL on a private socket, runs `swift test`, checks
# the built-in templates, and removes the cluster again.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"

ensure_packages
ensure_test_peers

tmp=$(mktemp -d "${TMPDIR:-/tmp}/herald-test.XXXXXX")
chmod 755 "$tmp"
port=$(free_port)
cleanup() {
  # Processes the tests started and could not stop (a time limit cuts a test short) carry the
  # test folder in their environment: stop them before their database goes.
  local environ
  for environ in /proc/[0-9]*/environ; do
    if { tr '\0' '\n' <"$environ"; } 2>/dev/null | grep -qxF "HERALD_TEST_TMPDIR=$tmp"; then
      environ=${environ#/proc/}; environ=${environ%/environ}
      [ "$environ" = $$ ] || kill -9 "$environ" 2>/dev/null || true
    fi
  done
  pg_stop "$tmp/pg"; rm -rf "$tmp"
}
trap cleanup EXIT

log "starting a throwaway PostgreSQL in $tmp/pg"
pg_start "$tmp/pg" "$port" -c fsync=off -c synchronous_commit=off -c full_page_writes=off
export HERALD_TEST_DATABASE_URL; HERALD_TEST_DATABASE_URL=$(pg_url "$tmp/pg" "$port")
export HERALD_TEST_TMPDIR="$tmp"
# scrypt at full cost is 0.4 s and 128 MiB per password: tests use cheap parameters.
export HERALD_PASSWORD_HASH_COST=test
# The tests' peers (SMTP, webhook receivers) listen on loopback, which Herald refuses by default.
export HERALD_OUTBOUND_ALLOW=127.0.0.0/8,::1/128

log "building"
swift build --build-tests
log "checking the built-in templates and the deployment files"
"$(swift build --show-bin-path)/herald" templates check
deploy/check-deploy.sh "$(swift build --show-bin-path)/herald"
log "running the tests"
if [ $# -gt 0 ]; then
  swift test --skip-build "$@"
else
  # The worker's lease, crash and load tests time real leases of a second or two, and the
  # partition tests time /readyz's 2 s deadline: beside 700 other tests on two cores they
  # starve, so they run on their own afterwards. The restart suites start PostgreSQL clusters
  # of their own (initdb, then stop and start): beside the crowd that stalled the shared
  # server past its connect timeout, so they come last, together.
  timed='WorkerTests|PartitionTests'
  # Also apart: the failover tests, which run real SMTP servers (aiosmtpd) that starved the
  # lease tests beside them.
  apart='PostgresTests.RestartTests|APITests.DatabaseRestartTests|APITests.SendRestartTests|WorkerTests.WorkerFailoverTests'
  swift test --skip-build --skip "$timed|$apart"
  log "running the timed tests on their own (worker leases, partitions)"
  swift test --skip-build --filter "$timed" --skip "$apart"
  log "running the suites with clusters or peers of their own (restarts, failover)"
  swift test --skip-build --filter "$apart"
fi

# The template studio in headless Chromium against a served Herald (about a minute with the
# build already done; HERALD_BROWSER_TESTS=0 skips it).
if [ "${HERALD_BROWSER_TESTS:-1}" = 1 ]; then
  log "the studio in a browser (deploy/test-browser.sh)"
  deploy/test-browser.sh
fi

# Outside checks, on by default (HERALD_FUZZ_API=0 or HERALD_FUZZ_PARSERS=0 skips one):
# schemathesis against a served Herald (about 1.5 minutes; fails on any server error or answer
# that breaks the contract) and a 10-second libFuzzer pass over each parser (about 2 minutes
# with the builds; the committed seeds are replayed first).
if [ "${HERALD_FUZZ_API:-1}" = 1 ]; then
  log "fuzzing the API with schemathesis (deploy/fuzz-api.sh)"
  deploy/fuzz-api.sh
fi
if [ "${HERALD_FUZZ_PARSERS:-1}" = 1 ]; then
  log "fuzzing the parsers (deploy/fuzz.sh --smoke)"
  deploy/fuzz.sh --smoke
fi

# The chaos suite's short version (PostgreSQL restart, the worker SIGKILLed, a 10 s partition,
# PgBouncer in transaction mode; the full suite adds pg_terminate_backend and more) against the
# debug build: about 2.5 minutes;
# HERALD_CHAOS=0 skips it. Needs root (network namespaces).
if [ "${HERALD_CHAOS:-1}" = 1 ]; then
  log "the chaos suite, short (deploy/chaos.sh --short)"
  HERALD_BIN="$(swift build --show-bin-path)/herald" deploy/chaos.sh --short
fi
