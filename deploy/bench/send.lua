-- wrk script: POST a body read from BENCH_BODY_FILE to BENCH_PATH with the tenant's key pair
-- (deploy/bench-send.sh: one send, or a bulk send of 1,000 messages); with BENCH_IDEMPOTENCY_KEY,
-- every request carries that Idempotency-Key (a client retrying one send).
local file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
local body = file:read("*a")
file:close()
local path = os.getenv("BENCH_PATH")
local headers = {
  ["x-protocol-public-key"] = os.getenv("BENCH_PUBLIC_KEY"),
  ["x-protocol-secret-key"] = os.getenv("BENCH_SECRET_KEY"),
  ["Content-Type"] = "application/json",
}
local key = os.getenv("BENCH_IDEMPOTENCY_KEY")
if key and key ~= "" then headers["Idempotency-Key"] = key end

request = function()
  return wrk.format("POST", path, headers, body)
end
