-- content.lua - every message content function of the Lua API on
-- content.eml (tests/check.sh): a symbol per function that saw what it should
local pg = require "phasegate"

local function ok(tx, cond, sym, why)
  if cond then tx:score(0.1, sym) else pg.log.warn("%s: %s", sym, why or "no") end
end

pg.on("header", function(tx, name, value)
  -- decoded headers work from the header phase on
  if name == "Subject" then
    ok(tx, tx:subject() == "Café news", "LUA_SUBJECT_AT_HEADER", tx:subject())
  end
end)

pg.on("eom", function(tx)
  local parts = tx:parts()
  ok(tx, #parts == 3, "LUA_PARTS", #parts)
  local p1, p2, p3 = parts[1], parts[2], parts[3]
  ok(tx, p1.type == "text/plain" and p1.charset == "utf-8" and p1.encoding == "base64", "LUA_PART_FIELDS")
  ok(tx, p1:text():find("hxxp://bad", 1, true) ~= nil, "LUA_PART_TEXT", p1:text())
  ok(tx, p2.type == "text/html" and p2:text():find("Café special", 1, true) and not p2:text():find("secret"), "LUA_HTML_TEXT", p2:text())
  ok(tx, p2:content():find("<b>sp</b>", 1, true) ~= nil, "LUA_PART_CONTENT")
  ok(tx, p3.filename == "été.zip" and p3.disposition == "attachment", "LUA_FILENAME", p3.filename)
  ok(tx, p3.detected == "application/zip", "LUA_DETECTED", p3.detected)
  ok(tx, p3.size == #p3:content() and p3.size > 100, "LUA_SIZE", p3.size)
  ok(tx, p3:header("Content-ID") == "<zip1>", "LUA_PART_HEADER", p3:header("Content-ID"))
  ok(tx, p1:archive() == nil and p3:text() == nil, "LUA_NOT_ARCHIVE")
  local a = p3:archive()
  ok(tx, a and #a == 2 and a[2].name == "dir/tool.exe" and a[2].size == 102 and a[2].encrypted == false, "LUA_ARCHIVE")
  local text = tx:text()
  ok(tx, text:find("Plain words", 1, true) and text:find("Café special", 1, true), "LUA_TX_TEXT", text)
  ok(tx, tx:header("Subject", 1, "decoded") == "Café news" and tx:header("Subject"):find("=?", 1, true), "LUA_HEADER_DECODED")
  local from = tx:from()
  ok(tx, #from == 2 and from[1].name == "Renée" and from[1].addr == "renee@example.org" and from[2].name == "", "LUA_FROM")
  local urls, bad, shown = tx:urls(), nil, nil
  for _, u in ipairs(urls) do
    if u.host == "bad.example.net" then bad = u end
    if u.text_host then shown = u end
  end
  ok(tx, bad and bad.url == "http://bad.example.net/x" and bad.domain == "example.net" and bad.part == 1 and bad.scheme == "http" and bad.path == "/x", "LUA_URLS")
  ok(tx, shown and shown.host == "evil.example.com" and shown.text_host == "www.paypal.com" and shown.text == "https://www.paypal.com/" and shown.part == 2, "LUA_URL_TEXT_HOST")
  -- links are objects whose fields read like a table's, read-only
  local keys = {}
  for k, v in pairs(bad or {}) do keys[#keys + 1] = k .. "=" .. tostring(v) end
  ok(tx, table.concat(keys, " ") == "url=http://bad.example.net/x scheme=http host=bad.example.net domain=example.net path=/x part=1", "LUA_URL_PAIRS", table.concat(keys, " "))
  ok(tx, bad and tostring(bad) == "http://bad.example.net/x" and bad.nosuchfield == nil and #urls >= 2, "LUA_URL_TOSTRING")
  local okw, werr = pcall(function() bad.host = "x" end)
  ok(tx, bad and not okw and tostring(werr):find("link.host is read-only", 1, true) and bad.host == "bad.example.net", "LUA_URL_READONLY", tostring(werr))
  -- the metatable is hidden, and the pairs() iterator takes links only
  local it = pairs(bad or {})
  ok(tx, getmetatable(bad) == "link" and not pcall(it, p1) and not pcall(it, "x"), "LUA_URL_SEALED")
  KEEP_URL = bad
  ok(tx, tostring(p1) == "part 1 (text/plain)", "LUA_PART_TOSTRING", tostring(p1))
  ok(tx, not pcall(function() p1.type = "x" end), "LUA_PART_READONLY")
  KEEP = p1
end)

pg.on("close", function(s)
  -- a part kept past its call is refused
  local okk, err = pcall(function() return KEEP.type end)
  if not okk and tostring(err):find("finished part") then pg.log.info("LUA_PART_STALE ok") end
  okk, err = pcall(function() return KEEP_URL.host end)
  if not okk and tostring(err):find("finished link") then pg.log.info("LUA_URL_STALE ok") end
end)
