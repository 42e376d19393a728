-- pg.discard() at end of message; nil and nothing mean continue.
-- run1: verdict eom discard
local pg = require "phasegate"
pg.on("eom", function(tx) return nil end)
pg.on("eom", function(tx) end)
pg.on("eom", function(tx) return pg.discard() end)
