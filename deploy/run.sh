#!/usr/bin/env bash
# Runs Herald on a fresh machine: installs what is missing, builds a release
# binary and starts `herald dev`: with no DATABASE_URL it runs its own
# PostgreSQL under .herald/, migrates, seeds a demo tenant, prints its keys and
# a curl to try, and serves the API and the worker until Ctrl-C.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages
log "building herald (release)"
swift build -c release --product herald
exec .build/release/herald dev "$@"
