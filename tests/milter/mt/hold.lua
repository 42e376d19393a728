-- tests/milter/mt/hold.lua - a verdict given at a header is held: headers
-- get no reply (NR_HDR), and with end of header negotiated away the
-- verdict comes at end of message, before any end-of-message filter runs.
-- phasegate runs filters/hold.lua. Fails if the deferral breaks: a reply
-- per header, a verdict lost, or end of message running anyway.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local function message(conn, subject, body)
  assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
  assert(mt.rcptto(conn, "<bob@example.org>") == nil)
  assert(mt.data(conn) == nil)
  assert(mt.header(conn, "Subject", subject) == nil)
  local h1 = mt.getreply(conn)
  assert(mt.header(conn, "X-After", " more") == nil)
  local h2 = mt.getreply(conn)
  assert(mt.bodystring(conn, body) == nil)
  assert(mt.eom(conn) == nil)
  return h1, h2, mt.getreply(conn)
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
check("headers without a reply, end of header negotiated away",
  mt.test_option(conn, SMFIP_NR_HDR) and mt.test_option(conn, SMFIP_NOEOH))
assert(mt.conninfo(conn, "client.example", "192.0.2.7") == nil)
assert(mt.helo(conn, "client.example") == nil)

local h1, h2, r = message(conn, " please reject", "x\r\n")
check("reject at a header: nothing at the headers", h1 == SMFIR_CONTINUE and h2 == SMFIR_CONTINUE)
check("reject at a header: given at end of message", r == SMFIR_REPLYCODE and
  mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1", "held from the header"))

-- the held verdict belongs to that message only
h1, h2, r = message(conn, " fine", "abc\r\n")
check("next message: end of message runs and saw the whole message", r == SMFIR_REPLYCODE and
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0", "eom ran subject=fine body=5"))

h1, h2, r = message(conn, " later please", "x\r\n")
check("tempfail at a header: given at end of message", r == SMFIR_REPLYCODE and
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", "held from the header, later"))

-- held, then aborted: the next message starts clean
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
assert(mt.header(conn, "Subject", " reject this") == nil)
assert(mt.abort(conn) == nil)
h1, h2, r = message(conn, " after abort", "yz\r\n")
check("held verdict dropped with the aborted message", r == SMFIR_REPLYCODE and
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0", "eom ran subject=after abort body=4"))
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
