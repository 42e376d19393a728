-- the same symbol from two handlers counts once (8 + 8 was 16)
local pg = require "phasegate"
pg.on("eom", function(tx) tx:score(8, "DRUGS", "viagra") end)
pg.on("eom", function(tx) tx:score(8, "DRUGS", "cialis") end)
