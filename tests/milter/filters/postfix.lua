-- tests/milter/filters/postfix.lua - the phasegate side of postfix.sh.
-- The Subject says what to do at end of message.
local pg = require "phasegate"

pg.on("connect", function(s)
  -- armed by the message before (Subject "arm-connect"): refuse this session
  if pg.store.get("reject_next_connect") then
    pg.store.delete("reject_next_connect")
    return pg.reject("554 5.7.1 phasegate refuses this connection")
  end
end)

pg.on("rcpt", function(tx, rcpt)
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user here (phasegate)")
  end
end)

pg.on("eom", function(tx)
  local subj = tx:header("Subject") or ""
  if subj == "add-rcpt" then
    tx:add_rcpt("carol@example.net")
  elseif subj == "change-sender" then
    tx:change_sender("bounces@example.com")
  elseif subj == "multi" then
    return pg.reject("554-5.7.1 first line of two\n554 5.7.1 second line, 100% sure")
  elseif subj == "arm-connect" then
    pg.store.set("reject_next_connect", "1", 60)
  end
  tx:add_header("X-Phasegate-Script", "recipients=" .. #tx.recipients ..
    " id=" .. tostring(tx.id) .. " auth=" .. tostring(tx.session.auth))
end)
