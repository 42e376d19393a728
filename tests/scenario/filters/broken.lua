-- tests/scenario/filters/broken.lua - raises an error at end of message
local pg = require "phasegate"
pg.on("eom", function(tx) local t = nil; return t.field end)
