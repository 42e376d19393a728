-- error(msg, 0) has no position: the bridge adds the handler's line.
-- run1: error eom error_level0.lua:5: plain message
local pg = require "phasegate"
pg.on("eom", function(tx)
  error("plain message", 0)
end)
