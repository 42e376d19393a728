-- A syntax error is an init (configtest) error with file and line.
-- init-error: syntax_error.lua:5: 
local pg = require "phasegate"
pg.on("eom", function(tx)
  if then
end)
