-- tests/milter/mt/negotiate.lua - phasegate asks only for the steps and
-- actions its chain uses. Run with -D mode=all|regex|empty (milter.sh
-- starts phasegate with pg_test_all, the regex plugin, or no filter).
local fails = 0
local function check(what, ok)
  if ok then print("ok - " .. mode .. ": " .. what) else print("not ok - " .. mode .. ": " .. what); fails = fails + 1 end
end
local function opt(f) return mt.test_option(conn, f) end
local function act(f) return mt.test_action(conn, f) end

conn = mt.connect(sock, 40, 0.05)
assert(conn, "cannot connect to " .. sock)
assert(mt.negotiate(conn, nil, nil, nil) == nil)

check("never asks for unknown commands (no such phase)", opt(SMFIP_NOUNKNOWN))
check("connect, helo, mail, rcpt, data always sent (they build the session, carry macros)",
  not opt(SMFIP_NOCONNECT) and not opt(SMFIP_NOHELO) and not opt(SMFIP_NOMAIL)
  and not opt(SMFIP_NORCPT) and not opt(SMFIP_NODATA))
-- SMFIP_RCPT_REJ, SMFIP_MDS_256K, SMFIP_MDS_1M (not all miltertests name them)
check("no version 6 extras the filter does not use", not opt(0x800)
  and not opt(0x10000000) and not opt(0x20000000))
if mode == "all" then
  -- pg_test_all has every callback, reads the body and may change anything
  check("no step negotiated away", not opt(SMFIP_NOHDRS)
    and not opt(SMFIP_NOEOH) and not opt(SMFIP_NOBODY))
  check("replies at every stage but headers and body", not opt(SMFIP_NR_CONN)
    and not opt(SMFIP_NR_HELO) and not opt(SMFIP_NR_MAIL) and not opt(SMFIP_NR_RCPT)
    and not opt(SMFIP_NR_DATA) and not opt(SMFIP_NR_EOH))
  check("headers without a reply (a header verdict is held)", opt(SMFIP_NR_HDR))
  check("body chunks without a reply, so no SKIP", opt(SMFIP_NR_BODY) and not opt(SMFIP_SKIP))
  check("header values unchanged (leading space)", opt(SMFIP_HDR_LEADSPC))
  check("every change action", act(SMFIF_ADDHDRS) and act(SMFIF_CHGHDRS) and act(SMFIF_ADDRCPT)
    and act(SMFIF_DELRCPT) and act(SMFIF_CHGFROM) and act(SMFIF_CHGBODY) and act(SMFIF_QUARANTINE))
  check("macros asked for", act(SMFIF_SETSYMLIST))
elseif mode == "regex" then
  -- the regex plugin: connect helo mail rcpt header eom, no data/eoh
  check("DATA without a reply, no end of header", opt(SMFIP_NR_DATA) and opt(SMFIP_NOEOH))
  check("headers and body come, without replies", not opt(SMFIP_NOHDRS) and not opt(SMFIP_NOBODY)
    and opt(SMFIP_NR_HDR) and opt(SMFIP_NR_BODY))
  check("replies where it decides", not opt(SMFIP_NR_CONN) and not opt(SMFIP_NR_RCPT))
elseif mode == "empty" then
  -- no filter: nothing to ask for beyond the envelope, no reply anywhere
  check("no header, end of header, body", opt(SMFIP_NOHDRS)
    and opt(SMFIP_NOEOH) and opt(SMFIP_NOBODY))
  check("no reply at connect, helo, mail, rcpt, data", opt(SMFIP_NR_CONN) and opt(SMFIP_NR_HELO)
    and opt(SMFIP_NR_MAIL) and opt(SMFIP_NR_RCPT) and opt(SMFIP_NR_DATA))
  check("no change action", not act(SMFIF_ADDHDRS) and not act(SMFIF_CHGHDRS)
    and not act(SMFIF_ADDRCPT) and not act(SMFIF_CHGBODY))
  -- and a whole message still goes through (steps negotiated away are skipped)
  assert(mt.conninfo(conn, "client.example", "192.0.2.4") == nil)
  assert(mt.helo(conn, "client.example") == nil)
  assert(mt.mailfrom(conn, "<alice@example.com>") == nil)
  assert(mt.rcptto(conn, "<bob@example.org>") == nil)
  assert(mt.data(conn) == nil)
  assert(mt.eom(conn) == nil)
  check("eom: continue", mt.getreply(conn) == SMFIR_CONTINUE)
end
mt.disconnect(conn)
if fails > 0 then error(fails .. " checks failed") end
