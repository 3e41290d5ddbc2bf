-- wrk script for a paced GET load: each connection waits DELAY_MS between its requests, so
-- C connections send at most C × 1000 / DELAY_MS requests/s (wrk2's fixed rate is not packaged
-- here). Prints the same one-line JSON summary as get.lua.
local pause = tonumber(os.getenv("DELAY_MS") or "0")

function delay()
  return pause
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
