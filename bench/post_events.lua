-- wrk script for the sandbox ceiling: POST /api/public/v1/events over keep-alive, each request
-- with its own Idempotency-Key (a repeated key would be an idempotent replay, not a create).
-- Used by scripts/bench.sh: wrk -s bench/post_events.lua -c N -t T -d S http://127.0.0.1:PORT
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local counter = 0
local prefix = ""
local body = '{"channelId":42,"title":"Bench show","startAt":"2026-06-12T20:00:00-04:00",' ..
             '"timezone":"America/New_York","classifications":["music"],' ..
             '"approxLocation":{"city":{"placeId":"place-new-york","name":"New York","countryCode":"US"}},' ..
             '"locationName":"The Skylark","description":"A load-test event."}'

function init(args)
  -- os.time() keeps keys unique across wrk runs against one sandbox.
  prefix = "bench-" .. os.time() .. "-" .. thread_index .. "-"
end

function request()
  counter = counter + 1
  return wrk.format("POST", "/api/public/v1/events", {
    ["Authorization"] = "Bearer sandbox-key",
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }, body)
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format("BENCH rps=%.1f requests=%d non2xx=%d p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests / (summary.duration / 1e6), summary.requests, non2xx,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
