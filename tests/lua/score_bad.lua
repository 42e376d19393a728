-- Bad scores are filter errors.
-- run1: error eom score_bad.lua:7: tx:score: bad symbol 'TWO WORDS'
local pg = require "phasegate"
pg.on("eom", function(tx)
  local ok, err = pcall(tx.score, tx, 0/0, "NAN")
  assert(not ok and err:find("finite"), err)
  tx:score(1, "TWO WORDS")
end)
