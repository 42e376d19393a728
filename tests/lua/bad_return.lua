-- A handler that returns a number is a filter error naming the handler's line.
-- run1: error eom bad_return.lua:4: the eom handler returned number
local pg = require "phasegate"
pg.on("eom", function(tx)
  return 42
end)
