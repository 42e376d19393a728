-- Endless recursion is a filter error; the next message runs.
-- runs: 2
-- opt: timeout_ms=5000
-- run1: error eom stack overflow
-- run2: verdict - continue
local pg = require "phasegate"
local function f(n) return 1 + f(n + 1) end
pg.on("eom", function(tx)
  if pg.store.incr("stack-test-once") == 1 then return f(1) end
end)
