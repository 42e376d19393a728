-- tests/data/check/flood.lua - a script that adds headers in a loop: the
-- changes one message may collect are capped (MSG_CHANGES_MAX), and the
-- write past the cap is an error of this filter (its on_error verdict)
local pg = require "phasegate"
pg.on("eom", function(tx)
  for i = 1, 20000 do
    tx:add_header("X-Flood", "header " .. i)
  end
end)
