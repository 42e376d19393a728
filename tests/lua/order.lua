-- Several handlers per phase run in registration order; the first verdict ends the phase.
-- run1: verdict eom reject 550 5.7.1 third
-- run1: symbols FIRST(1.0) SECOND(2.0)
local pg = require "phasegate"
pg.on("eom", function(tx) tx:score(1, "FIRST") end)
pg.on("eom", function(tx) tx:score(2, "SECOND") end)
pg.on("eom", function(tx) return pg.reject("550 5.7.1 third") end)
pg.on("eom", function(tx) tx:score(4, "FOURTH") end)
