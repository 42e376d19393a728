-- tests/milter/filters/macros.lua - report what the session and the
-- transaction learnt from milter macros, in the end-of-message reply
-- (checked by mt/macros.lua).
local pg = require "phasegate"

pg.on("eom", function(tx)
  local s = tx.session
  local function v(x) return x == nil and "nil" or tostring(x) end
  return pg.tempfail(string.format(
    "451 4.7.0 j=%s daemon=%s addr=%s auth=%s tls=%s id=%s rcpt_addr=%s front=%s client=%s name=%s ptr=%s helo=%s",
    v(s:macro("j")), v(s:macro("{daemon_name}")), v(s:macro("client_addr")),
    v(s.auth), v(s.tls), v(tx.id), v(s:macro("rcpt_addr")), v(s.frontend),
    v(s.client_addr), v(s.client_name), v(s.client_ptr), v(s.helo)))
end)
