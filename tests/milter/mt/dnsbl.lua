-- tests/milter/mt/dnsbl.lua - the dnsbl plugin through the milter protocol.
-- Run: miltertest -D sock=inet:PORT@127.0.0.1 -s dnsbl.lua
-- phasegate runs the dnsbl plugin with tests/data/dnsbl/test.zones.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local function connect(addr)
  local conn = mt.connect(sock, 40, 0.05)
  assert(conn, "cannot connect to " .. sock)
  assert(mt.negotiate(conn, nil, nil, nil) == nil)
  assert(mt.conninfo(conn, "client.example", addr) == nil)
  return conn
end

-- 192.0.2.100: bl.test answers 127.0.0.3, a REJECT rule
local conn = connect("192.0.2.100")
check("listed client: refused at connect", mt.getreply(conn) == SMFIR_REPLYCODE)
mt.disconnect(conn)

-- 192.0.2.99: 127.0.0.2, a SCORE rule (4.5 >= add_header 4)
conn = connect("192.0.2.99")
check("scored client: continue at connect", mt.getreply(conn) == SMFIR_CONTINUE)
-- the steps no filter uses are negotiated away: send only the others
local function step(option, fn, ...)
  if not mt.test_option(conn, option) then assert(fn(conn, ...) == nil) end
end
step(SMFIP_NOHELO, mt.helo, "client.example")
step(SMFIP_NOMAIL, mt.mailfrom, "<alice@example.com>")
step(SMFIP_NORCPT, mt.rcptto, "<bob@example.org>")
step(SMFIP_NOHDRS, mt.header, "Subject", "hello")
step(SMFIP_NOEOH, mt.eoh)
step(SMFIP_NOBODY, mt.bodystring, "body\r\n")
assert(mt.eom(conn) == nil)
check("scored client: accepted at end of message", mt.getreply(conn) == SMFIR_CONTINUE)
check("scored client: flagged", mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", " YES"))
local st = mt.getheader(conn, "X-Spam-Status", 0) or mt.getheader(conn, "X-Spam-Status", 1)
check("scored client: the symbol in X-Spam-Status: " .. tostring(st),
  st ~= nil and st:find("tests=RBL_BL", 1, true) ~= nil)
mt.disconnect(conn)

-- 192.0.2.1: listed nowhere
conn = connect("192.0.2.1")
check("clean client: continue", mt.getreply(conn) == SMFIR_CONTINUE)
mt.disconnect(conn)

if fails > 0 then error(fails .. " checks failed") end
