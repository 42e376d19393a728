-- A recipient that is not an address is a filter error.
-- run1: error eom rcpt_bad.lua:8: not an address: 'not an address'
local pg = require "phasegate"
pg.on("eom", function(tx)
  local ok, err = pcall(tx.add_rcpt, tx, "")
  assert(not ok and err:find("empty recipient"), err)
  assert(not pcall(tx.del_rcpt, tx, "a@b>\r\nDATA"))
  tx:add_rcpt("not an address")
end)
