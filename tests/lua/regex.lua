-- pg.regex: match, find, gmatch, flags, caching, errors.
-- run1: verdict - continue
-- run1: symbols DRUGS(3.0)
local pg = require "phasegate"
local drugs = pg.regex([[\b(viagra|cialis)\b]], "i")
local kv = pg.regex([[(\w+)=(\w+)]])
assert(rawequal(drugs, pg.regex([[\b(viagra|cialis)\b]], "i")), "cached")
assert(not rawequal(drugs, pg.regex([[\b(viagra|cialis)\b]])))
assert(tostring(kv) == [[pg.regex((\w+)=(\w+), "")]])

assert(drugs:match("Buy VIAGRA now") == "VIAGRA")
assert(drugs:match("nothing here") == nil)
local k, v = kv:match("a=1 b=2")
assert(k == "a" and v == "1")
assert(pg.regex("b+"):match("abbbc") == "bbb")
local s, e = pg.regex("b+"):find("abbbc")
assert(s == 2 and e == 4)
local s2, e2, c1 = kv:find("  x=y")
assert(s2 == 3 and e2 == 5 and c1 == "x")
assert(pg.regex("b"):find("abc", 3) == nil)
assert(pg.regex("c"):find("abc", -1) == 3)
local got = {}
for a, b in kv:gmatch("a=1, b=2, c=3") do got[#got + 1] = a .. b end
assert(table.concat(got, ",") == "a1,b2,c3")
local n = 0
for m in pg.regex("x*"):gmatch("axb") do n = n + 1 end
assert(n == 3, "empty matches advance: " .. n)
assert(pg.regex("^b", "m"):match("a\nb") == "b")
assert(pg.regex("a.b", "s"):match("a\nb") == "a\nb")
assert(pg.regex("a b # comment", "x"):match("ab") == "ab")
assert(pg.regex("é", "u"):match("café") == "é")
local ok, err = pcall(function() return pg.regex("(") end)
assert(not ok and err:find("regex.lua:%d+: pg.regex: .*at offset 1"), err)
ok, err = pcall(pg.regex, "a", "q")
assert(not ok and err:find("unknown flag"), err)
pg.on("eom", function(tx)
  if drugs:match(tx:body() .. " cialis") then tx:score(3, "DRUGS") end
end)
-- a group that did not take part is false, so the match is still truthy
local a, b = pg.regex([[(x)|(dsl)]]):match("dsl-1")
assert(a == false and b == "dsl")
assert(pg.regex([[(x)|(dsl)]]):test("dsl-1") == true)
assert(pg.regex("q"):test("dsl") == false)
assert(pg.regex("l"):test("dsl", 4) == false and pg.regex("l"):test("dsl", 3) == true)
