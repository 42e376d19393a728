-- tests/scenario/filters/content.lua - what the message content API sees,
-- as headers, so that check, milter and proxy can be compared
local pg = require "phasegate"

pg.on("eom", function(tx)
  local types = {}
  for _, p in ipairs(tx:parts()) do types[#types + 1] = p.type .. "/" .. p.encoding end
  tx:add_header("X-Content-Parts", table.concat(types, " "))
  tx:add_header("X-Content-Subject", tx:subject() or "-")
  tx:add_header("X-Content-From", (tx:from()[1] or {}).name or "-")
  local t = tx:text():gsub("%s+", " ")
  tx:add_header("X-Content-Text", t:sub(1, 60))
  local d = {}
  for _, u in ipairs(tx:urls()) do d[#d + 1] = u.domain .. "@" .. u.part end
  tx:add_header("X-Content-Urls", table.concat(d, " "))
end)
