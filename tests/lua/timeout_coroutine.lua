-- An endless loop inside a coroutine is stopped too.
-- opt: timeout_ms=50
-- run1: error eom script timed out after 50 ms
local pg = require "phasegate"
pg.on("eom", function(tx)
  local co = coroutine.create(function() while true do end end)
  while true do coroutine.resume(co) end
end)
