-- A bad pattern at load time is a configtest error with file, line and offset.
-- init-error: regex_bad.lua:4: pg.regex: missing closing parenthesis at offset 7
local pg = require "phasegate"
local bad = pg.regex("(viagra")
