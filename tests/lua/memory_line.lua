-- A memory error names the line that asked for the memory, like any other
-- error (it said "memory_line.lua:0:" when the count hook had not yet run).
-- opt: memory_max=4194304
-- runs: 2
-- run1: error eom memory_line.lua:10: memory limit exceeded (4096 KiB)
-- run2: verdict - continue
local pg = require "phasegate"
pg.on("eom", function(tx)
  if pg.store.incr("memory-line-once") == 1 then
    local s = string.rep("x", 8 * 1024 * 1024)
    return pg.reject(#s)
  end
end)
