#!/usr/bin/env bash
# Static checks of the deployment files: YAML and Dockerfile lint
# (check_deploy.py) and `systemd-analyze verify` of the units, with their
# ExecStart pointed at the built binary. Needs a built herald (argument 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:?usage: deploy/check-deploy.sh PATH-TO-HERALD}
python3 deploy/check_deploy.py
if command -v systemd-analyze >/dev/null; then
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  for unit in deploy/systemd/*.service; do
    sed "s|/opt/herald/herald|$(realpath "$bin")|g" "$unit" > "$tmp/$(basename "$unit")"
  done
  systemd-analyze verify "$tmp"/*.service
  echo "systemd units: verified"
else
  echo "systemd-analyze not installed: units not verified" >&2
fi
