-- A verdict from a close handler is an error (logged; close has no reply).
-- run1: verdict - continue
-- run1: log [err] S
-- run1: log close_verdict.lua:6: the close handler returned a verdict from a close handler
local pg = require "phasegate"
pg.on("close", function(s) return pg.reject() end)
