-- tests/scenario/filters/fields_strict.lua - at every phase, holds the
-- session and transaction fields against what the phases so far said
-- (the HELO name, the sender, the recipients that passed) and rejects with
-- a reply naming the first field that disagrees: the same script must
-- accept under check, through the milter and through the proxy.
-- Fields that differ between front ends by nature are left to fields.lua.
local pg = require "phasegate"

-- want - reject unless got == expected
local function want(phase, field, got, expected)
  if got ~= expected then
    return pg.reject(string.format("550 5.7.1 %s: %s is %s, want %s",
      phase, field, tostring(got), tostring(expected)))
  end
end

-- same_list - the recipients so far against the ones kept in tx.vars
local function same_list(tx)
  local r = tx.recipients
  if #r ~= (tx.vars.n or 0) then return false end
  for i = 1, #r do
    if r[i] ~= tx.vars["r" .. i] then return false end
  end
  return true
end

pg.on("connect", function(s)
  return want("connect", "s.helo", s.helo, nil)
    or want("connect", "s.client_addr", s.client_addr, "127.0.0.1")
end)

pg.on("helo", function(s, name)
  s.vars.name = name
  return want("helo", "s.helo", s.helo, name)
end)

pg.on("mail", function(tx, sender)
  tx.vars.sender = sender
  return want("mail", "tx.sender", tx.sender, sender)
    or want("mail", "#tx.recipients", #tx.recipients, 0)
    or want("mail", "s.helo", tx.session.helo, tx.session.vars.name)
end)

pg.on("rcpt", function(tx, rcpt)
  local v = want("rcpt", "tx.sender", tx.sender, tx.vars.sender)
    or want("rcpt", "recipients so far", same_list(tx), true)
  if v then return v end
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user")
  end
  tx.vars.n = (tx.vars.n or 0) + 1
  tx.vars["r" .. tx.vars.n] = rcpt
end)

pg.on("data", function(tx)
  return want("data", "recipients", same_list(tx), true)
    or want("data", "s.helo", tx.session.helo, tx.session.vars.name)
end)

pg.on("header", function(tx, name)
  if name:lower() ~= "received" then
    tx.vars.fields = (tx.vars.fields or 0) + 1
  end
end)

pg.on("eoh", function(tx)
  local n = 0
  for _, h in ipairs(tx:header_list()) do
    if h.name:lower() ~= "received" then n = n + 1 end
  end
  return want("eoh", "header fields", n, tx.vars.fields)
end)

pg.on("eom", function(tx)
  return want("eom", "tx.sender", tx.sender, tx.vars.sender)
    or want("eom", "recipients", same_list(tx), true)
    or want("eom", "s.helo", tx.session.helo, tx.session.vars.name)
end)
