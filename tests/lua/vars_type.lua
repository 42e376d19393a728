-- A table in vars is a clear error with script and line.
-- run1: error mail vars_type.lua:5: vars hold strings, numbers and booleans
local pg = require "phasegate"
pg.on("mail", function(tx)
  tx.vars.list = { 1, 2 }
end)
