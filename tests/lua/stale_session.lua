-- A session kept past its call, and its vars, are refused; close errors are logged.
-- run1: verdict - continue
-- run1: log stale_session.lua:8: attempt to use a finished session
local pg = require "phasegate"
local saved, vars
pg.on("connect", function(s) saved = s; vars = s.vars end)
pg.on("close", function(s)
  local x = saved.client_addr
end)
pg.on("eom", function(tx)
  local ok, err = pcall(function() return vars.x end)
  assert(not ok and err:find("attempt to use a finished vars table"), err)
end)
