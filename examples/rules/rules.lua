--[[
  rules.lua - a starting rule set for phasegate

  Every rule scores a named symbol with tx:score(); the chain adds the
  points up at end of data and holds the total against `actions` in the
  configuration (see examples/phasegate.conf). A few rules give a verdict
  at once: refused recipients (RCPT) and the per-client rate limit (MAIL).

  Edit the settings below for your site. Scores are a starting point:
  watch `phasegate check` on your own mail and tune them.

  Rules (symbol: score)
    connection, HELO and envelope
      RDNS_NONE             1.0  client without reverse DNS
      HELO_BARE_IP          2.0  HELO is an IP address without [brackets]
      HELO_LOCALHOST        3.0  HELO "localhost" (or our own name) from outside
      HELO_NOT_FQDN         1.5  HELO without a dot
      HELO_DYNAMIC          1.5  HELO looks like a dynamic pool name
      SENDER_LOCAL_FORGED   4.0  MAIL FROM one of our domains from outside
      BOUNCE_MANY_RCPT      3.0  null sender to several recipients
      RCPT_REFUSED          -    RCPT to a refused address: 550 at once
      RATE_HIGH             2.0  more than rate.score messages a minute from the client
      RATE_LIMIT            -    more than rate.tempfail a minute: 451 at MAIL
    header
      MISSING_FROM          3.0  no From:
      MISSING_DATE          1.5  no Date:
      MISSING_MESSAGE_ID    1.5  no Message-ID:
      DATE_MALFORMED        1.0  Date: not in RFC 5322 form
      MSGID_MALFORMED       1.0  Message-ID: not <left@right>
      SUBJECT_ALL_CAPS      2.0  subject shouting in capitals
      SUBJECT_EXCESS_PUNCT  1.0  "!!!", "$$$", "???" in the subject
      SUBJECT_DRUGS         3.0  pharmacy spam words in the (decoded) subject
      FROM_NAME_OTHER_ADDR  3.0  From display name holds another address
      FROM_BRAND_FORGED     3.5  display name names a brand the domain is not
      REPLY_TO_FREEMAIL     2.0  Reply-To at a freemail domain unlike From
      TO_UNDISCLOSED        1.0  To: undisclosed-recipients
      HTML_ONLY             1.0  the only part is text/html
      MAILING_LIST         -1.0  a List-Id: (mailing lists are rarely spam)
    body: the decoded text of every text part (tx:text(): base64,
    quoted-printable, charsets, RFC 2047 and HTML undone) and its links
    (tx:urls()); header rules read decoded values (tx:from(), tx:subject())
      GTUBE              1000.0  the GTUBE test string
      BODY_DRUGS            4.0  pharmacy spam words
      BODY_PHISH            4.0  "verify your account" and friends
      BODY_ADVANCE_FEE      3.0  419 / inheritance scam words
      BODY_LOTTERY          3.0  "you have won", "claim your prize"
      BODY_URGENT           1.0  "act now", "within 24 hours"
      URL_SHORTENER         2.0  links through URL shorteners
      URL_IP_HOST           3.0  links to a bare IP address
      LINK_TEXT_MISMATCH    3.0  an HTML link whose text shows another site
      BODY_CRYPTO_PAYMENT   2.5  "send bitcoin to this wallet"
]]

local pg = require "phasegate"

-- Site settings -------------------------------------------------------------

