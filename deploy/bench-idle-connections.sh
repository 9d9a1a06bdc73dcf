#!/usr/bin/env bash
# Lock-out check for issue 11: a release `herald serve` (default connection cap, 1,024) on a
# private PostgreSQL gets IDLE (1,500) TCP connections that never send a byte, then a new
# client asks GET /healthz; prints its status and how long the answer took (the bar: 200
# within a second or two, not 503). Repeated ROUNDS times with fresh silent sockets, which
# also checks that the server keeps up while silent sockets keep arriving. Loopback only.
# TRICKLE=1: the sockets each send the start of a head and then nothing (slowloris), and the
# client asks after they have trickled for 1.5 s (the server's allowance is 1 s).
# HERALD_BIN=PATH runs that binary instead of building one.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages

idle=${IDLE:-1500}
trickle=${TRICKLE:-0}
rounds=${ROUNDS:-3}
if [ -n "${HERALD_BIN:-}" ]; then
  bin=$HERALD_BIN  # another build to compare, e.g. an older commit's
else
  log "building herald (release)"
  swift build -c release --product herald >/dev/null
  bin=.build/release/herald
fi
# The silent sockets and the server's side of them: raise the soft limit up to the hard one.
ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((2 * idle + 200)) ] \
  || { echo "open-file limit $(ulimit -n) is too low for $idle idle sockets" >&2; exit 1; }

start_throwaway_postgres herald-idle
export HERALD_LOG_LEVEL=warning
serve_herald "$bin" "$throwaway/server.log"
port=$HERALD_PORT

python3 - "$port" "$idle" "$rounds" "$trickle" <<'PY'
import socket, sys, time
port, idle, rounds, trickle = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"

def healthz():
    start = time.monotonic()
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    try:
        while chunk := s.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # a refusing server may reset after its 503
    s.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else "reset"
    return status, time.monotonic() - start

worst, failed = 0.0, False
for round in range(1, rounds + 1):
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
    if trickle:
        for s in silent:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHo")
            except OSError:
                pass  # evicted already: the cap was reached while they arrived
    time.sleep(1.5 if trickle else 0.5)  # let the server accept (and evict) them all
    status, seconds = healthz()
    worst = max(worst, seconds)
    kind = "trickling" if trickle else "idle"
    print(f"round={round} {kind}_sockets={idle} healthz_status={status} healthz_seconds={seconds:.3f}")
    for s in silent:
        s.close()
    failed = failed or status != 200
print(f"worst_healthz_seconds={worst:.3f}")
sys.exit(1 if failed else 0)
PY
