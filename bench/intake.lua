-- wrk script: POST realistic, unique event reports (closed loop).
-- Environment:
--   BENCH_POINTS      file of "lon,lat" lines (seeded random points inside the grids)
--   BENCH_CATEGORIES  comma-separated category codes to rotate through
--   BENCH_PATH        request path (/api/v1/events or /intake)
--   BENCH_RUN         run tag, makes client_ref unique across runs
--   BENCH_CHANNELS    comma-separated channels to rotate through (default patrol,public,hotline,video)
--   BENCH_API_KEY     the integration's API key, sent as X-API-Key (unset or empty: no credentials,
--                     as for the bare anchor)
-- Prints one line "BENCH_JSON {...}" with the summary (latencies in microseconds) and the count of
-- responses per HTTP status ("statuses"): every request is a new report, so all should be 201.

local points = {}
for line in io.lines(os.getenv("BENCH_POINTS")) do
  local lon, lat = line:match("^%s*([^,]+),([^,%s]+)")
  if lon then points[#points + 1] = {lon, lat} end
end
local categories = {}
for code in string.gmatch(os.getenv("BENCH_CATEGORIES") or "", "[^,]+") do
  categories[#categories + 1] = code
end
local channels = {}
for code in string.gmatch(os.getenv("BENCH_CHANNELS") or "patrol,public,hotline,video", "[^,]+") do
  channels[#channels + 1] = code
end
local path = os.getenv("BENCH_PATH") or "/api/v1/events"
local run = os.getenv("BENCH_RUN") or "run"
local headers = {["Content-Type"] = "application/json"}
local api_key = os.getenv("BENCH_API_KEY") or ""
if api_key ~= "" then headers["X-API-Key"] = api_key end

local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local counter = 0
function request()
  counter = counter + 1
  local n = counter * 7 + (tid or 0) * 1000003
  local p = points[(n % #points) + 1]
  local body = string.format(
    '{"category":"%s","description":"巡查发现：%d号点位，压测上报","location":{"type":"Point","coordinates":[%s,%s]},' ..
    '"channel":"%s","client_ref":"bench-%s-t%d-%d"}',
    categories[(n % #categories) + 1], counter, p[1], p[2], channels[(n % #channels) + 1],
    run, tid or 0, counter)
  return wrk.format("POST", path, headers, body)
end

-- responses per status, per thread (each wrk thread has its own Lua state; done() collects them)
statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if s then
      for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
    end
  end
  local parts = {}
  for code, n in pairs(total) do parts[#parts + 1] = string.format('"%d":%d', code, n) end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"err_connect":%d,"err_read":%d,' ..
    '"err_write":%d,"err_status":%d,"err_timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"mean_us":%.1f,"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    table.concat(parts, ",")))
end
