-- pg.dnsbl: IPv4, IPv6 and names against rbldnsd's lists, every zone at
-- once, return codes and TXT; broken lists (127.0.0.1 for everything,
-- 127.255.255.x) and dead ones are errors, not hits.
-- dns: fake
-- lookups: 1000
-- run1: verdict helo reject 550 5.7.1 dnsbl ok
-- run1: maxms 2500
local pg = require "phasegate"

local function zones_of(hits)
  local z = {}
  for _, h in ipairs(hits) do z[#z + 1] = h.zone end
  table.sort(z)
  return table.concat(z, ",")
end

pg.on("connect", function(s)
  local hits, errs = pg.dnsbl("192.0.2.99", { "bl.test", "bl6.test", "dbl.test" })
  assert(errs == nil)
  assert(#hits == 1 and hits[1].zone == "bl.test", zones_of(hits))
  assert(hits[1].codes[1] == "127.0.0.2" and #hits[1].codes == 1)
  assert(hits[1].txt == "Listed in bl.test, see http://bl.test/lookup?192.0.2.99",
    hits[1].txt)
  hits = pg.dnsbl("192.0.2.100", { "bl.test" })
  assert(hits[1].codes[1] == "127.0.0.3" and hits[1].txt == "Spam source 192.0.2.100")
  -- not listed anywhere: an empty table, no errors
  hits, errs = pg.dnsbl("192.0.2.1", { "bl.test", "bl6.test" })
  assert(#hits == 0 and errs == nil)
  -- IPv6, by nibbles
  hits = pg.dnsbl("2001:db8::99", { "bl6.test" })
  assert(#hits == 1 and hits[1].codes[1] == "127.0.0.2")
  hits = pg.dnsbl("[2001:db8:1::5]", { "bl6.test", "bl.test" })
  assert(#hits == 1 and hits[1].zone == "bl6.test" and hits[1].codes[1] == "127.0.0.5")
  -- names, as they are
  hits = pg.dnsbl("Spam.Example", { "dbl.test" })
  assert(#hits == 1 and hits[1].codes[1] == "127.0.1.2")
  hits = pg.dnsbl("www.evil.example", { "dbl.test" })
  assert(#hits == 1 and hits[1].codes[1] == "127.0.1.3")
  assert(#pg.dnsbl("ham.example", { "dbl.test" }) == 0)
  -- empty zone list
  hits, errs = pg.dnsbl("192.0.2.1", {})
  assert(#hits == 0 and errs == nil)
  -- bad subjects and arguments
  local r, e = pg.dnsbl("not a name!", { "bl.test" })
  assert(r == nil and e == "badname", e)
  local ok, err = pcall(pg.dnsbl, "192.0.2.1", { 5 })
  assert(not ok and err:find("zones are strings"), err)
  ok, err = pcall(pg.dnsbl, "192.0.2.1", "bl.test")
  assert(not ok and err:find("table expected"), err)
end)

pg.on("helo", function(s, name)
  -- a list that answers everything with 127.0.0.1, one with 127.255.255.254,
  -- one that never answers: errors for those zones, the good one still a hit
  local hits, errs = pg.dnsbl("192.0.2.99", { "all.test", "wild255.test",
    "drop.test", "bl.test" })
  assert(#hits == 1 and hits[1].zone == "bl.test", zones_of(hits))
  assert(errs["all.test"] == "badcode", tostring(errs["all.test"]))
  assert(errs["wild255.test"] == "badcode")
  assert(errs["drop.test"] == "timeout")
  -- the budget (1000 ms) is spent now: at once, "timeout"
  local _, errs2 = pg.dnsbl("192.0.2.98", { "bl.test" })
  assert(errs2["bl.test"] == "timeout")
  return pg.reject("550 5.7.1 dnsbl ok")
end)
