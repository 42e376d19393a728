-- A reply that is not a string is a filter error.
-- run1: error eom reply_type.lua:5: pg.reject: the reply must be a string, not table
local pg = require "phasegate"
pg.on("eom", function(tx)
  return pg.reject({ "550" })
end)
