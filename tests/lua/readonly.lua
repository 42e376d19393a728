-- Session and transaction fields are read-only.
-- run1: error eom readonly.lua:8: tx.sender is read-only
local pg = require "phasegate"
pg.on("helo", function(s)
  local ok, err = pcall(function() s.helo = "x" end)
  assert(not ok and err:find("session.helo is read%-only"), err)
end)
pg.on("eom", function(tx) tx.sender = "x@example.org" end)
