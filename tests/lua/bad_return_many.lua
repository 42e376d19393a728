-- Several return values are a filter error.
-- run1: error mail bad_return_many.lua:4: the mail handler returned several values
local pg = require "phasegate"
pg.on("mail", function(tx)
  return pg.accept(), true
end)
