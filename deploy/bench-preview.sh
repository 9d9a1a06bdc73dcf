#!/usr/bin/env bash
# The template studio's preview round trip (issue 12: under 30 ms at the median): a release
# `herald serve` on a private PostgreSQL, a tenant made through the API, then N sequential
# POST /notifications/templates/preview of the built-in organization invitation (its stored
# body, its sample data through templateId, the tenant's context filled) over one keep-alive
# loopback connection, and as many GET /healthz in the same run as the baseline: the same
# client, socket and server, without the template work.
#
#   deploy/bench-preview.sh            500 previews and 500 health checks after 50 warm-ups
#   REQUESTS=N WARMUP=N deploy/bench-preview.sh
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"
cd "$(herald_root)"
ensure_packages
command -v openssl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null

requests=${REQUESTS:-500}
warmup=${WARMUP:-50}
log "building herald (release)"
swift build -c release --product herald >/dev/null
bin=.build/release/herald

start_throwaway_postgres herald-bench-preview
export HERALD_LOG_LEVEL=warning
serve_herald "$bin" "$throwaway/server.log"
port=$HERALD_PORT
token=$("$bin" token create --email bench@herald.local)

log "measuring $requests previews and $requests health checks (after $warmup warm-ups each)"
python3 - "$port" "$token" "$requests" "$warmup" <<'PY'
import http.client, json, statistics, sys, time

port, token, requests, warmup = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
connection = http.client.HTTPConnection("127.0.0.1", port)

def call(method, path, headers, body=None):
    connection.request(method, path, body=None if body is None else json.dumps(body).encode(),
                       headers={**headers, **({"Content-Type": "application/json"} if body is not None else {})})
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)

bearer = {"Authorization": f"Bearer {token}"}
tenant = call("POST", "/api/v0/tenants", bearer, {"name": "Bench Tenant", "environment": "development"})
env = call("GET", f"/api/v0/auth/tenants/{tenant['id']}/env", bearer)
keys = {"x-protocol-public-key": env["PXYZ_PUBLIC_KEY"], "x-protocol-secret-key": env["PXYZ_SECRET_KEY"]}
listing = call("GET", f"/api/v0/tenants/{tenant['id']}/notifications/templates?type=email&perPage=100", keys)
template = next(t for t in listing["data"] if t["name"] == "organization-invitation")
preview = {"tenantId": tenant["id"], "type": "email", "subject": template["subject"], "body": template["body"],
           "templateId": template["id"]}
answer = call("POST", "/api/v0/notifications/templates/preview", keys, preview)
text = answer["data"]["rendered"]["text"]
if answer["status"] != "success" or "on Bench Tenant." not in text:
    raise SystemExit(f"the preview did not render the tenant's context: {json.dumps(answer)[:400]}")

def measure(method, path, headers, body=None):
    for _ in range(warmup):
        call(method, path, headers, body)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call(method, path, headers, body)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]

health_median, health_p99 = measure("GET", "/healthz", {})
preview_median, preview_p99 = measure("POST", "/api/v0/notifications/templates/preview", keys, preview)
print(f"healthz_median_ms={health_median:.2f} healthz_p99_ms={health_p99:.2f}")
print(f"preview_median_ms={preview_median:.2f} preview_p99_ms={preview_p99:.2f} "
      f"preview_over_healthz={preview_median / health_median:.1f}x requests={requests} "
      f"target_median_ms=30 {'ok' if preview_median < 30 else 'OVER'}")
PY
