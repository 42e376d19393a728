-- tests/milter/filters/verdicts.lua - the phasegate side of mt/verdicts.lua
-- The client name says which phase decides what: "PHASE-VERDICT.example"
-- (e.g. "rcpt-reject.example"). Replies carry the phase so the MTA side can
-- tell which stage answered; one has a '%' (the milter must double it).
local pg = require "phasegate"

local function decide(s, phase)
  local p, v = (s.client_name or ""):match("^(%a+)%-(%a+)%.example$")
  if p ~= phase then return nil end
  if v == "reject" then
    return pg.reject("550 5.7.1 " .. phase .. " says no, 100% sure")
  elseif v == "tempfail" then
    return pg.tempfail("451 4.7.1 " .. phase .. " says later")
  elseif v == "multi" then
    return pg.reject("554-5.7.0 " .. phase .. " first line\n554 5.7.0 " .. phase .. " second line")
  elseif v == "accept" then
    return pg.accept()
  elseif v == "discard" then
    return pg.discard()
  elseif v == "error" then
    error("broken at " .. phase)
  end
end

pg.on("connect", function(s) return decide(s, "connect") end)
pg.on("helo", function(s, name) return decide(s, "helo") end)
pg.on("mail", function(tx, sender) return decide(tx.session, "mail") end)
pg.on("rcpt", function(tx, rcpt)
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user")
  end
  return decide(tx.session, "rcpt")
end)
pg.on("data", function(tx) return decide(tx.session, "data") end)
pg.on("header", function(tx, name, value) return decide(tx.session, "header") end)
pg.on("eoh", function(tx) return decide(tx.session, "eoh") end)
pg.on("eom", function(tx)
  local r = decide(tx.session, "eom")
  if r then return r end
  -- what the message looked like to the chain, for the MTA side to check
  return pg.tempfail(string.format("451 4.7.0 seen from=%s rcpts=%s subject=%s body=%d",
    tx.sender, table.concat(tx.recipients, ","), tx:header("Subject") or "-",
    #(tx:body() or "")))
end)
