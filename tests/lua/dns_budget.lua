-- timeouts.lookups is per handler call and counts time parked; the
-- script's CPU limit (timeouts.script, 100 ms here) does not: 130 ms
-- parked in a 100 ms script is fine. Once the budget (300 ms) is spent,
-- lookups fail with "timeout" at once; the next phase has a new budget.
-- dns: fake
-- lookups: 300
-- opt: timeout_ms=100
-- run1: verdict helo reject 550 5.7.1 budget ok
-- run1: minms 400
-- run1: maxms 1200
local pg = require "phasegate"

pg.on("connect", function(s)
  assert(pg.dns.a("slow-50.bad.test")[1] == "192.0.2.77")
  assert(pg.dns.a("slow-80.bad.test")[1] == "192.0.2.77")
  local r, err = pg.dns.a("drop-budget.bad.test")
  assert(r == nil and err == "timeout", err)
  for i = 1, 50 do
    r, err = pg.dns.a("drop-spent" .. i .. ".bad.test")
    assert(r == nil and err == "timeout")
  end
  -- cached answers still come: they cost no waiting
  assert(pg.dns.a("slow-50.bad.test")[1] == "192.0.2.77")
end)

pg.on("helo", function(s, name)
  assert(pg.dns.a("slow-101.bad.test")[1] == "192.0.2.77")
  return pg.reject("550 5.7.1 budget ok")
end)
