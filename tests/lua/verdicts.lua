-- Every verdict function, and the phases a handler sees.
-- rcpt: bob@example.net
-- rcpt: nobody@example.net
-- run1: verdict eom reject 550 5.7.1 go away
-- run1: changes rcpt_refused nobody@example.net 550 5.1.1 <nobody@example.net>: no such user
local pg = require "phasegate"

pg.on("rcpt", function(tx, rcpt)
  if rcpt:find("^nobody@") then
    return pg.reject("550 5.1.1 <" .. rcpt .. ">: no such user")
  end
end)
pg.on("eom", function(tx)
  return pg.reject("550 5.7.1 go away")
end)
