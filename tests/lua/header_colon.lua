-- A header name with a colon is a filter error.
-- run1: error eom header_colon.lua:5: tx:add_header: bad header name 'X-Bad: x'
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx:add_header("X-Bad: x", "value")
end)
