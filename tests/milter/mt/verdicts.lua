-- tests/milter/mt/verdicts.lua - every phase with every verdict, through
-- the milter protocol as an MTA sees it. Run: miltertest -D sock=inet:PORT@127.0.0.1 -s verdicts.lua
-- phasegate runs filters/verdicts.lua.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local R = {
  reject = SMFIR_REPLYCODE, tempfail = SMFIR_REPLYCODE, multi = SMFIR_REPLYCODE,
  accept = SMFIR_ACCEPT, discard = SMFIR_DISCARD,
}
local phases = { "connect", "helo", "mail", "rcpt", "data", "header", "eoh", "eom" }
-- "multi": a two-line reply; miltertest cannot parse a multi-line reply's
-- text, so its lines are checked through Postfix (postfix.sh)
local verdicts = { "reject", "tempfail", "accept", "discard", "multi" }

-- run one conversation up to phase stop; returns the reply there
local function run(name, stop)
  local conn = mt.connect(sock, 40, 0.05)
  assert(conn, "cannot connect to " .. sock)
  assert(mt.negotiate(conn, nil, nil, nil) == nil)
  assert(mt.conninfo(conn, name, "192.0.2.1") == nil)
  local steps = {
    connect = function() end,
    helo = function() return mt.helo(conn, "client.example") end,
    mail = function() return mt.mailfrom(conn, "<alice@example.com>") end,
    rcpt = function() return mt.rcptto(conn, "<bob@example.org>") end,
    data = function() return mt.data(conn) end,
    header = function() return mt.header(conn, "Subject", "hello") end,
    eoh = function() return mt.eoh(conn) end,
    eom = function() assert(mt.bodystring(conn, "body\r\n") == nil); return mt.eom(conn) end,
  }
  for _, p in ipairs(phases) do
    local err = steps[p]()
    assert(err == nil, p .. ": " .. tostring(err))
    if p == stop then break end
  end
  local r = mt.getreply(conn)
  if stop == "header" then
    -- headers are negotiated without a reply (miltertest then reports
    -- 'c'); the verdict the chain gave at the header is held and comes
    -- at end of header, the next stage that is answered (docs/milter.md)
    local held = r
    assert(mt.eoh(conn) == nil)
    return conn, mt.getreply(conn), held
  end
  return conn, r
end

for _, p in ipairs(phases) do
  for _, v in ipairs(verdicts) do
    if not ((p == "connect" or p == "helo") and v == "discard") then
      local conn, r, held = run(p .. "-" .. v .. ".example", p)
      if p == "header" then
        check("header " .. v .. ": no reply per header (NR_HDR)",
          mt.test_option(conn, SMFIP_NR_HDR) and held == SMFIR_CONTINUE)
        check("header " .. v .. ": held, given at end of header: reply " ..
          string.char(r) .. " want " .. string.char(R[v]), r == R[v])
      else
        check(p .. " " .. v .. ": reply " .. string.char(r) .. " want " .. string.char(R[v]), r == R[v])
      end
      if p == "eom" and v == "reject" then
        check("eom reject: code, enhanced code, text ('%' doubled)",
          mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "eom says no, 100%% sure"))
      elseif p == "eom" and v == "tempfail" then
        check("eom tempfail: reply", mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", "eom says later"))
      end
      mt.disconnect(conn)
    end
  end
end

-- a broken script: the filter error becomes on_error (tempfail by default)
for _, p in ipairs({ "connect", "helo", "mail", "rcpt", "data", "header", "eom" }) do
  local conn, r = run(p .. "-error.example", p)
  check(p .. " script error: tempfail, got " .. string.char(r),
    r == SMFIR_TEMPFAIL or (r == SMFIR_REPLYCODE and p ~= "eom") or
    (p == "eom" and mt.eom_check(conn, MT_SMTPREPLY, "451", "4.3.0",
      "Temporary failure in a mail filter, try again later")))
  mt.disconnect(conn)
end

-- per-recipient reject: one recipient refused, the other goes on
local conn = mt.connect(sock, 40, 0.05)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.conninfo(conn, "plain.example", "192.0.2.2") == nil)
assert(mt.helo(conn, "client.example") == nil)
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<nobody@example.org>") == nil)
check("rcpt nobody: refused with a reply", mt.getreply(conn) == SMFIR_REPLYCODE)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
check("rcpt bob: continues", mt.getreply(conn) == SMFIR_CONTINUE)
assert(mt.header(conn, "Subject", "per rcpt") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "0123456789\r\n") == nil)
assert(mt.eom(conn) == nil)
check("eom: only the accepted recipient is in the transaction",
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0",
    "seen from=alice@example.com rcpts=bob@example.org subject=per rcpt body=12"))
mt.disconnect(conn)

if fails > 0 then error(fails .. " checks failed") end
