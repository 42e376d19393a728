-- tests/scenario/filters/fields.lua - reads every session and transaction
-- field in every phase and writes what it saw into headers at end of
-- message (X-Fields-Session, X-Fields-Mail, X-Fields-Rcpt, X-Fields-Data,
-- X-Fields-Header, X-Fields-Eom), so that check, the milter and the proxy
-- must add the same headers. A recipient starting with "nobody@" is
-- refused, to show that a refused recipient never joins tx.recipients.
--
-- Fields that differ between front ends by nature are read so that the
-- answer is the same everywhere (scenario.py sends from 127.0.0.1, EHLO
-- client.example; check gets the same with --helo and its defaults):
--   client_name  Postfix's name for the client, the proxy's reverse lookup
--                or check's --client-name: "name" when it is a non-empty
--                string (the resolver decides which one).
--   client_port  0 under check (no socket), the real port otherwise:
--                "port" when it is an integer >= 0.
--   frontend     "check", "milter" or "smtp": "fe" when it is one of them.
--   id           a non-empty string, unique per session.
--   tx.id        nil under check and the proxy, Postfix's queue id through
--                the milter: "txid" when nil or a non-empty string.
--   Received     Postfix hands the milter its own Received: field, the
--                proxy adds its own only when it delivers: header counts
--                leave Received out.
--   tx.size      the milter counts the header as Postfix passes it, the
--                others the bytes received: only "size>0" at eom, and 0 at
--                mail.
local pg = require "phasegate"

local fronts = { check = true, milter = true, smtp = true }

-- show - a value as text: nil as "nil", strings as they are
local function show(v)
  if v == nil then return "nil" end
  return tostring(v)
end

-- session - the session fields, each in its front-end-independent form
local function session(s)
  local t = {}
  t[#t + 1] = "addr=" .. show(s.client_addr)
  t[#t + 1] = "helo=" .. show(s.helo)
  t[#t + 1] = "tls=" .. show(s.tls)
  t[#t + 1] = "auth=" .. show(s.auth)
  if type(s.client_name) == "string" and s.client_name ~= "" then
    t[#t + 1] = "name"
  end
  if math.type(s.client_port) == "integer" and s.client_port >= 0 then
    t[#t + 1] = "port"
  end
  if fronts[s.frontend] then t[#t + 1] = "fe" end
  if type(s.id) == "string" and s.id ~= "" then t[#t + 1] = "id" end
  return table.concat(t, " ")
end

-- envelope - the transaction fields
local function envelope(tx)
  local t = {}
  t[#t + 1] = "from=" .. show(tx.sender)
  t[#t + 1] = "to=" .. table.concat(tx.recipients, ",")
  if tx.id == nil or (type(tx.id) == "string" and tx.id ~= "") then
    t[#t + 1] = "txid"
  end
  t[#t + 1] = "s.helo=" .. show(tx.session.helo)
  return table.concat(t, " ")
end

-- fields - header fields other than Received, and how many
local function fields(tx)
  local n, names = 0, {}
  for _, h in ipairs(tx:header_list()) do
    if h.name:lower() ~= "received" then
      n = n + 1
      names[#names + 1] = h.name
    end
  end
  return n, table.concat(names, ",")
end

pg.on("connect", function(s)
  s.vars.connect = session(s)
end)

pg.on("helo", function(s, name)
  s.vars.helo = "arg=" .. show(name) .. " " .. session(s)
end)

pg.on("mail", function(tx, sender)
  tx.vars.mail = "arg=" .. show(sender) .. " " .. envelope(tx) ..
    " size=" .. show(tx.size)
end)

pg.on("rcpt", function(tx, rcpt)
  local k = "rcpt" .. (#tx.recipients + 1)
  tx.vars.rcpt = (tx.vars.rcpt and tx.vars.rcpt .. "; " or "") ..
    "arg=" .. show(rcpt) .. " " .. envelope(tx)
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user")
  end
  tx.vars[k] = rcpt
end)

pg.on("data", function(tx)
  tx.vars.data = envelope(tx)
end)

pg.on("header", function(tx, name, value)
  if name:lower() == "subject" then
    tx.vars.subject = value
  end
end)

pg.on("eoh", function(tx)
  local n, names = fields(tx)
  tx.vars.eoh = "fields=" .. n .. " " .. names .. " subject=" ..
    show(tx.vars.subject) .. " header=" .. show(tx:header("subject"))
end)

pg.on("eom", function(tx)
  local s = tx.session
  local n = fields(tx)
  tx:add_header("X-Fields-Session", "connect: " .. show(s.vars.connect) ..
    "; helo: " .. show(s.vars.helo))
  tx:add_header("X-Fields-Mail", show(tx.vars.mail))
  tx:add_header("X-Fields-Rcpt", show(tx.vars.rcpt))
  tx:add_header("X-Fields-Data", show(tx.vars.data))
  tx:add_header("X-Fields-Header", show(tx.vars.eoh))
  tx:add_header("X-Fields-Eom", envelope(tx) .. " fields=" .. n ..
    (tx.size > 0 and " size>0" or " size=0") ..
    (tx.body_size > 0 and " body>0" or " body=0") ..
    " " .. session(s))
end)
