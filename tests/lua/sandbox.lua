-- The sandbox: no io, os.execute, debug, dofile, loadfile, binary chunks.
-- run1: verdict - continue
local pg = require "phasegate"
assert(io == nil and debug == nil and package == nil)
assert(dofile == nil and loadfile == nil and collectgarbage == nil)
assert(os.execute == nil and os.getenv == nil and os.remove == nil and os.exit == nil)
assert(type(os.time()) == "number" and type(os.clock()) == "number")
assert(os.date("!%Y-%m-%d", 0) == "1970-01-01")
assert(string.dump == nil)
assert(type(string.rep) == "function" and type(table.concat) == "function")
assert(type(math.floor) == "function" and type(utf8.char) == "function")
assert(type(coroutine.wrap) == "function")
local f, err = load("\27Lua\84\0")
assert(f == nil and err:find("binary"), err)
f = load("return 1 + 1")
assert(f() == 2)
local ok, e = pcall(require, "io")
assert(not ok and e:find("not found"), e)
ok, e = pcall(require, "../etc/passwd")
assert(not ok and e:find("invalid module name"), e)
assert(require("phasegate") == pg)
-- coroutines work, and yield across a wrapped pcall
local co = coroutine.wrap(function()
  local ok2, v = pcall(function() return coroutine.yield(1) + 1 end)
  return v
end)
assert(co() == 1 and co(41) == 42)
