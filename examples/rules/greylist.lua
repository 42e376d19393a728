--[[
  greylist.lua - greylisting in pg.store

  A new triplet (client network, sender, recipient) is answered 451 with a
  hint of when to retry; a retry after `delay` seconds (and within
  `window`) passes, and the triplet is then remembered for `pass_ttl`.
  A client network with `auto_allow` passed triplets is allowed outright
  for `allow_ttl` (a real MTA that retries is not delayed again).

  The client network is the /24 of an IPv4 address and the /64 of an IPv6
  address, so that a sender whose retries leave from another host of the
  same farm still matches.

  In-process, the state lives in this process; with store = { redis = ... }
  in the configuration every host of a fleet sees the same triplets, so a
  retry that lands on another MX passes too (docs/fleet.md). Times are
  os.time(): keep the hosts' clocks in sync (NTP).

  Settings: edit them below, or put a module greylist_settings.lua in
  lua.path that returns a table of the ones to change.
]]

local pg = require "phasegate"

local settings = {
  delay = 300,                  -- seconds a new triplet waits
  window = 4 * 3600,            -- a retry must come within this
  pass_ttl = 36 * 24 * 3600,    -- a passed triplet is remembered so long
  auto_allow = 5,               -- passed triplets that allow a network
  allow_ttl = 36 * 24 * 3600,
  prefix = "gl:",               -- store keys
}
local ok, site = pcall(require, "greylist_settings")
if ok and type(site) == "table" then
  for k, v in pairs(site) do settings[k] = v end
end

-- expand6 - the first four groups of an IPv6 address, zero-padded
local function expand6(a)
  local head, tail = a:match("^(.-)::(.*)$")
  local groups = {}
  if head then
    local h, t = {}, {}
    for g in head:gmatch("[^:]+") do h[#h + 1] = g end
    for g in tail:gmatch("[^:]+") do t[#t + 1] = g end
    for _, g in ipairs(h) do groups[#groups + 1] = g end
    for _ = 1, 8 - #h - #t do groups[#groups + 1] = "0" end
    for _, g in ipairs(t) do groups[#groups + 1] = g end
  else
    for g in a:gmatch("[^:]+") do groups[#groups + 1] = g end
  end
  for i = 1, 4 do groups[i] = string.format("%04x", tonumber(groups[i] or "0", 16) or 0) end
  return table.concat(groups, ":", 1, 4)
end

-- network - the client's /24 or /64 ("" when unknown)
local function network(addr)
  if not addr then return "" end
  local v4 = addr:match("^(%d+%.%d+%.%d+)%.%d+$") or addr:match("^::ffff:(%d+%.%d+%.%d+)%.%d+$")
  if v4 then return v4 .. ".0/24" end
  if addr:find(":") then return expand6(addr:lower()) .. "::/64" end
  return addr
end

pg.on("rcpt", function(tx, rcpt)
  local s = tx.session
  if s.auth then return end                  -- our own users are not greylisted
  local net = network(s.client_addr)
  local p = settings.prefix
  if pg.store.get(p .. "allow:" .. net) then return end
  local key = p .. net .. "|" .. (tx.sender or ""):lower() .. "|" .. rcpt:lower()
  local now = os.time()
  local seen = pg.store.get(key)
  if seen == "pass" then return end
  if type(seen) ~= "number" then
    pg.store.set(key, now, settings.window)
    return pg.tempfail(string.format(
      "451 4.7.1 Greylisted, please try again in %d seconds", settings.delay))
  end
  local wait = seen + settings.delay - now
  if wait > 0 then
    return pg.tempfail(string.format(
      "451 4.7.1 Greylisted, please try again in %d seconds", wait))
  end
  pg.store.set(key, "pass", settings.pass_ttl)
  if pg.store.incr(p .. "passes:" .. net, 1, settings.allow_ttl) >= settings.auto_allow then
    pg.store.set(p .. "allow:" .. net, 1, settings.allow_ttl)
    pg.log.info("greylist: %s allowed after %d passed triplets", net, settings.auto_allow)
  end
end)
