-- Reply lines (docs/verdicts.md): the first starts with its code; a later
-- line may repeat it or leave it out; a different code is an error.
-- run1: error eom reply lines with different codes
local pg = require "phasegate"
assert(pcall(pg.reject, "550 5.7.1 no\nsecond line without a code"))
assert(pcall(pg.reject, "550-5.7.1 no\n550 5.7.1 second"))
assert(pcall(pg.tempfail, "451 4.7.1 later\n2 items waiting"))
local ok, err = pcall(pg.reject, "no code at all\n550 x")
assert(not ok and err:find("does not start with a reply code"), err)
ok, err = pcall(pg.reject, "451 4.7.1 wrong class")
assert(not ok and err:find("needs a 5xx reply"), err)
pg.on("eom", function(tx)
  return pg.reject("550 5.7.1 no\n554 5.7.1 MAIL FROM:<x@example.net>")
end)
