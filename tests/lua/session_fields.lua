-- Every session field and method.
-- helo: mail.example.org
-- run1: verdict - continue
-- run1: log session_fields.lua:21: all session fields ok
local pg = require "phasegate"
pg.on("connect", function(s)
  assert(type(s.id) == "string" and s.id ~= "")
  assert(s.client_addr == "192.0.2.10")
  assert(s.client_port == 54321)
  assert(s.client_name == "mail.example.org")
  assert(s.tls == nil and s.auth == nil)
  assert(s.frontend == "check")
  assert(s:macro("j") == "mx.example.net")
  assert(s:macro("{nope}") == nil)
  assert(s.no_such_field == nil)
  assert(tostring(s):find("^session "))
end)
pg.on("helo", function(s, name)
  assert(name == "mail.example.org")
  assert(s.helo == "mail.example.org")
  pg.log.info("all session fields ok")
end)
