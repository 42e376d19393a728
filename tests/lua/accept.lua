-- pg.accept() at MAIL ends filtering of the transaction.
-- run1: verdict mail accept
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  assert(sender == "alice@example.org")
  return pg.accept()
end)
pg.on("eom", function(tx) error("not reached") end)
