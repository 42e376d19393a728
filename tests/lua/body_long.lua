-- tx:body() of a body longer than one read of the host (the test host
-- returns at most 3000 bytes a call, as a spool split between its file and
-- its tail buffer may): whole, cut by a maximum, and cut at zero.
-- message: body_long.eml
-- run1: verdict - continue
-- run1: log body_long.lua:18: long body ok
local pg = require "phasegate"
pg.on("eom", function(tx)
  local body = tx:body()
  assert(#body == tx.body_size and #body == 200 * 62, #body)
  assert(body:sub(1, 9) == "line 0001")
  assert(body:sub(-62) == "line 0200 of the long body, padded to a fair length xxxxxxxx\r\n",
    body:sub(-62))
  assert(select(2, body:gsub("\r\n", "")) == 200)
  assert(tx:body(7000) == body:sub(1, 7000))
  assert(tx:body(0) == "")
  assert(tx:body(1e9) == body)
  pg.log.info("long body ok")
end)
