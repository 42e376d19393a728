-- A memory failure caught with pcall still stops the script.
-- opt: memory_max=4194304
-- run1: error eom memory limit exceeded
local pg = require "phasegate"
pg.on("eom", function(tx)
  local ok = pcall(string.rep, "x", 8 * 1024 * 1024)
  error("not reached: pcall returned " .. tostring(ok))
end)
