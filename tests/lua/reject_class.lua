-- pg.reject with a 4xx reply is a filter error.
-- run1: error eom reject_class.lua:5: pg.reject: needs a 5xx reply, got '451 4.7.1 later'
local pg = require "phasegate"
pg.on("eom", function(tx)
  return pg.reject("451 4.7.1 later")
end)