local settings = {
  -- our own domains: mail "from" them must come from our networks
  local_domains = { ["example.net"] = true, ["mail.example.net"] = true },
  -- our own host names, which no outside client should claim at HELO
  own_names = { ["mx.example.net"] = true, ["example.net"] = true },
  -- client address prefixes that are ours (no forged-sender check)
  internal_prefixes = { "10.", "192.168.", "127." },
  -- recipients refused at RCPT time, with the text they get
  refused = {
    ["former.employee@example.net"] = "550 5.1.1 <%s>: this person has left; write to office@example.net",
    ["noreply@example.net"] = "550 5.1.1 <%s>: this address does not accept mail",
  },
  -- per-client rate limit, in messages per minute within this process
  rate = { window = 60, score = 20, tempfail = 50 },
  -- brands whose names phishers put in the display name
  brands = {
    paypal = { "paypal.com" }, apple = { "apple.com", "icloud.com" },
    microsoft = { "microsoft.com", "office.com", "outlook.com" },
    amazon = { "amazon.com", "amazon.de", "amazon.co.uk" },
    netflix = { "netflix.com" }, dhl = { "dhl.com", "dhl.de" },
  },
  freemail = { ["gmail.com"] = true, ["yahoo.com"] = true, ["outlook.com"] = true,
               ["hotmail.com"] = true, ["mail.ru"] = true, ["gmx.com"] = true,
               ["aol.com"] = true, ["yandex.ru"] = true },
  shorteners = { ["bit.ly"] = true, ["tinyurl.com"] = true, ["goo.gl"] = true,
                 ["t.co"] = true, ["ow.ly"] = true, ["is.gd"] = true, ["buff.ly"] = true,
                 ["cutt.ly"] = true, ["rb.gy"] = true, ["shorturl.at"] = true },
}

-- Patterns, compiled once ---------------------------------------------------

local re = {
  ip_literal  = pg.regex([[^\d{1,3}(\.\d{1,3}){3}$]]),
  dynamic     = pg.regex([[(\d{1,3}[-.]){3}\d{1,3}|\b(dsl|dynamic|dyn|pool|dhcp|cable|ppp|client)\b]], "i"),
  date        = pg.regex([[^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),\s*)?\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\s+\d{4}\s+\d{2}:\d{2}(?::\d{2})?\s+(?:[+-]\d{4}|UT|GMT|[A-Z]{3})\b]]),
  msgid       = pg.regex([[^<[^<>@\s]+@[^<>@\s]+>$]]),
  punct       = pg.regex([[!!!|\$\$\$|\?\?\?]]),
  addr_in_name = pg.regex([[([A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+))]]),
  from_parts  = pg.regex([[^\s*"?([^"<]*?)"?\s*<([^<>]+)>\s*$]]),
  undisclosed = pg.regex([[undisclosed[- ]recipients]], "i"),
  html_only   = pg.regex([[^\s*text/html\b]], "i"),
  drugs       = pg.regex([[\b(viagra|cialis|levitra|xanax|tramadol|phentermine|online\s+pharmacy|no\s+prescription)\b]], "i"),
  phish       = pg.regex([[\b(verify\s+your\s+(account|identity|password)|your\s+account\s+(has\s+been|will\s+be)\s+(suspended|locked|closed|limited)|confirm\s+your\s+(password|billing|payment)\s+(details|information)|unusual\s+sign-?in\s+activity)\b]], "i"),
  advance_fee = pg.regex([[\b((\d+(\.\d+)?|ten|twenty|fifteen)\s+million\s+(united\s+states\s+|us\s+)?dollars|next\s+of\s+kin|beneficiary|inheritance\s+fund|diplomatic\s+courier|wire\s+transfer\s+fee)\b]], "i"),
  lottery     = pg.regex([[\b(you\s+have\s+(been\s+selected|won)|winning\s+(number|notification)|claim\s+your\s+(prize|reward)|lottery\s+(board|commission|winner))\b]], "i"),
  urgent      = pg.regex([[\b(act\s+now|urgent(ly)?\s+(reply|response|action)|within\s+24\s+hours|limited\s+time\s+offer)\b]], "i"),
  gtube       = pg.regex([[XJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL\*C\.34X]]),
  crypto      = pg.regex([[\b(bitcoin|btc|usdt|ethereum)\b.{0,80}\b(wallet|address)\b]], "is"),
}

-- Helpers --------------------------------------------------------------------

