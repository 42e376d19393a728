-- miltertest: open a session and print what the filter answered at connect
local conn = mt.connect("inet:" .. os.getenv("PORT") .. "@127.0.0.1", 50, 0.1)
if conn == nil then error("cannot connect to phasegate") end
local err = mt.conninfo(conn, "client.example", "192.0.2.1")
if err ~= nil then error(err) end
local r = mt.getreply(conn)
local names = { [SMFIR_CONTINUE] = "continue", [SMFIR_REJECT] = "reject",
  [SMFIR_TEMPFAIL] = "tempfail", [SMFIR_REPLYCODE] = "replycode",
  [SMFIR_ACCEPT] = "accept" }
print(names[r] or ("other " .. tostring(r)))
mt.disconnect(conn)
