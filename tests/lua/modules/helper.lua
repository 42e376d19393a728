-- A module for require.lua (found through the configured path).
local M = {}
function M.double(x) return 2 * x end
return M
