-- pg.tempfail(reply) at HELO.
-- helo: localhost
-- run1: verdict helo tempfail 451 4.7.1 come back later
local pg = require "phasegate"
pg.on("helo", function(s, name)
  if name == "localhost" then return pg.tempfail("451 4.7.1 come back later") end
end)
