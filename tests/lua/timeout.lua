-- An endless loop is stopped at timeouts.script; the next message runs normally.
-- opt: timeout_ms=50
-- runs: 2
-- run1: error eom timeout.lua:9: script timed out after 50 ms
-- run2: verdict - continue
local pg = require "phasegate"
pg.on("eom", function(tx)
  if pg.store.incr("timeout-test-once") == 1 then
    while true do end
  end
end)
