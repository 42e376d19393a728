-- pg.on inside a handler is refused: every interpreter must have the same handlers.
-- run1: error connect on_late.lua:5: pg.on: handlers can only be registered while the script loads
local pg = require "phasegate"
pg.on("connect", function(s)
  pg.on("eom", function() end)
end)
