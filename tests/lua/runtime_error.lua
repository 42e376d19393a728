-- error() in a handler: a filter error with script and line; the next message runs.
-- runs: 2
-- run1: error eom runtime_error.lua:6: boom
-- run2: error eom runtime_error.lua:6: boom
local pg = require "phasegate"
pg.on("eom", function(tx) error("boom") end)
