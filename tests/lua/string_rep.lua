-- string.rep of a gigabyte is a filter error, not a crash; the next message runs.
-- runs: 2
-- run1: error eom memory limit exceeded
-- run2: verdict - continue
local pg = require "phasegate"
pg.on("eom", function(tx)
  if pg.store.incr("rep-test-once") == 1 then
    local s = string.rep("x", 1024 * 1024 * 1024)
  end
end)
