-- A header value that would start a new field is a filter error.
-- run1: error eom header_value.lua:5: tx:add_header: line break not followed by white space
local pg = require "phasegate"
pg.on("eom", function(tx)
  tx:add_header("X-Ok", "a\r\nBcc: victim@example.net")
end)
