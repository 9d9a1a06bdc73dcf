-- wrk script: GET a random one of 1,000 templates with the tenant's key pair.
-- The ids are made by bench-templates.sh: cbench + 19 zero-padded digits.
local public_key = os.getenv("BENCH_PUBLIC_KEY")
local secret_key = os.getenv("BENCH_SECRET_KEY")
math.randomseed(os.time())

request = function()
  local id = string.format("cbench%019d", math.random(1, 1000))
  return wrk.format("GET", "/api/v0/notifications/templates/" .. id, {
    ["x-protocol-public-key"] = public_key,
    ["x-protocol-secret-key"] = secret_key,
  })
end
