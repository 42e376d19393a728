-- pg.map: relative to the configuration's directory, every answer shape,
-- errors for a bad kind, a missing file and a bad line (file:line).
-- opt: config_dir=$SRCDIR/tests/data/map
-- run1: verdict connect reject 550 5.7.1 host
local pg = require "phasegate"
local nets = pg.map("nets", "cidr")
local doms = pg.map("doms", "domain")
assert(nets:match("192.0.2.1") == "doc")
assert(nets:match("2001:db8::1") == true)
assert(nets:match("198.51.100.1") == nil)
assert(nets:match("garbage") == nil)
assert(doms:match("a.b.example.com") == "listed")
assert(tostring(nets):find("pg.map%(cidr, 3 entries%)"))
assert(pg.map("nets", "cidr") ~= nil)
local ok, err = pcall(pg.map, "nets", "hash")
assert(not ok and err:find("unknown kind 'hash'"), err)
ok, err = pcall(pg.map, "missing", "set")
assert(not ok and err:find("missing: No such file"), err)
ok, err = pcall(pg.map, "bad", "cidr")
assert(not ok and err:find("bad:1: not an IPv4 or IPv6 address"), err)
pg.on("connect", function(s)
  local v = nets:match(s.client_addr)
  if v then return pg.reject("550 5.7.1 " .. tostring(v)) end
end)
