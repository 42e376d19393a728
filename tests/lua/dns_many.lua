-- 10,000 distinct lookups in one handler: each an answer or, once the
-- budget is spent, "timeout"; the handler ends within its budget and the
-- interpreter's memory stays bounded (results are not kept: it runs
-- under a 2 MiB cap).
-- dns: rbl
-- lookups: 4000
-- opt: timeout_ms=3000
-- opt: memory_max=2097152
-- run1: verdict connect reject 550 5.7.1 10000 lookups
-- run1: maxms 7000
-- run1: log 10000 lookups:
local pg = require "phasegate"

pg.on("connect", function(s)
  local answered, timeouts, listed = 0, 0, 0
  for i = 0, 9999 do
    local name = string.format("%d.%d.%d.10.bl.test", i % 250, (i // 250) % 250,
      1 + i % 2)
    local r, err = pg.dns.a(name)
    if r then
      assert(r[1] == "127.0.0.4")
      listed = listed + 1
      answered = answered + 1
    elseif err == "nxdomain" then
      answered = answered + 1
    elseif err == "timeout" then
      timeouts = timeouts + 1
    else
      error(name .. ": " .. err)
    end
  end
  pg.log.info("10000 lookups: %d answered (%d listed), %d timeouts", answered,
    listed, timeouts)
  if timeouts == 0 then assert(listed == 5000) end
  return pg.reject("550 5.7.1 " .. (answered + timeouts) .. " lookups")
end)
