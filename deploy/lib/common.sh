# Shared shell helpers for Herald's scripts: sourced, never run.
# Installs what a fresh Debian machine lacks and runs throwaway PostgreSQL
# clusters on a private Unix socket (as the postgres user when we are root,
# since PostgreSQL refuses to run as root).

herald_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

log() { printf '\033[1m==> [%ss] %s\033[0m\n' "$SECONDS" "$*" >&2; }

# apt-get install the packages whose command or header is missing.
ensure_packages() {
  local missing=()
  [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
  [ -f /usr/include/openssl/ssl.h ] || missing+=(libssl-dev)
  pg_bindir >/dev/null 2>&1 || missing+=(postgresql postgresql-contrib)
  command -v pkg-config >/dev/null || missing+=(pkg-config)
  # PgBouncer for the tests and the chaos suite that run Herald behind it (Debian 12: 1.18).
  [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || missing+=(pgbouncer)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v swift >/dev/null || { echo "swift is not on PATH: install the Swift 6 toolchain first" >&2; return 1; }
}

# Python test peers (a real SMTP server): install them when missing.
ensure_test_peers() {
  command -v python3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null; }
  command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  if ! python3 -c 'import aiosmtpd, openapi_spec_validator, yaml' 2>/dev/null; then
    log "installing the Python test peers"
    local req; req="$(herald_root)/deploy/test-peers/requirements.txt"
    python3 -m pip install -q -r "$req" 2>/dev/null \
      || python3 -m pip install -q --break-system-packages -r "$req"
  fi
}

# The directory holding initdb and pg_ctl: PATH first, then Debian's layout.
pg_bindir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  return 1
}

# Run a command as the cluster's owner: ourselves, or postgres when root.
as_pg_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT [extra postgres options]: a cluster in DIR/data, socket in DIR.
pg_start() {
  local dir=$1 port=$2; shift 2
  local bin; bin=$(pg_bindir)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
  fi
  as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
    -o "-k $dir -p $port -c listen_addresses='' -c max_connections=200 $*" >/dev/null
}

pg_stop() {
  local dir=$1
  local bin; bin=$(pg_bindir)
  [ -f "$dir/data/postmaster.pid" ] && as_pg_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
}

# libpq URL for a database of a cluster started by pg_start.
# free_port: a loopback TCP port nothing holds now, below the kernel's ephemeral range (32768 and
# up here), so no outgoing connection can take it between this check and the bind (one did, at
# 48748, and the browser test's herald could not listen).
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 12000))
    if python3 -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.close()' "$port" 2>/dev/null; then
      echo "$port"; return 0
    fi
  done
  echo "no free port found" >&2; return 1
}

pg_url() { echo "postgresql:///${3:-postgres}?host=$1&port=$2&user=postgres"; }

# The studio's browser tests: Debian's chromium and chromium-driver, selenium from PyPI.
ensure_browser() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing chromium and chromium-driver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if ! python3 -c 'import selenium' 2>/dev/null; then
    log "installing selenium"
    local req; req="$(herald_root)/deploy/browser/requirements.txt"
    python3 -m pip install -q -r "$req" 2>/dev/null \
      || python3 -m pip install -q --break-system-packages -r "$req"
  fi
}

# Fresh secrets for a throwaway Herald: each run has its own database, so nothing needs them again.
export_throwaway_secrets() {
  export HERALD_MASTER_KEY HERALD_JWT_SECRET
  HERALD_MASTER_KEY=$(openssl rand -hex 32)
  HERALD_JWT_SECRET=$(openssl rand -hex 32)
}

# wait_healthy BASE PID [LOG]: until BASE/healthz answers; fails (printing LOG) if PID exits
# first or nothing answers within 20 s.
wait_healthy() {
  local base=$1 pid=$2 server_log=${3:-}
  for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      [ -n "$server_log" ] && cat "$server_log" >&2
      log "herald exited before answering /healthz"; return 1
    fi
    sleep 0.2
  done
  [ -n "$server_log" ] && cat "$server_log" >&2
  log "herald did not answer $base/healthz within 20 s"; return 1
}

# A throwaway Herald for scripts: a private PostgreSQL under a temporary folder, `herald serve`
# on a random loopback port, a tenant made through the API. Each sets variables the script
# then uses; `stop_throwaway` (the scripts' EXIT trap) stops what was started.
throwaway_pids=()

# start_throwaway_postgres PREFIX [PG-OPTIONS...]: makes the folder `throwaway` (mktemp with
# PREFIX), starts a cluster in it on a random port, exports DATABASE_URL and fresh secrets.
start_throwaway_postgres() {
  local prefix=$1; shift
  throwaway=$(mktemp -d "${TMPDIR:-/tmp}/$prefix.XXXXXX"); chmod 755 "$throwaway"
  trap stop_throwaway EXIT
  local port; port=$(free_port)
  pg_start "$throwaway/pg" "$port" "$@"
  export DATABASE_URL; DATABASE_URL=$(pg_url "$throwaway/pg" "$port")
  export_throwaway_secrets
}

# serve_herald BIN LOG: migrates, runs `BIN serve` on HERALD_PORT (a random one unless set)
# with its output in LOG, and waits until it answers. Sets herald_pid and herald_base.
serve_herald() {
  local bin=$1 server_log=$2
  export HERALD_HOST=127.0.0.1 HERALD_PORT=${HERALD_PORT:-$(free_port)}
  "$bin" migrate >/dev/null
  "$bin" serve >"$server_log" 2>&1 &
  herald_pid=$!; throwaway_pids+=("$herald_pid")
  herald_base="http://127.0.0.1:$HERALD_PORT"
  wait_healthy "$herald_base" "$herald_pid" "$server_log"
}

# create_tenant BIN NAME [ENVIRONMENT]: a platform token for a new user (`token`), and a tenant
# made with it through the API as that user would (so it gets the built-in templates), with its
# keys: tenant_id, tenant_public_key, tenant_secret_key.
create_tenant() {
  local bin=$1 name=$2 environment=${3:-development} keys
  token=$("$bin" token create --email "script@herald.local")
  tenant_id=$(curl -fsS "$herald_base/api/v0/tenants" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' -d "{\"name\":\"$name\",\"environment\":\"$environment\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  keys=$(curl -fsS "$herald_base/api/v0/auth/tenants/$tenant_id/env" -H "Authorization: Bearer $token")
  tenant_public_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["PXYZ_PUBLIC_KEY"])' "$keys")
  tenant_secret_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["PXYZ_SECRET_KEY"])' "$keys")
}

# The EXIT trap start_throwaway_postgres sets: stops the processes in throwaway_pids (scripts
# add their own, such as a worker), the cluster, and removes the folder.
stop_throwaway() {
  local pid
  for pid in ${throwaway_pids[@]+"${throwaway_pids[@]}"}; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ -n "${throwaway:-}" ]; then pg_stop "$throwaway/pg"; rm -rf "$throwaway"; fi
}
