-- require() of a text module from the configured directories.
-- opt: path=/nonexistent;$SRCDIR/tests/lua/modules
-- run1: verdict - continue
local pg = require "phasegate"
local h = require "helper"
assert(h.double(21) == 42)
assert(require "helper" == h, "modules are loaded once")
local ok, err = pcall(require, "nothere")
assert(not ok and err:find("module 'nothere' not found"), err)
