-- An unknown phase name is an init error with file and line.
-- init-error: bad_phase.lua:4: bad argument #1 to 'on' (invalid option 'conect')
local pg = require "phasegate"
pg.on("conect", function(s) end)
