-- Unknown keys in the filter entry are refused.
-- opt: colour=blue
-- init-error: unknown option 'colour'
local pg = require "phasegate"
