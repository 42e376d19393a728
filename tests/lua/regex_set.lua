-- pg.regex_set: a list and named entries, the order of the results, the
-- kinds of entries, a long subject (the set's one scan) and a short one,
-- init, and the errors.
-- message: body_long.eml
-- run1: verdict - continue
-- run1: log regex_set.lua:44: regex sets ok
local pg = require "phasegate"
local list = pg.regex_set({ [[line 0150]], { [[LINE 0007 ]], "i" }, [[line 9999]],
  pg.regex([[padded to a fair length x{8}\r$]], "m") })
local named = pg.regex_set({
  ZULU = [[\bline 0200\b]],
  ALPHA = { [[^line 0001]], "m" },
  MIKE = [[\bviagra\b]],
})
assert(tostring(list) == "pg.regex_set(4 patterns)")
local function same(t, want)
  if #t ~= #want then return false end
  for i = 1, #t do if t[i] ~= want[i] then return false end end
  return true
end
pg.on("eom", function(tx)
  local body = tx:body()
  assert(#body > 4096)
  local r = list:match(body)
  assert(same(r, { 1, 2, 4 }), table.concat(r, ","))
  r = named:match(body)
  assert(same(r, { "ALPHA", "ZULU" }), table.concat(r, ","))
  -- from an offset past line 7: "LINE 0007 " no longer matches
  r = list:match(body, 62 * 10)
  assert(same(r, { 1, 4 }), table.concat(r, ","))
  -- short subjects take the same way as re:test
  r = named:match("line 0001 and line 0200 but no viagra")
  assert(same(r, { "ALPHA", "MIKE", "ZULU" }), table.concat(r, ","))
  assert(#list:match("") == 0 and #list:match(body, #body + 2) == 0)
  assert(#pg.regex_set({}):match(body) == 0)
  local ok, err = pcall(pg.regex_set, { [[a(]] })
  assert(not ok and err:find("pg.regex: missing closing parenthesis"), err)
  ok, err = pcall(pg.regex_set, { 42 })
  assert(not ok and err:find("entry 1: a pattern"), err)
  ok, err = pcall(pg.regex_set, { [true] = "x" })
  assert(not ok and err:find("key true: entries are a list"), err)
  ok, err = pcall(pg.regex_set, "x")
  assert(not ok and err:find("table expected"), err)
  pg.log.info("regex sets ok")
end)