local function domain_of(addr)
  return (addr or ""):match("@([^@>]+)$") and addr:match("@([^@>]+)$"):lower() or ""
end

local function is_internal(ip)
  for _, p in ipairs(settings.internal_prefixes) do
    if ip:sub(1, #p) == p then return true end
  end
  return false
end

local function domain_is(d, list)
  for _, want in ipairs(list) do
    if d == want or d:sub(-#want - 1) == "." .. want then return true end
  end
  return false
end

-- split_from - display name and address of a From: or Reply-To: value
local function split_from(v)
  local name, addr = re.from_parts:match(v)
  if addr then return name or "", addr end
  return "", v:match("%S+@%S+") or v
end

-- first_from - the first From mailbox, display name decoded (RFC 2047)
local function first_from(tx)
  local f = tx:from()[1]
  if f then return f.name, f.addr end
  local v = tx:header("From", 1, "decoded")
  if v then return split_from(v) end
end

-- Connection and HELO ---------------------------------------------------------

pg.on("helo", function(s, name)
  local v = s.vars
  local h = name:lower()
  if re.ip_literal:test(h) then
    v.helo_bare_ip = true
  elseif (h == "localhost" or h == "localhost.localdomain" or settings.own_names[h])
         and not is_internal(s.client_addr) then
    v.helo_localhost = true
  elseif not h:find(".", 1, true) then
    v.helo_not_fqdn = true
  elseif re.dynamic:test(h) then
    v.helo_dynamic = true
  end
end)

-- Envelope --------------------------------------------------------------------

pg.on("mail", function(tx, sender)
  local s = tx.session
  local key = "rate:" .. s.client_addr
  local n = pg.store.incr(key, 1, settings.rate.window)
  if n > settings.rate.tempfail then
    pg.log.info("rate limit: %s sent %d messages this minute", s.client_addr, n)
    return pg.tempfail("451 4.7.1 Too many messages from " .. s.client_addr .. ", slow down")
  end
  if n > settings.rate.score then tx.vars.rate_high = n end
  if settings.local_domains[domain_of(sender)] and not is_internal(s.client_addr) then
    tx.vars.sender_forged = true
  end
end)

pg.on("rcpt", function(tx, rcpt)
  local msg = settings.refused[rcpt:lower()]
  if msg then return pg.reject(msg:format(rcpt)) end
end)

-- End of message: header and body rules ------------------------------------------

local function header_rules(tx)
  local name, addr = first_from(tx)
  if not addr then
    tx:score(3.0, "MISSING_FROM")
  else
    local fdom = domain_of(addr)
    local other = name ~= "" and select(2, re.addr_in_name:match(name))
    if other and other:lower() ~= fdom then
      tx:score(3.0, "FROM_NAME_OTHER_ADDR", other)
    end
    local lname = name:lower()
    for brand, domains in pairs(settings.brands) do
      if lname:find(brand, 1, true) and not domain_is(fdom, domains) then
        tx:score(3.5, "FROM_BRAND_FORGED", brand .. " from " .. fdom)
        break
      end
    end
    local rt = tx:header("Reply-To")
    if rt then
      local _, raddr = split_from(rt)
      local rdom = domain_of(raddr)
      if rdom ~= fdom and settings.freemail[rdom] then
        tx:score(2.0, "REPLY_TO_FREEMAIL", rdom)
      end
    end
  end

  local date = tx:header("Date")
  if not date then
    tx:score(1.5, "MISSING_DATE")
  elseif not re.date:test(date) then
    tx:score(1.0, "DATE_MALFORMED")
  end

  local mid = tx:header("Message-ID")
  if not mid then
    tx:score(1.5, "MISSING_MESSAGE_ID")
  elseif not re.msgid:test(mid) then
    tx:score(1.0, "MSGID_MALFORMED")
  end

  local subject = tx:subject() or ""
  local letters = subject:gsub("[^%a]", "")
  if #letters >= 10 then
    local upper = letters:gsub("[^%u]", "")
    if #upper / #letters > 0.8 then tx:score(2.0, "SUBJECT_ALL_CAPS") end
  end
  if re.punct:test(subject) then tx:score(1.0, "SUBJECT_EXCESS_PUNCT") end
  if re.drugs:test(subject) then tx:score(3.0, "SUBJECT_DRUGS") end

  if re.undisclosed:test(tx:header("To") or "") then tx:score(1.0, "TO_UNDISCLOSED") end
  if re.html_only:test(tx:header("Content-Type") or "") then tx:score(1.0, "HTML_ONLY") end
  if tx:header("List-Id") then tx:score(-1.0, "MAILING_LIST") end
end

local body_rules = {
  { re.drugs, 4.0, "BODY_DRUGS" },
  { re.phish, 4.0, "BODY_PHISH" },
  { re.advance_fee, 3.0, "BODY_ADVANCE_FEE" },
  { re.lottery, 3.0, "BODY_LOTTERY" },
  { re.urgent, 1.0, "BODY_URGENT" },
  { re.crypto, 2.5, "BODY_CRYPTO_PAYMENT" },
}
-- All body patterns as one set: one pass over the body says which of them
-- match (most mail: none), and only those are searched again for the text
-- to show. The result lists rules in body_rules' order.
local body_patterns = {}
for i, r in ipairs(body_rules) do body_patterns[i] = r[1] end
local body_set = pg.regex_set(body_patterns)

-- A message may carry hundreds of links: the loop reads each field once
-- (a field is made when it is read), and tries the address pattern only
-- on a host that is its own domain, as an address is (and a bare
-- registered name: comparing two short strings costs nothing).
local function url_rules(tx)
  local short, ip, mismatch
  local shorteners, urls = settings.shorteners, tx:urls()
  for i = 1, #urls do
    local u = urls[i]
    local host, domain = u.host, u.domain
    if not short and shorteners[domain] then short = u.url end
    if not ip and domain == host and re.ip_literal:test(host) then ip = u.url end
    if not mismatch and u.text_host then mismatch = u.text_host .. " -> " .. host end
  end
  if short then tx:score(2.0, "URL_SHORTENER", short) end
  if ip then tx:score(3.0, "URL_IP_HOST", ip) end
  if mismatch then tx:score(3.0, "LINK_TEXT_MISMATCH", mismatch) end
end

pg.on("eom", function(tx)
  local s, v = tx.session, tx.session.vars
  if s.client_name == "unknown" then tx:score(1.0, "RDNS_NONE") end
  if v.helo_bare_ip then tx:score(2.0, "HELO_BARE_IP", s.helo) end
  if v.helo_localhost then tx:score(3.0, "HELO_LOCALHOST", s.helo) end
  if v.helo_not_fqdn then tx:score(1.5, "HELO_NOT_FQDN", s.helo) end
  if v.helo_dynamic then tx:score(1.5, "HELO_DYNAMIC", s.helo) end
  if tx.vars.sender_forged then tx:score(4.0, "SENDER_LOCAL_FORGED", tx.sender) end
  if tx.vars.rate_high then tx:score(2.0, "RATE_HIGH", tx.vars.rate_high .. "/min") end
  if tx.sender == "" and #tx.recipients > 1 then tx:score(3.0, "BOUNCE_MANY_RCPT") end

  header_rules(tx)

  -- the text a reader sees, whatever the encodings
  local body = tx:text()
  if re.gtube:test(body) then tx:score(1000, "GTUBE") end
  for _, i in ipairs(body_set:match(body)) do
    local r = body_rules[i]
    local first, last = r[1]:find(body)
    local detail = body:sub(first, math.min(last, first + 39)):gsub("%s+", " ")
    tx:score(r[2], r[3], detail)
  end
  url_rules(tx)
end)
