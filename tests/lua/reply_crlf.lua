-- CR/LF smuggling a command into a reply is a filter error.
-- run1: error eom reply_crlf.lua:5: pg.reject: CR inside a reply line
local pg = require "phasegate"
pg.on("eom", function(tx)
  return pg.reject("550 5.7.1 no\r\nRCPT TO:<victim@example.net>")
end)
