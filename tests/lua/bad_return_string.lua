-- A reply string instead of pg.reject(...) is a filter error.
-- run1: error mail bad_return_string.lua:4: the mail handler returned string
local pg = require "phasegate"
pg.on("mail", function(tx, rcpt)
  return "550 no such user"
end)
