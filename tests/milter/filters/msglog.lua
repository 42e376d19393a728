-- tests/milter/filters/msglog.lua - the verdict at end of message comes
-- from the Subject (mt/msglog.lua reads the summary lines it makes): each
-- message scores TEST_SYM 2.5 first and counts itself in pg.store.
local pg = require "phasegate"

pg.on("eom", function(tx)
  local s = tx:header("Subject") or ""
  tx:score(2.5, "TEST_SYM")
  pg.store.incr("msglog-messages")
  if s:find("reject") then
    return pg.reject("554 5.7.9 first line\nsecond line")
  elseif s:find("tempfail") then
    return pg.tempfail("452 4.7.9 later")
  elseif s:find("discard") then
    return pg.discard()
  elseif s:find("accept") then
    return pg.accept()
  end
end)
pg.on("rcpt", function(tx, rcpt)
  if rcpt:find("^early@") then return pg.accept() end
end)
