-- pg.dnsbl asks every zone at once: three lists that each take 300 ms
-- (and 300 ms more for the TXT of a listing) answer in about 600 ms, not
-- 1800.
-- dns: fake
-- run1: verdict connect reject 550 5.7.1 listed 3
-- run1: minms 550
-- run1: maxms 1500
local pg = require "phasegate"

pg.on("connect", function(s)
  local hits, errs = pg.dnsbl("192.0.2.7", { "one.slow.test", "two.slow.test",
    "three.slow.test" })
  assert(errs == nil)
  for _, h in ipairs(hits) do
    assert(h.codes[1] == "127.0.0.2" and h.txt == "slow listed")
  end
  return pg.reject("550 5.7.1 listed " .. #hits)
end)
