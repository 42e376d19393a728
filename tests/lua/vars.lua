-- session.vars across phases and transactions; tx.vars across phases.
-- runs: 2
-- run1: verdict - continue
-- run2: verdict - continue
-- run1: log vars.lua:38: vars ok n=3 keys=2
local pg = require "phasegate"
pg.on("connect", function(s)
  assert(s.vars.n == nil, "a new session starts with empty vars")
  s.vars.n = 1
  s.vars.name = "first"
  s.vars.ok = true
  s.vars.pi = 3.5
end)
pg.on("helo", function(s) s.vars.n = s.vars.n + 1 end)
pg.on("mail", function(tx)
  local sv = tx.session.vars
  sv.n = sv.n + 1
  assert(math.type(sv.n) == "integer")
  assert(sv.ok == true and sv.pi == 3.5)
  tx.vars.seen = "mail"
  sv.ok = nil
end)
pg.on("header", function(tx, name)
  tx.vars.headers = (tx.vars.headers or 0) + 1
end)
pg.on("eom", function(tx)
  assert(tx.vars.seen == "mail")
  assert(tx.vars.headers == 6)
  local ok, err = pcall(function() tx.vars.t = {} end)
  assert(not ok and err:find("vars hold strings, numbers and booleans"), err)
  ok, err = pcall(function() tx.vars[1] = "x" end)
  assert(not ok and err:find("keys must be strings"), err)
  local keys = 0
  for k, v in pairs(tx.session.vars) do keys = keys + 1 end
  tx.session.vars.pi = nil
  keys = 0
  for k, v in pairs(tx.session.vars) do keys = keys + 1; assert(k == "n" or k == "name") end
  pg.log.info("vars ok n=%d keys=%d", tx.session.vars.n, keys)
end)
