-- wrk script for GET benchmarks: the request wrk is given, at full speed, or paced when DELAY_MS
-- is set: each connection then waits DELAY_MS between its requests, so C connections send at
-- most C × 1000 / DELAY_MS requests/s (wrk2's fixed rate is not packaged here). Prints
-- summary.lua's one-line JSON summary.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "summary.lua")

local pause = tonumber(os.getenv("DELAY_MS") or "0")

if pause > 0 then
  function delay()
    return pause
  end
end
