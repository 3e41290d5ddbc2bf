-- wrk script of the ingest benchmark: POST /api/events with fresh envelopes on every request.
-- BATCH (environment, default 1000) envelopes per request as a JSON array; BATCH=1 sends one
-- envelope (an object) per request. The envelopes cycle through: trade.opened of a new trade,
-- market.tick, trade.closed of the trade opened two events before, market.tick — so positions
-- stay few however long it runs, and every event is new (nothing answers duplicate).
-- summary.lua's done() prints one JSON line: requests, duration, errors, latency percentiles.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")

local batch = tonumber(os.getenv("BATCH") or "1000")
local symbols = 50
local threads = {}
local k = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("prefix", "W" .. #threads .. "-" .. os.time() .. "-")
end

local function envelope()
  local i = k
  k = k + 1
  local symbol = "S" .. (i % symbols) .. "USDT"
  local step = i % 4
  if step == 0 then
    return '{"event_type":"trade.opened","source":"bench","payload":{"trade_id":"' .. prefix .. i ..
      '","symbol":"' .. symbol .. '","side":"LONG","entry_price":100,"quantity":1,"leverage":2}}'
  elseif step == 2 then
    return '{"event_type":"trade.closed","source":"bench","payload":{"trade_id":"' .. prefix .. (i - 2) ..
      '","exit_price":101}}'
  else
    return '{"event_type":"market.tick","source":"bench","payload":{"symbol":"' .. symbol ..
      '","price":' .. (100 + (i % 1000) / 100) .. '}}'
  end
end

local headers = { ["Content-Type"] = "application/json" }

function request()
  local body
  if batch == 1 then
    body = envelope()
  else
    local parts = {}
    for j = 1, batch do parts[j] = envelope() end
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format("POST", "/api/events", headers, body)
end
