-- An error while the script loads fails init() with file and line.
-- init-error: top_error.lua:5: oops
local pg = require "phasegate"
local x = 1
error("oops")
