-- pg.tempfail with a 5xx reply is a filter error.
-- run1: error helo tempfail_class.lua:5: pg.tempfail: needs a 4xx reply
local pg = require "phasegate"
pg.on("helo", function(s)
  return pg.tempfail("550 5.7.1 no")
end)
