-- A script cannot catch its own timeout with pcall.
-- opt: timeout_ms=50
-- run1: error eom script timed out after 50 ms
local pg = require "phasegate"
pg.on("eom", function(tx)
  while true do
    pcall(function() while true do end end)
  end
end)
