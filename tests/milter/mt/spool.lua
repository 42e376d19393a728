-- tests/milter/mt/spool.lua - the milter takes the spool limits from the
-- configuration as every front end does: with spool.memory_max = 0 every
-- body byte goes to a file, here under a directory that is not there, so
-- the body cannot be kept and the message is deferred at end of message
-- with the default tempfail reply, before any end-of-message filter runs.
-- phasegate runs filters/hold.lua (whose eom handler would answer
-- "451 4.7.0 eom ran ..." had the body been kept in memory).
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.conninfo(conn, "client.example", "192.0.2.7") == nil)
assert(mt.helo(conn, "client.example") == nil)
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
assert(mt.data(conn) == nil)
assert(mt.header(conn, "Subject", " fine") == nil)
assert(mt.bodystring(conn, "a body that needs the spool\r\n") == nil)
assert(mt.eom(conn) == nil)
check("no spool for the body: deferred with the default reply",
  mt.getreply(conn) == SMFIR_REPLYCODE and
  mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", "Try again later"))
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
