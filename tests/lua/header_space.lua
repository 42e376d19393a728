-- A header name with a space is a filter error.
-- run1: error eom header_space.lua:5: tx:change_header: bad header name 'X Bad'
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx:change_header("X Bad", "value")
end)
