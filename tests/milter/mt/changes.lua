-- tests/milter/mt/changes.lua - every kind of change the chain records is
-- replayed at end of message as milter reply packets (checked with miltertest's
-- modification queries). phasegate runs pg_test_all with every change
-- option and a score over actions.add_header (see milter.sh).
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
for _, a in ipairs({ SMFIF_ADDHDRS, SMFIF_CHGHDRS, SMFIF_ADDRCPT, SMFIF_DELRCPT,
    SMFIF_CHGFROM, SMFIF_CHGBODY, SMFIF_QUARANTINE }) do
  check("action " .. a .. " negotiated", mt.test_action(conn, a))
end
check("header values with their leading space", mt.test_option(conn, SMFIP_HDR_LEADSPC))
assert(mt.conninfo(conn, "client.example", "192.0.2.3") == nil)
assert(mt.helo(conn, "client.example") == nil)
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
assert(mt.rcptto(conn, "<dave@example.org>") == nil)
assert(mt.data(conn) == nil)
assert(mt.header(conn, "Subject", " original") == nil)
assert(mt.header(conn, "X-Remove", " me") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "old body\r\n") == nil)
assert(mt.eom(conn) == nil)
check("eom: continue", mt.getreply(conn) == SMFIR_CONTINUE)
check("header added", mt.eom_check(conn, MT_HDRADD, "X-Added", " added"))
check("header inserted at the top", mt.eom_check(conn, MT_HDRINSERT, "X-Top", " top", 0))
check("header changed", mt.eom_check(conn, MT_HDRCHANGE, "Subject", " changed"))
check("header deleted", mt.eom_check(conn, MT_HDRDELETE, "X-Remove"))
check("recipient added", mt.eom_check(conn, MT_RCPTADD, "<carol@example.net>"))
check("recipient deleted", mt.eom_check(conn, MT_RCPTDELETE, "<bob@example.org>"))
check("body replaced", mt.eom_check(conn, MT_BODYCHANGE, "new body\r\n"))
check("quarantined", mt.eom_check(conn, MT_QUARANTINE, "held for review"))
check("score over add_header: X-Spam-Flag", mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", " YES"))
local st = mt.getheader(conn, "X-Spam-Status", 0) or mt.getheader(conn, "X-Spam-Status", 1)
check("X-Spam-Status with the symbol: " .. tostring(st),
  st ~= nil and st:find("Yes, score=6") ~= nil and st:find("TEST_SCORE") ~= nil)

-- a second message on the same connection is a fresh transaction
assert(mt.mailfrom(conn, "<erin@example.com>") == nil)
assert(mt.rcptto(conn, "<dave@example.org>") == nil)
assert(mt.header(conn, "Subject", " second") == nil)
assert(mt.eoh(conn) == nil)
assert(mt.bodystring(conn, "second\r\n") == nil)
assert(mt.eom(conn) == nil)
check("second message: changes again", mt.eom_check(conn, MT_HDRADD, "X-Added", " added"))
mt.disconnect(conn)

if fails > 0 then error(fails .. " checks failed") end
