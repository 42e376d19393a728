-- tests/milter/mt/abort.lua - abort mid-message, then a second message on
-- the same connection: the transaction is gone, the session stays.
-- phasegate runs filters/verdicts.lua, whose eom reply reports what the
-- chain saw of the message.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.conninfo(conn, "plain.example", "192.0.2.5") == nil)
assert(mt.helo(conn, "client.example") == nil)

-- first message: aborted in the body
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
assert(mt.header(conn, "Subject", " first") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "first body, longer than the second\r\n") == nil)
assert(mt.abort(conn) == nil)

-- second: aborted right after RCPT
assert(mt.mailfrom(conn, "<mallory@example.com>") == nil)
assert(mt.rcptto(conn, "<eve@example.org>") == nil)
assert(mt.abort(conn) == nil)

-- third: goes to the end, and sees nothing of the others
assert(mt.mailfrom(conn, "<carol@example.com>") == nil)
assert(mt.rcptto(conn, "<dave@example.org>") == nil)
assert(mt.header(conn, "Subject", " second") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "bb\r\n") == nil)
assert(mt.eom(conn) == nil)
check("the message after two aborts is fresh",
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0",
    "seen from=carol@example.com rcpts=dave@example.org subject=second body=4"))

-- and a fourth after a completed one
assert(mt.mailfrom(conn, "<>") == nil)
assert(mt.rcptto(conn, "<postmaster@example.org>") == nil)
assert(mt.header(conn, "Subject", " bounce") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "b\r\n") == nil)
assert(mt.eom(conn) == nil)
check("null sender, next message on the connection",
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0",
    "seen from= rcpts=postmaster@example.org subject=bounce body=3"))
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
