-- tests/milter/mt/macros.lua - macros the MTA sends reach scripts:
-- session:macro(name), and the session fields auth (from {auth_authen}),
-- tls (from {tls_version}), client_ptr (from {client_ptr}: the MTA's
-- unverified PTR name) and the queue id (from {i}). phasegate runs
-- filters/macros.lua.
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. what) else print("not ok - " .. what); fails = fails + 1 end
end

local conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)
assert(mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.org", "{daemon_name}", "smtpd",
  "{client_addr}", "192.0.2.9", "{client_ptr}", "liar.example") == nil)
assert(mt.conninfo(conn, "[192.0.2.9]", "192.0.2.9") == nil)
assert(mt.macro(conn, SMFIC_HELO, "{tls_version}", "TLSv1.3") == nil)
assert(mt.helo(conn, "client.example") == nil)
assert(mt.macro(conn, SMFIC_MAIL, "{auth_authen}", "alice", "i", "4ABC123") == nil)
assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
assert(mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "bob@example.org") == nil)
assert(mt.rcptto(conn, "<bob@example.org>") == nil)
assert(mt.header(conn, "Subject", " macros") == nil)
-- the script reads no end of header: it is negotiated away
check("no end of header asked for", mt.test_option(conn, SMFIP_NOEOH))
assert(mt.bodystring(conn, "x\r\n") == nil)
assert(mt.eom(conn) == nil)
local want = "j=mx.example.org daemon=smtpd addr=192.0.2.9 auth=alice tls=TLSv1.3 " ..
  "id=4ABC123 rcpt_addr=bob@example.org front=milter client=192.0.2.9 name=unknown ptr=liar.example helo=client.example"
check("macros reach the script: " .. want, mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.0", want))
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
