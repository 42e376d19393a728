-- error() with a table or without position still names script and line.
-- run1: error eom error_object.lua:5: (error object is a table value)
local pg = require "phasegate"
pg.on("eom", function(tx)
  error({ code = 1 })
end)
