# PgBouncer in front of a PostgreSQL, for the chaos suite and its CI run:
# sourced, never run. Debian's package (1.18 on Debian 12; ensure_packages
# installs it), run as postgres (PgBouncer refuses root), trusting every
# client on loopback.

# pgbouncer_start DIR LISTEN_PORT PG_HOST PG_PORT [MODE] [POOL_SIZE]: listens on
# 127.0.0.1:LISTEN_PORT, every database forwarded to PG_HOST:PG_PORT; MODE is
# transaction (default), session or statement.
pgbouncer_start() {
  local dir=$1 port=$2 pg_host=$3 pg_port=$4 mode=${5:-transaction} size=${6:-20}
  mkdir -p "$dir"
  echo '"postgres" ""' >"$dir/userlist.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=$pg_host port=$pg_port

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = $mode
default_pool_size = $size
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
server_login_retry = 1
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  local binary; binary=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  as_pg_owner "$binary" -d -q "$dir/pgbouncer.ini"
  local _
  for _ in $(seq 1 50); do
    [ -s "$dir/pgbouncer.pid" ] && psql -Atq "postgresql://postgres@127.0.0.1:$port/postgres" -c 'SELECT 1' >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$dir/pgbouncer.log" >&2; log "pgbouncer did not start"; return 1
}

pgbouncer_stop() {
  local dir=$1 pid
  [ -s "$dir/pgbouncer.pid" ] || return 0
  pid=$(cat "$dir/pgbouncer.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
