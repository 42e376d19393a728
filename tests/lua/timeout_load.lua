-- A script that loops while loading fails init() instead of hanging.
-- opt: timeout_ms=50
-- init-error: timeout_load.lua:5: script timed out after 50 ms
local pg = require "phasegate"
while true do end
