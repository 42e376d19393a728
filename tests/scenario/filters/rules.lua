-- tests/scenario/filters/rules.lua - a small rule set for the scenario table
local pg = require "phasegate"
local drugs = pg.regex([[\b(viagra|cialis)\b]], "i")

pg.on("rcpt", function(tx, rcpt)
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user")
  end
end)
pg.on("eom", function(tx)
  local subject = tx:header("Subject") or ""
  if drugs:match(tx:body() or "") then tx:score(4.0, "BODY_DRUGS") end
  if subject:find("FREE MONEY") then tx:score(3.0, "SUBJECT_FREE_MONEY") end
  if subject:find("multi") then
    return pg.reject("554-5.7.1 first line\n554 5.7.1 second line, 100% sure")
  end
  tx:add_header("X-Rules", "checked " .. #tx.recipients)
end)
