-- wrk script: POSTs GraphQL bodies in turn with a bearer token, and counts answers that are
-- not HTTP 200 or that carry GraphQL errors (which come back with 200).
-- Environment: TOKEN, and BODIES: the JSON bodies, one per line.
local bodies = {}
for line in string.gmatch(os.getenv("BODIES") or "", "[^\n]+") do
  table.insert(bodies, line)
end
local next_body = 0
errors = 0 -- global: wrk reads it from each thread with thread:get
local threads = {}

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")

function setup(thread)
  table.insert(threads, thread)
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[next_body])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    if errors == 1 then
      io.stderr:write("first error answer: " .. status .. " " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("errors") or 0)
  end
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f errors=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  ))
end
