-- A transaction kept in a global is refused after its call.
-- run1: error eom stale_tx.lua:9: attempt to use a finished transaction
local pg = require "phasegate"
local saved
pg.on("mail", function(tx) saved = tx end)
pg.on("eom", function(tx)
  assert(tostring(saved) == "transaction (finished)")
  assert(tx.sender == "alice@example.org")
  return saved:header("Subject")
end)
