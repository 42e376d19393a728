-- pg.store: incr, get, set, delete, ttl, errors.
-- runs: 2
-- run1: verdict - continue
-- run2: verdict eom tempfail 451 4.7.1 too many messages from 192.0.2.10
local pg = require "phasegate"
local s = pg.store
assert(s.delete("store-test-x") == false)
assert(s.incr("store-test-x") == 1)
assert(s.incr("store-test-x", 5) == 6)
assert(s.get("store-test-x") == 6)
assert(s.set("store-test-str", "hello", 60) == true)
assert(s.get("store-test-str") == "hello")
assert(s.set("store-test-f", 1.5) and s.get("store-test-f") == 1.5)
local ok, err = pcall(s.incr, "store-test-str", 1)
assert(not ok and err:find("not an integer"), err)
ok, err = pcall(s.set, "store-test-t", {})
assert(not ok and err:find("values are strings or numbers"), err)
ok, err = pcall(s.incr, "store-test-x", 1, -5)
assert(not ok and err:find("bad ttl"), err)
assert(s.delete("store-test-x") == true)
assert(s.get("store-test-x") == nil)
s.set("store-test-str", nil)
assert(s.get("store-test-str") == nil)
pg.on("eom", function(tx)
  local key = "rate:" .. tx.session.client_addr
  if s.incr(key, 1, 3600) > 1 then
    return pg.tempfail("451 4.7.1 too many messages from " .. tx.session.client_addr)
  end
end)
