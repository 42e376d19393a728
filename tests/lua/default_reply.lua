-- pg.reject() and pg.tempfail() without a reply give the host's default.
-- run1: verdict connect reject
local pg = require "phasegate"
local t = pg.tempfail()
assert(tostring(t) == "pg.tempfail()")
assert(tostring(pg.reject("550-5.7.1 first\n550 5.7.1 second")) == "pg.reject(550-5.7.1 first\n550 5.7.1 second)")
pg.on("connect", function(s) return pg.reject() end)
