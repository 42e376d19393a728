-- Every transaction field and read method.
-- sender: <alice@example.org>
-- rcpt: bob@example.net
-- rcpt: carol@example.net
-- run1: verdict - continue
-- run1: log tx_fields.lua:36: all tx fields ok
local pg = require "phasegate"
pg.on("mail", function(tx, sender)
  assert(tx.id == "4XyZ1Q2abc")
  assert(tx.session.client_addr == "192.0.2.10")
  assert(#tx.recipients == 0)
end)
pg.on("rcpt", function(tx, rcpt)
  assert(rcpt:find("@example.net$"))
end)
pg.on("eom", function(tx)
  local r = tx.recipients
  assert(#r == 2 and r[1] == "bob@example.net" and r[2] == "carol@example.net")
  assert(tx.size > 100 and tx.body_size > 10 and tx.body_size < tx.size)
  assert(tx:header("Subject") == "Lunch on Friday")
  assert(tx:header("subject") == "Lunch on Friday")
  assert(tx:header("X-None") == nil)
  assert(tx:header("Subject", 2) == nil)
  local rec = tx:headers("Received")
  assert(#rec == 1 and rec[1]:find("^from mail.example.org"), rec[1])
  assert(tx:header_raw("Subject"):find("^ Lunch on Friday"))
  local list = tx:header_list()
  assert(#list == 6 and list[1].name == "Received" and list[3].value == "bob@example.net")
  local body = tx:body()
  assert(body:find("^Hi Bob,\r\n") and #body == tx.body_size)
  assert(tx:body(5) == "Hi Bo")
  assert(tx:score_total() == 0)
  tx:score(1.5, "ONE")
  assert(tx:score_total() == 1.5)
  assert(tostring(tx):find("^transaction "))
  pg.log.info("all tx fields ok")
end)
