-- A memory bomb is stopped at the cap; the next message runs normally.
-- opt: memory_max=4194304
-- opt: timeout_ms=10000
-- runs: 2
-- run1: error eom memory limit exceeded (4096 KiB)
-- run2: verdict - continue
local pg = require "phasegate"
pg.on("eom", function(tx)
  if pg.store.incr("memory-test-once") == 1 then
    local t = {}
    local i = 0
    while true do i = i + 1; t[i] = string.rep("x", 1000) .. i end
  end
  local t = {}
  for i = 1, 1000 do t[i] = tostring(i) end
end)
