-- A host without the message content members of struct pg_host (the test
-- host is one): tx:parts() and friends raise a clear error, a filter error.
-- run1: error eom message content is not available from this host
local pg = require "phasegate"
pg.on("eom", function(tx)
  assert(type(tx.parts) == "function" and type(tx.urls) == "function")
  tx:parts()
end)
