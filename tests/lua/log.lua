-- pg.log.* and print() log with the script and line.
-- run1: verdict - continue
-- run1: log [info] S
-- run1: log log.lua:11: info 42 text
-- run1: log [warn]
-- run1: log [err]
-- run1: log log.lua:15: from print	1
-- run1: log control \x0d\x0a escaped
local pg = require "phasegate"
pg.on("connect", function(s)
  pg.log.info("info %d %s", 42, "text")
  pg.log.warn("warn")
  pg.log.err("err")
  pg.log.debug("debug %q", "x")
  print("from print", 1)
  pg.log.info("control \r\n escaped")
end)
