-- Every phase runs, in SMTP order, with its arguments.
-- run1: verdict - continue
-- run1: log phases: connect helo mail rcpt data header*6 eoh eom close
local pg = require "phasegate"
pg.on("connect", function(s) s.vars.seq = "connect" end)
pg.on("helo", function(s, name) s.vars.seq = s.vars.seq .. " helo" end)
pg.on("mail", function(tx, sender) tx.session.vars.seq = tx.session.vars.seq .. " mail" end)
pg.on("rcpt", function(tx, rcpt) tx.session.vars.seq = tx.session.vars.seq .. " rcpt" end)
pg.on("data", function(tx) tx.session.vars.seq = tx.session.vars.seq .. " data" end)
pg.on("header", function(tx, name, value)
  assert(type(name) == "string" and type(value) == "string")
  tx.vars.h = (tx.vars.h or 0) + 1
end)
pg.on("eoh", function(tx)
  tx.session.vars.seq = tx.session.vars.seq .. " header*" .. tx.vars.h .. " eoh"
end)
pg.on("eom", function(tx) tx.session.vars.seq = tx.session.vars.seq .. " eom" end)
pg.on("close", function(s) pg.log.info("phases: %s close", s.vars.seq) end)
