-- tests/milter/mt/msglog.lua - four messages on one connection, each with
-- its queue id (macro i: Q1ACCEPT, Q2REJECT, Q3TEMPFAIL, Q4DISCARD) and a
-- Subject that makes phasegate's filters/msglog.lua accept, reject,
-- tempfail or discard it; then one accepted at RCPT (Q5EARLY), of which
-- the MTA sends no more, and another (Q6ACCEPT); tests/milter/msglog.sh reads the summary lines.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.conninfo(conn, "client.example", "192.0.2.9") == nil)
assert(mt.helo(conn, "helo.example") == nil)

local function message(qid, subject, want)
  assert(mt.macro(conn, SMFIC_MAIL, "i", qid) == nil)
  assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
  assert(mt.rcptto(conn, "<bob@example.org>") == nil)
  assert(mt.rcptto(conn, "<carol@example.org>") == nil)
  assert(mt.header(conn, "Subject", " " .. subject) == nil)
  assert(mt.bodystring(conn, "body\r\n") == nil)
  assert(mt.eom(conn) == nil)
  check(subject .. ": the MTA is told " .. want, mt.getreply(conn) == want)
end

message("Q1ACCEPT", "accept", SMFIR_ACCEPT)
message("Q2REJECT", "reject", SMFIR_REPLYCODE)
message("Q3TEMPFAIL", "tempfail", SMFIR_REPLYCODE)
message("Q4DISCARD", "discard", SMFIR_DISCARD)
-- accepted at RCPT: the MTA sends no more of it; then another message
assert(mt.macro(conn, SMFIC_MAIL, "i", "Q5EARLY") == nil)
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<early@example.org>") == nil)
check("accept at RCPT: the MTA is told accept", mt.getreply(conn) == SMFIR_ACCEPT)
message("Q6ACCEPT", "accept", SMFIR_ACCEPT)
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
