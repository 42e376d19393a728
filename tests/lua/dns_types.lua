-- pg.dns.a/aaaa/mx/txt/ptr/ns against the tests' servers: answers,
-- CNAMEs followed, and every failure as nil plus a word.
-- dns: fake
-- run1: verdict connect reject 550 5.7.1 all lookups ok
local pg = require "phasegate"

-- lookups belong in handlers: not while the script loads
local ok, err = pcall(pg.dns.a, "example.test")
assert(not ok and err:find("lookups run in handlers"), err)

pg.on("connect", function(s)
  local a = assert(pg.dns.a("example.test"))
  assert(#a == 1 and a[1] == "192.0.2.1", a[1])
  local multi = assert(pg.dns.a("multi.example.test"))
  assert(#multi == 2)
  local aaaa = assert(pg.dns.aaaa("www.good.test"))
  assert(aaaa[1] == "2001:db8::1")
  local mx = assert(pg.dns.mx("example.test"))
  assert(#mx == 2 and mx[1].pref == 10 and mx[1].host == "mx1.example.test"
    and mx[2].pref == 20 and mx[2].host == "mx2.example.test")
  local txt = assert(pg.dns.txt("txt.example.test"))
  assert(txt[1] == "v=spf1 -all")
  local ptr = assert(pg.dns.ptr("192.0.2.2"))
  assert(ptr[1] == "host.good.test")
  local ptr6 = assert(pg.dns.ptr("2001:db8::1"))
  assert(ptr6[1] == "v6host.good.test")
  assert(pg.dns.ptr("2.2.0.192.in-addr.arpa")[1] == "host.good.test")
  local ns = assert(pg.dns.ns("good.test"))
  assert(ns[1] == "ns1.good.test")
  -- a CNAME chain is followed to the records
  assert(pg.dns.a("chain.good.test")[1] == "192.0.2.80")
  -- TCP when the UDP answer is truncated
  assert(#pg.dns.a("trunc.bad.test") == 40)

  local function fails(fn, name, want)
    local r, e = fn(name)
    assert(r == nil and e == want, name .. ": " .. tostring(e))
  end
  fails(pg.dns.a, "nosuch.example.test", "nxdomain")
  fails(pg.dns.mx, "www.good.test", "nodata")
  fails(pg.dns.a, "servfail.bad.test", "servfail")
  fails(pg.dns.a, "refused.bad.test", "refused")
  fails(pg.dns.a, "loop.bad.test", "loop")
  fails(pg.dns.a, "badrr.bad.test", "badresp")
  fails(pg.dns.a, "a..b", "badname")
  fails(pg.dns.a, "with space.example", "badname")
  fails(pg.dns.ptr, "not an address", "badname")

  -- a wrong argument type is an error
  local ok1, e1 = pcall(pg.dns.a)
  assert(not ok1 and e1:find("bad argument"), e1)
  local ok2 = pcall(pg.dns.txt, {})
  assert(not ok2)
  return pg.reject("550 5.7.1 all lookups ok")
end)
