-- A LF must start a new reply line with its code.
-- run1: error eom does not start with a reply code (a LF must start a new line with its code)
local pg = require "phasegate"
pg.on("eom", function(tx)
  return pg.reject("550 5.7.1 no\nMAIL FROM:<x@example.net>")
end)
