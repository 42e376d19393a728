-- tests/milter/filters/hold.lua - a script with a header callback but no
-- end-of-header one (mt/hold.lua): end of header is negotiated away, so a
-- verdict given at a header is held until end of message.
local pg = require "phasegate"

pg.on("header", function(tx, name, value)
  if name == "Subject" and value:find("reject") then
    return pg.reject("550 5.7.1 held from the header")
  elseif name == "Subject" and value:find("later") then
    return pg.tempfail("451 4.7.1 held from the header, later")
  end
end)
pg.on("eom", function(tx)
  return pg.tempfail(string.format("451 4.7.0 eom ran subject=%s body=%d",
    tx:header("Subject") or "-", #(tx:body() or "")))
end)
