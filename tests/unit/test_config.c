/*
 * test_config - config_load(), config_load_string(), config_path(),
 * config_free(), table-driven
 *
 * One row per configuration: good ones with a check of what was loaded,
 * bad ones with the exact error text, file and line included. Files under
 * tests/data/config/ cover config_load() itself (CONFIG_TEST_DATA).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* host/config.h, not the build's autoconf config.h */
#include "config.h"
#include "netlist.h"
#include "config_diff.h"

#ifndef CONFIG_TEST_DATA
#define CONFIG_TEST_DATA "tests/data/config"
#endif

#define NAME	"phasegate.conf"
#define MB	(1024ull * 1024)

/* ---------------------------------------------------------------- */
/* Bad configurations: the exact error.                              */

struct bad {
	const char	*text;
	const char	*err;
};

static const struct bad bads[] = {
	/* milter */
	{ "milter = { listn = \"inet:8891@127.0.0.1\" }\n",
	  NAME ":1: unknown key 'listn' in milter" },
	{ "milter = {}\n",
	  NAME ":1: milter: needs 'listen'" },
	{ "milter = \"inet:8891@127.0.0.1\"\n",
	  NAME ":1: milter: expected a table, got string" },
	{ "\n\nmilter = {\n  listen = \"inet:99999@127.0.0.1\" }\n",
	  NAME ":4: milter.listen: bad socket 'inet:99999@127.0.0.1': port 99999 "
	  "is out of range (1 to 65535)" },
	{ "milter = { listen = \"tcp:8891@127.0.0.1\" }\n",
	  NAME ":1: milter.listen: bad socket 'tcp:8891@127.0.0.1': unknown "
	  "socket type 'tcp' (use HOST:PORT, unix:/PATH, inet:PORT@HOST or "
	  "inet6:PORT@HOST)" },
	{ "milter = { listen = \"inet:127.0.0.1:8891\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet:127.0.0.1:8891': that is "
	  "Postfix's form (inet:HOST:PORT); libmilter's is inet:PORT@HOST: write "
	  "inet:8891@127.0.0.1" },
	{ "milter = { listen = \"inet:8891@[::1]\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet:8891@[::1]': an IPv6 address "
	  "needs inet6: write inet6:8891@[::1]" },
	{ "milter = { listen = \"inet:smtp@localhost\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet:smtp@localhost': port 'smtp' "
	  "is not a number from 1 to 65535 (service names are not looked up)" },
	{ "milter = { listen = \"unix:run/milter.sock\" }\n",
	  NAME ":1: milter.listen: bad socket 'unix:run/milter.sock': the "
	  "socket path must be absolute (unix:/PATH)" },
	{ "milter = { listen = \"inet:8891@bad host\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet:8891@bad host': white space "
	  "or a control character in the address" },
	{ "milter = { listen = \"inet:8891@a/b\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet:8891@a/b': bad host 'a/b'" },
	{ "milter = { listen = \"inet6:8891@[::g]\" }\n",
	  NAME ":1: milter.listen: bad socket 'inet6:8891@[::g]': bad IPv6 "
	  "address '::g'" },
	{ "milter = { listen = 8891 }\n",
	  NAME ":1: milter.listen: expected a string, got number" },
	{ "milter = { listen = \"inet:8891\\0@x\" }\n",
	  NAME ":1: milter.listen: contains a NUL byte" },

	/* smtp */
	{ "smtp = {\n"
	  "  { listen = \"127.0.0.1:10025\", upstream = \"127.0.0.1:10026\" },\n"
	  "  {\n"
	  "    listn = \"127.0.0.1:10027\", upstream = \"127.0.0.1:10026\" },\n"
	  "}\n",
	  NAME ":4: unknown key 'listn' in smtp[2]" },
	{ "smtp = { { listen = \"127.0.0.1:25\" } }\n",
	  NAME ":1: smtp[1]: needs 'upstream'" },
	{ "smtp = {\n  { upstream = \"127.0.0.1:25\" } }\n",
	  NAME ":2: smtp[1]: needs 'listen'" },
	{ "smtp = { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\" }\n",
	  NAME ":1: unknown key 'listen' in smtp (a list: smtp = { { listen "
	  "= ..., upstream = ... }, ... })" },
	{ "smtp = { { listen = \"::1:25\", upstream = \"127.0.0.1:26\" } }\n",
	  NAME ":1: smtp[1].listen: bad address '::1:25': an IPv6 address "
	  "goes in brackets: [::1]:25" },
	{ "smtp = { { listen = \"127.0.0.1\", upstream = \"127.0.0.1:26\" } }\n",
	  NAME ":1: smtp[1].listen: bad address '127.0.0.1': expected HOST:PORT" },
	{ "smtp = { { listen = \"127.0.0.1:0\", upstream = \"127.0.0.1:26\" } }\n",
	  NAME ":1: smtp[1].listen: bad address '127.0.0.1:0': port 0 is out of "
	  "range (1 to 65535)" },
	{ "smtp = { { listen = \"unix:run/pg.sock\", upstream = \"127.0.0.1:26\" } }\n",
	  NAME ":1: smtp[1].listen: bad address 'unix:run/pg.sock': the "
	  "socket path must be absolute (unix:/PATH)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \":26\" } }\n",
	  NAME ":1: smtp[1].upstream: bad address ':26': no host (one is needed "
	  "to connect)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"[::g]:26\" } }\n",
	  NAME ":1: smtp[1].upstream: bad address '[::g]:26': bad IPv6 address "
	  "'::g'" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"[::1]26\" } }\n",
	  NAME ":1: smtp[1].upstream: bad address '[::1]26': expected "
	  "[ADDRESS]:PORT" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"a b:26\" } }\n",
	  NAME ":1: smtp[1].upstream: bad address 'a b:26': white space or a "
	  "control character in the address" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  bare_newline = \"strip\" } }\n",
	  NAME ":2: smtp[1].bare_newline: 'strip' is not one of reject, normalize" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  received = \"yes\" } }\n",
	  NAME ":2: smtp[1].received: expected true or false, got string" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  xclient = 1 } }\n",
	  NAME ":2: smtp[1].xclient: expected true or false, got number" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_message_size = \"50Q\" } }\n",
	  NAME ":2: smtp[1].max_message_size: bad size '50Q'" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_message_size = \"99999999999G\" } }\n",
	  NAME ":2: smtp[1].max_message_size: size '99999999999G' is too large" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_message_size = 1.5 } }\n",
	  NAME ":2: smtp[1].max_message_size: bad size 1.5" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_recipients = 0 } }\n",
	  NAME ":2: smtp[1].max_recipients: 0 is out of range (1 to 4294967295)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_hops = 1.5 } }\n",
	  NAME ":2: smtp[1].max_hops: expected a whole number, got 1.5" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_sessions = 1e10 } }\n",
	  NAME ":2: smtp[1].max_sessions: 10000000000.0 is out of range (1 to "
	  "4294967295)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  max_sessions = \"10\" } }\n",
	  NAME ":2: smtp[1].max_sessions: expected a number, got string" },
	{ "smtp = {\n"
	  "  { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\" },\n"
	  "  { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:27\" } }\n",
	  NAME ":3: smtp[2].listen: '127.0.0.1:25' is already used by smtp[1]" },
	{ "smtp = { \"127.0.0.1:25\" }\n",
	  NAME ":1: smtp[1]: expected a table, got string" },

	/* filters */
	{ "filters = {\n"
	  "  { plugin = \"regex\", rules = \"regex.rules\" },\n"
	  "  { on_error = \"accept\" },\n"
	  "}\n",
	  NAME ":3: filters[2]: needs 'plugin' or 'script'" },
	{ "filters = { { plugin = \"regex\",\n  script = \"x.lua\" } }\n",
	  NAME ":2: filters[1]: has both 'plugin' and 'script'" },
	{ "filters = { { plugin = \"regex\", opt = { 1, 2 } } }\n",
	  NAME ":1: filters[1].opt: a filter option must be a string, number "
	  "or boolean, not a table" },
	{ "filters = { { plugin = \"regex\", f = function() end } }\n",
	  NAME ":1: filters[1].f: a filter option must be a string, number "
	  "or boolean, not a function" },
	{ "filters = { { plugin = \"regex\", on_error = \"ignore\" } }\n",
	  NAME ":1: filters[1].on_error: 'ignore' is not one of tempfail, "
	  "accept, reject" },
	{ "filters = { { \"regex\" } }\n",
	  NAME ":1: unknown list entry [1] in filters[1]" },
	{ "filters = { plugin = \"regex\" }\n",
	  NAME ":1: unknown key 'plugin' in filters (a list: filters = { { "
	  "plugin = ... }, ... })" },
	{ "filters = { \"regex\" }\n",
	  NAME ":1: filters[1]: expected a table, got string" },
	{ "filters = { { plugin = \"\" } }\n",
	  NAME ":1: filters[1].plugin: must not be empty" },
	{ "filters = { { script = true } }\n",
	  NAME ":1: filters[1].script: expected a string, got boolean" },
	{ "filters = { [1] = { plugin = \"a\" },\n  [3] = { plugin = \"b\" } }\n",
	  NAME ":2: filters: entry [3] follows entry [1]: the list has a hole" },

	/* actions */
	{ "actions = { add_header = \"5\" }\n",
	  NAME ":1: actions.add_header: expected a number, got string" },
	{ "actions = {\n  reject = 5,\n  tempfail = 10 }\n",
	  NAME ":2: actions: reject (5) must not be below tempfail (10)" },
	{ "actions = { add_header = 6, tempfail = 5.5 }\n",
	  NAME ":1: actions: tempfail (5.5) must not be below add_header (6)" },
	{ "actions = { spam = 1 }\n",
	  NAME ":1: unknown key 'spam' in actions" },
	{ "actions = { reject = math.huge }\n",
	  NAME ":1: actions.reject: inf is not a finite number" },
	{ "actions = 5\n",
	  NAME ":1: actions: expected a table, got number" },

	/* on_error, timeouts, spool, user, log, lua */
	{ "on_error = \"drop\"\n",
	  NAME ":1: on_error: 'drop' is not one of tempfail, accept, reject" },
	{ "timeouts = {\n  command = \"5m\",\n  script = \"5x\",\n}\n",
	  NAME ":3: timeouts.script: bad duration '5x'" },
	{ "timeouts = { script = 0 }\n",
	  NAME ":1: timeouts.script: must be longer than 0" },
	{ "timeouts = { data = \"0ms\" }\n",
	  NAME ":1: timeouts.data: must be longer than 0" },
	{ "timeouts = { script = true }\n",
	  NAME ":1: timeouts.script: expected a duration such as \"5m\", got boolean" },
	{ "timeouts = { script = -1 }\n",
	  NAME ":1: timeouts.script: bad duration -1" },
	{ "timeouts = { idel = \"5m\" }\n",
	  NAME ":1: unknown key 'idel' in timeouts" },
	{ "timeouts = { idle = \"0s\" }\n",
	  NAME ":1: timeouts.idle: must be longer than 0" },
	{ "timeouts = { data_rate_min = \"fast\" }\n",
	  NAME ":1: timeouts.data_rate_min: bad size 'fast'" },
	{ "timeouts = { data_rate_min = -1 }\n",
	  NAME ":1: timeouts.data_rate_min: bad size -1" },
	{ "store = { memory_max = 0 }\n",
	  NAME ":1: store.memory_max: must be more than 0" },
	{ "store = { memory = \"1M\" }\n",
	  NAME ":1: unknown key 'memory' in store" },
	{ "store = \"64M\"\n",
	  NAME ":1: store: expected a table, got string" },
	{ "smtp = { { listen = \"127.0.0.1:1\", upstream = \"127.0.0.1:2\",\n"
	  "  max_sessions_per_client = -1 } }\n",
	  NAME ":2: smtp[1].max_sessions_per_client: -1 is out of range (0 to "
	  "4294967295)" },
	{ "timeouts = { data = \"99999999999999999999d\" }\n",
	  NAME ":1: timeouts.data: duration '99999999999999999999d' is too long" },
	{ "timeouts = { lookups = \"0s\" }\n",
	  NAME ":1: timeouts.lookups: must be longer than 0" },
	{ "timeouts = { lookups = \"fast\" }\n",
	  NAME ":1: timeouts.lookups: bad duration 'fast'" },

	/* dns */
	{ "dns = \"127.0.0.1\"\n",
	  NAME ":1: dns: expected a table, got string" },
	{ "dns = { server = { \"127.0.0.1\" } }\n",
	  NAME ":1: unknown key 'server' in dns" },
	{ "dns = { servers = \"127.0.0.1\" }\n",
	  NAME ":1: dns.servers: expected a list of addresses, got string" },
	{ "dns = { servers = {} }\n",
	  NAME ":1: dns.servers: must not be empty (leave it out for /etc/resolv.conf)" },
	{ "dns = {\n  servers = { \"127.0.0.1\",\n    \"ns.example.org\" } }\n",
	  NAME ":3: dns.servers[2]: bad server 'ns.example.org': expected an IP address" },
	{ "dns = { servers = { \"127.0.0.1:0\" } }\n",
	  NAME ":1: dns.servers[1]: bad server '127.0.0.1:0': bad port" },
	{ "dns = { servers = { \"[::1]\" } }\n",
	  NAME ":1: dns.servers[1]: bad server '[::1]': expected [IPv6]:port" },
	{ "dns = { servers = { 53 } }\n",
	  NAME ":1: dns.servers[1]: expected a string, got number" },
	{ "dns = { servers = { a = \"127.0.0.1\" } }\n",
	  NAME ":1: dns.servers: a list of addresses: { \"127.0.0.1\", \"[::1]:53\" }" },
	{ "dns = { timeout = 0 }\n",
	  NAME ":1: dns.timeout: must be longer than 0" },
	{ "dns = { timeout = \"2m\" }\n",
	  NAME ":1: dns.timeout: at most 60s" },
	{ "dns = { attempts = 0 }\n",
	  NAME ":1: dns.attempts: 0 is out of range (1 to 4294967295)" },
	{ "dns = { attempts = 11 }\n",
	  NAME ":1: dns.attempts: at most 10" },
	{ "dns = { attempts = 1.5 }\n",
	  NAME ":1: dns.attempts: expected a whole number, got 1.5" },

	{ "spool = { memory_max = -1 }\n",
	  NAME ":1: spool.memory_max: bad size -1" },
	{ "spool = { memory_max = true }\n",
	  NAME ":1: spool.memory_max: expected a size such as \"50M\", got boolean" },
	{ "spool = { dir = 5 }\n",
	  NAME ":1: spool.dir: expected a string, got number" },
	{ "spool = { directory = \"/tmp\" }\n",
	  NAME ":1: unknown key 'directory' in spool" },
	{ "user = \"\"\n",
	  NAME ":1: user: must not be empty" },
	{ "user = 1000\n",
	  NAME ":1: user: expected a string, got number" },
	{ "log = \"file\"\n",
	  NAME ":1: log: 'file' is not one of stderr, syslog or a file's path (\"/var/log/phasegate.log\")" },
	{ "log = 1\n",
	  NAME ":1: log: expected a string, got number" },
	{ "log_level = \"verbose\"\n",
	  NAME ":1: log_level: 'verbose' is not one of error, warning, info, debug" },
	{ "log_level = 3\n",
	  NAME ":1: log_level: expected a string, got number" },
	{ "stats = \"127.0.0.1:9466\"\n",
	  NAME ":1: stats: expected a table, got string" },
	{ "stats = {}\n",
	  NAME ":1: stats: needs 'listen'" },
	{ "stats = { listen = \"127.0.0.1:9466\", path = \"/m\" }\n",
	  NAME ":1: unknown key 'path' in stats" },
	{ "stats = {\n listen = 9466 }\n",
	  NAME ":2: stats.listen: expected a string, got number" },
	{ "lua = { memory_max = 0 }\n",
	  NAME ":1: lua.memory_max: must be more than 0" },
	{ "lua = { paths = \"x\" }\n",
	  NAME ":1: unknown key 'paths' in lua" },
	{ "lua = { path = { \"a\", \"b\" } }\n",
	  NAME ":1: lua.path: expected a string, got table" },

	/* top level */
	{ "user = \"pg\"\n\nfoo = 1\n",
	  NAME ":3: unknown key 'foo'" },
	{ "function helper() return 1 end\n",
	  NAME ":1: unknown key 'helper'" },
	{ "return {\n"
	  "  smtp = {\n"
	  "    { listen = \"127.0.0.1:1\", upstream = \"127.0.0.1:2\",\n"
	  "      bogus = 1 },\n"
	  "  },\n"
	  "}\n",
	  NAME ":4: unknown key 'bogus' in smtp[1]" },
	{ "local cfg = {\n  user = \"pg\",\n  lgo = \"stderr\" }\nreturn cfg\n",
	  NAME ":3: unknown key 'lgo'" },
	{ "local cfg = { smtp = {} }\ncfg.smtp[1] = {\n  listen = 1 }\n"
	  "cfg.user = \"pg\"\n\nreturn cfg\n",
	  NAME ":3: smtp[1].listen: expected a string, got number" },
	{ "local cfg = {}\ncfg.log = \"x\"\nreturn cfg\n",
	  NAME ":2: log: 'x' is not one of stderr, syslog or a file's path (\"/var/log/phasegate.log\")" },
	{ "local function make()\n  return { bogus = 1 }\nend\n\nreturn make()\n",
	  NAME ":5: unknown key 'bogus'" },
	{ "return { 1 }\n",
	  NAME ":1: unknown list entry [1]" },
	{ "user = \"pg\"\nreturn { log = \"syslog\" }\n",
	  NAME ":1: 'user' is set as a global, but the file also returns a table" },
	{ "return 5\n",
	  NAME ": the file returns a number; it must set globals or return a table" },

	/* Lua errors, as Lua words them */
	{ "user = \"pg\"\nlog = = \"stderr\"\n",
	  NAME ":2: unexpected symbol near '='" },
	{ "user = \"pg\n",
	  NAME ":1: unfinished string near '\"pg'" },
	{ "\nerror(\"no good\")\n",
	  NAME ":2: no good" },
	{ "error(\"bare\", 0)\n",
	  NAME ": bare" },
	{ "error({})\n",
	  NAME ": error object is a table value" },
	{ "milter = { [true] = 1 }\n",
	  NAME ":1: a key must be a name or a list index, not boolean 'true'" },
	{ "a = {}\na.a = a\n",
	  NAME ":2: tables nested too deep (more than 32 levels, or a table "
	  "that contains itself)" },

	/* lines of values set by statements rather than constructors */
	{ "timeouts = {\n  command = \"5m\" }\n\ntimeouts.script = \"5x\"\n",
	  NAME ":4: timeouts.script: bad duration '5x'" },
	{ "timeouts = {}\ntimeouts[\"data\"] = 0\n",
	  NAME ":2: timeouts.data: must be longer than 0" },
	{ "smtp = {}\nsmtp[1] = {\n  listen = \"127.0.0.1:1\",\n"
	  "  upstream = \"127.0.0.1:2\" }\nsmtp[1].xclient = 1\n",
	  NAME ":5: smtp[1].xclient: expected true or false, got number" },
	{ "smtp = {}\nsmtp[1] = {\n  listen = \"127.0.0.1:1\",\n"
	  "  upstream = \"127.0.0.1:2\", bogus = 1 }\n",
	  NAME ":4: unknown key 'bogus' in smtp[1]" },
	{ "user = \"a\"\nlog = \"stderr\"\n\nlog = \"file\"\n",
	  NAME ":4: log: 'file' is not one of stderr, syslog or a file's path (\"/var/log/phasegate.log\")" },
	{ "milter = { listen = \"inet:1@h\" }\nmilter = {\n  listn = 1 }\n",
	  NAME ":3: unknown key 'listn' in milter" },
	{ "milter = { listen = \"inet:1@h\" }\nmilter.listen = nil\n"
	  "milter.listn = 1\n",
	  NAME ":3: unknown key 'listn' in milter" },
	{ "if true then\n  spool = {\n    dir = 5 }\nend\n",
	  NAME ":3: spool.dir: expected a string, got number" },
	{ "local t = { listn = 1 }\n\nmilter = t\n",
	  NAME ":3: unknown key 'listn' in milter" },
	{ "local function f()\n  return { listn = 1 }\nend\nmilter = f()\n",
	  NAME ":4: unknown key 'listn' in milter" },
	{ "filters = {\n  -- { plugin = \"commented out\" },\n  [[ a string ]],\n}\n",
	  NAME ":3: filters[1]: expected a table, got string" },
	{ "filters = { { plugin = \"a\" }, --[[ { x = 1 },\n ]] { plugin = \"b\",\n"
	  "  rules = { } } }\n",
	  NAME ":3: filters[2].rules: a filter option must be a string, number "
	  "or boolean, not a table" },

	/* the sandbox */
	{ "io.write(\"x\")\n",
	  NAME ":1: attempt to index a nil value (global 'io')" },
	{ "user = os.getenv(\"USER\")\n",
	  NAME ":1: attempt to index a nil value (global 'os')" },
	{ "local x = require \"os\"\n",
	  NAME ":1: attempt to call a nil value (global 'require')" },
	{ "load(\"x = 1\")()\n",
	  NAME ":1: attempt to call a nil value (global 'load')" },
	{ "dofile(\"/etc/passwd\")\n",
	  NAME ":1: attempt to call a nil value (global 'dofile')" },
	{ "print(\"x\")\n",
	  NAME ":1: attempt to call a nil value (global 'print')" },
	{ "local d = string.dump(function() end)\n",
	  NAME ":1: attempt to call a nil value (field 'dump')" },
	{ "setmetatable(_ENV, nil)\n",
	  NAME ":1: attempt to call a nil value (global 'setmetatable')" },
	{ "collectgarbage()\n",
	  NAME ":1: attempt to call a nil value (global 'collectgarbage')" },
	{ "\x1bLua",
	  NAME ": attempt to load a binary chunk (mode is 't')" },
	{ "user = \"pg\"\nwhile true do end\n",
	  NAME ":2: configuration runs too long (more than 20 million "
	  "instructions)" },
	{ "user = string.rep(\"x\", 1e9)\n",
	  NAME ": configuration uses too much memory (more than 32 MiB)" },
	{ "local t = {}\nfor i = 1, 1e7 do t[i] = { i } end\n",
	  NAME ": configuration uses too much memory (more than 32 MiB)" },
	/* socket_mode, socket_group, hostname (config_listen.c) */
	{ "milter = { listen = \"unix:/run/m.sock\", socket_mode = 660 }\n",
	  NAME ":1: milter.socket_mode: write the mode as a string of octal "
	  "digits, as chmod takes it (\"0660\"): a Lua number is decimal" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_mode = \"0860\" }\n",
	  NAME ":1: milter.socket_mode: '0860' is not a mode such as \"0660\" "
	  "(octal, at most 0777)" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_mode = \"01777\" }\n",
	  NAME ":1: milter.socket_mode: '01777' is not a mode such as \"0660\" "
	  "(octal, at most 0777)" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_mode = \"\" }\n",
	  NAME ":1: milter.socket_mode: '' is not a mode such as \"0660\" "
	  "(octal, at most 0777)" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_mode = \"0550\" }\n",
	  NAME ":1: milter.socket_mode: '0550' lets nobody connect (connecting "
	  "to a unix socket takes write permission)" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_group = 12 }\n",
	  NAME ":1: milter.socket_group: expected a string, got number" },
	{ "milter = {\n  listen = \"inet:8891@127.0.0.1\",\n  socket_group = \"postfix\" }\n",
	  NAME ":1: milter: socket_mode and socket_group are for a unix socket "
	  "(listen = \"unix:/path\"), not inet:8891@127.0.0.1" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  socket_mode = \"0660\" } }\n",
	  NAME ":1: smtp[1]: socket_mode and socket_group are for a unix socket "
	  "(listen = \"unix:/path\"), not 127.0.0.1:25" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  hostname = \"mx.example.org\\r\\n250 x\" } }\n",
	  NAME ":2: smtp[1].hostname: 'mx.example.org\r\n250 x' is not a host "
	  "name (letters, digits, '-' and '.', at most 253 characters)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  hostname = \"mx..example.org\" } }\n",
	  NAME ":2: smtp[1].hostname: 'mx..example.org' is not a host name "
	  "(letters, digits, '-' and '.', at most 253 characters)" },
	{ "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"
	  "  hostname = \"\" } }\n",
	  NAME ":2: smtp[1].hostname: must not be empty" },
	{ "milter = { listen = \"unix:/run/m.sock\", socket_owner = \"x\" }\n",
	  NAME ":1: unknown key 'socket_owner' in milter" },
};

static void
test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		char err[1024];
		struct config *c;

		memset(err, 'X', sizeof(err));
		c = config_load_string(NAME, bads[i].text, err, sizeof(err));
		if (c != NULL) {
			config_free(c);
			fail_msg("row %zu loaded, want: %s", i, bads[i].err);
		}
		if (strcmp(err, bads[i].err) != 0)
			fail_msg("row %zu:\n got: %s\nwant: %s", i, err,
			    bads[i].err);
	}
}

/* ---------------------------------------------------------------- */
/* Good configurations: what was loaded.                             */

struct good {
	const char	*name;
	const char	*text;
	void		(*check)(const struct config *);
};

/* check_defaults - everything DESIGN and config.h say is the default */
static void
check_defaults(const struct config *c)
{
	assert_string_equal(c->file, NAME);
	assert_non_null(c->dir);
	assert_null(c->milter_listen);
	assert_int_equal(c->nsmtp, 0);
	assert_int_equal(c->nfilters, 0);
	assert_int_equal(c->has_actions, 0);
	assert_true(isnan(c->act_add_header));
	assert_true(isnan(c->act_tempfail));
	assert_true(isnan(c->act_reject));
	assert_int_equal(c->on_error, PG_TEMPFAIL);
	assert_int_equal(c->timeout_command_ms, 60 * 1000);
	assert_int_equal(c->timeout_data_ms, 10 * 60 * 1000);
	assert_int_equal(c->data_rate_min, 500);
	assert_int_equal(c->timeout_idle_ms, 5 * 60 * 1000);
	assert_int_equal(c->timeout_upstream_ms, 5 * 60 * 1000);
	assert_int_equal(c->timeout_script_ms, 200);
	assert_int_equal(c->timeout_lookups_ms, 5000);
	assert_null(c->dns_servers);
	assert_int_equal(c->ndns_servers, 0);
	assert_int_equal(c->dns_timeout_ms, 2000);
	assert_int_equal(c->dns_attempts, 2);
	assert_int_equal(c->spool_memory_max, 1 * MB);
	assert_non_null(c->spool_dir);
	assert_null(c->user);
	assert_int_equal(c->log_syslog, 0);
	assert_null(c->log_file);
	assert_int_equal(c->log_level, 2);	/* info */
	assert_null(c->stats_listen);
	assert_int_equal(c->lua_memory_max, 64 * MB);
	assert_int_equal(c->store_memory_max, 64 * MB);
	assert_null(c->lua_path);
}

/* the example of DESIGN section 2, as globals */
static const char design_example[] =
	"-- phasegate.conf\n"
	"milter = { listen = \"inet:8891@127.0.0.1\" }\n"
	"smtp = {\n"
	"  { listen = \"127.0.0.1:10025\", upstream = \"127.0.0.1:10026\",\n"
	"    xclient = true,\n"
	"    max_message_size = \"50M\", max_recipients = 1000 },\n"
	"}\n"
	"filters = {\n"
	"  { plugin = \"regex\", rules = \"/etc/phasegate/regex.rules\" },\n"
	"  { script = \"/etc/phasegate/rules/spam.lua\" },\n"
	"  { plugin = \"/usr/local/lib/phasegate/mine.so\", option = \"x\" },\n"
	"}\n"
	"actions = { add_header = 5.0, tempfail = 10.0, reject = 15.0 }\n"
	"on_error = \"tempfail\"\n"
	"timeouts = { command = \"5m\", data = \"10m\", upstream = \"5m\", script = \"200ms\" }\n"
	"spool = { memory_max = \"1M\", dir = \"/var/spool/phasegate\" }\n"
	"user = \"phasegate\"\n"
	"log = \"stderr\"\n";

/* check_design - the DESIGN example, whichever form it was written in */
static void
check_design(const struct config *c)
{
	assert_string_equal(c->milter_listen, "inet:8891@127.0.0.1");
	assert_int_equal(c->nsmtp, 1);
	assert_string_equal(c->smtp[0].listen, "127.0.0.1:10025");
	assert_string_equal(c->smtp[0].upstream, "127.0.0.1:10026");
	assert_int_equal(c->smtp[0].xclient, 1);
	assert_int_equal(c->smtp[0].received, 1);
	assert_int_equal(c->smtp[0].max_message_size, 50 * MB);
	assert_int_equal(c->smtp[0].max_recipients, 1000);
	assert_int_equal(c->smtp[0].max_hops, 50);
	assert_int_equal(c->smtp[0].max_sessions, 1000);
	assert_int_equal(c->smtp[0].bare_newline, CONFIG_BARE_NL_REJECT);
	assert_int_equal(c->nfilters, 3);
	assert_string_equal(c->filters[0].plugin, "regex");
	assert_null(c->filters[0].script);
	assert_int_equal(c->filters[0].nopts, 1);
	assert_string_equal(c->filters[0].opts[0].key, "rules");
	assert_string_equal(c->filters[0].opts[0].value,
	    "/etc/phasegate/regex.rules");
	assert_null(c->filters[1].plugin);
	assert_string_equal(c->filters[1].script,
	    "/etc/phasegate/rules/spam.lua");
	assert_int_equal(c->filters[1].nopts, 0);
	assert_string_equal(c->filters[2].plugin,
	    "/usr/local/lib/phasegate/mine.so");
	assert_int_equal(c->filters[2].nopts, 1);
	assert_string_equal(c->filters[2].opts[0].key, "option");
	assert_string_equal(c->filters[2].opts[0].value, "x");
	assert_int_equal(c->filters[0].on_error, PG_TEMPFAIL);
	assert_int_equal(c->has_actions, 1);
	assert_true(c->act_add_header == 5.0);
	assert_true(c->act_tempfail == 10.0);
	assert_true(c->act_reject == 15.0);
	assert_int_equal(c->on_error, PG_TEMPFAIL);
	assert_int_equal(c->timeout_command_ms, 300000);
	assert_int_equal(c->timeout_data_ms, 600000);
	assert_int_equal(c->timeout_upstream_ms, 300000);
	assert_int_equal(c->timeout_script_ms, 200);
	assert_int_equal(c->spool_memory_max, 1 * MB);
	assert_string_equal(c->spool_dir, "/var/spool/phasegate");
	assert_string_equal(c->user, "phasegate");
	assert_int_equal(c->log_syslog, 0);
}

static void
check_design_lines(const struct config *c)
{
	check_design(c);
	assert_int_equal(c->smtp[0].line, 4);
	assert_int_equal(c->filters[0].line, 9);
	assert_int_equal(c->filters[1].line, 10);
	assert_int_equal(c->filters[2].line, 11);
	assert_string_equal(c->filters[0].where, NAME ":9");
	assert_string_equal(c->filters[2].where, NAME ":11");
}

/* check_opts - filter options in file order, formatted like tostring() */
static void
check_opts(const struct config *c)
{
	static const char *want[][2] = {
		{ "z", "1" }, { "a", "2.5" }, { "yes", "true" },
		{ "no", "false" }, { "s", "text" }, { "big", "1e+100" },
		{ "f", "3.0" }, { "n", "-7" }, { "m", "9.007199254741e+15" },
		{ "rules", "/etc/r" },
	};
	size_t i;

	assert_int_equal(c->nfilters, 1);
	assert_string_equal(c->filters[0].plugin, "p");
	assert_int_equal(c->filters[0].nopts, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < c->filters[0].nopts; i++) {
		assert_string_equal(c->filters[0].opts[i].key, want[i][0]);
		assert_string_equal(c->filters[0].opts[i].value, want[i][1]);
	}
}

/* check_on_error - the global on_error reaches filters that set none */
static void
check_on_error(const struct config *c)
{
	assert_int_equal(c->on_error, PG_ACCEPT);
	assert_int_equal(c->nfilters, 3);
	assert_int_equal(c->filters[0].on_error, PG_ACCEPT);
	assert_int_equal(c->filters[1].on_error, PG_REJECT);
	assert_int_equal(c->filters[2].on_error, PG_TEMPFAIL);
	assert_int_equal(c->filters[0].nopts, 0);
}

static void
check_milter_inet6(const struct config *c)
{
	assert_string_equal(c->milter_listen, "inet6:8891@[::1]");
}

static void
check_milter_unix(const struct config *c)
{
	assert_string_equal(c->milter_listen, "unix:/run/phasegate/milter.sock");
}

static void
check_milter_local(const struct config *c)
{
	assert_string_equal(c->milter_listen, "local:/tmp/m.sock");
}

static void
check_milter_anyaddr(const struct config *c)
{
	assert_string_equal(c->milter_listen, "inet:8891");
}

/* socket_mode, socket_group, hostname */
static void
check_sockets(const struct config *c)
{
	assert_int_equal(c->milter_sock.mode, 0660);
	assert_string_equal(c->milter_sock.group, "postfix");
	assert_int_equal(c->milter_sock.line, 2);
	assert_int_equal(c->nsmtp, 2);
	assert_int_equal(c->smtp[0].sock.mode, 0600);
	assert_null(c->smtp[0].sock.group);
	assert_string_equal(c->smtp[0].hostname, "mx-1.example.org");
	assert_int_equal(c->smtp[1].sock.mode, 0);
	assert_null(c->smtp[1].sock.group);
	assert_null(c->smtp[1].hostname);
}

/* the one address grammar: HOST:PORT and a bare path are milter sockets too */
static void
check_milter_hostport(const struct config *c)
{
	assert_string_equal(c->milter_listen, "127.0.0.1:8891");
}

static void
check_milter_path(const struct config *c)
{
	assert_string_equal(c->milter_listen, "/run/m.sock");
}

/* an upstream in any form that names a host or a socket */
static void
check_upstream_forms(const struct config *c)
{
	assert_int_equal(c->nsmtp, 2);
	assert_string_equal(c->smtp[0].upstream, "unix:/run/up.sock");
	assert_string_equal(c->smtp[1].upstream, "inet:25@127.0.0.1");
}

/* check_listen_forms - the proxy listens on every form the milter does */
static void
check_listen_forms(const struct config *c)
{
	assert_int_equal(c->nsmtp, 3);
	assert_string_equal(c->smtp[0].listen, "unix:/run/pg.sock");
	assert_string_equal(c->smtp[1].listen, "/run/pg2.sock");
	assert_string_equal(c->smtp[2].listen, "inet6:10025@[::1]");
}

/* check_smtp - every listener key, several listeners */
static void
check_smtp(const struct config *c)
{
	assert_int_equal(c->nsmtp, 2);
	assert_string_equal(c->smtp[0].listen, "[::1]:10025");
	assert_string_equal(c->smtp[0].upstream, "localhost:25");
	assert_int_equal(c->smtp[0].xclient, 0);
	assert_int_equal(c->smtp[0].received, 0);
	assert_int_equal(c->smtp[0].max_message_size, 0);
	assert_int_equal(c->smtp[0].max_recipients, 5);
	assert_int_equal(c->smtp[0].max_hops, 10);
	assert_int_equal(c->smtp[0].max_sessions, 2);
	assert_int_equal(c->smtp[0].max_sessions_per_client, 0);
	assert_int_equal(c->smtp[1].max_sessions_per_client, 50);
	assert_int_equal(c->smtp[0].bare_newline, CONFIG_BARE_NL_NORMALIZE);
	assert_int_equal(c->smtp[0].line, 2);
	assert_string_equal(c->smtp[1].listen, "0.0.0.0:10027");
	assert_int_equal(c->smtp[1].max_message_size, 1000);
	assert_int_equal(c->smtp[1].bare_newline, CONFIG_BARE_NL_REJECT);
	assert_int_equal(c->smtp[1].line, 6);
}

/* check_numbers - durations and sizes given as Lua numbers */
static void
check_numbers(const struct config *c)
{
	assert_int_equal(c->timeout_script_ms, 250);
	assert_int_equal(c->timeout_command_ms, 60000);
	assert_int_equal(c->timeout_idle_ms, 90000);
	assert_int_equal(c->data_rate_min, 2048);
	assert_int_equal(c->spool_memory_max, 4096);
	assert_int_equal(c->store_memory_max, 3 * MB);
	assert_int_equal(c->lua_memory_max, 8 * MB);
	assert_int_equal(c->log_syslog, 1);
}

/* check_dns - dns = { ... } and timeouts.lookups (DESIGN section 9) */
static void
check_dns(const struct config *c)
{
	assert_int_equal(c->ndns_servers, 4);
	assert_string_equal(c->dns_servers[0], "127.0.0.1:53");
	assert_string_equal(c->dns_servers[1], "192.0.2.53");
	assert_string_equal(c->dns_servers[2], "[::1]:5353");
	assert_string_equal(c->dns_servers[3], "2001:db8::53");
	assert_int_equal(c->dns_timeout_ms, 1500);
	assert_int_equal(c->dns_attempts, 3);
	assert_int_equal(c->timeout_lookups_ms, 3000);
	assert_int_equal(c->timeout_script_ms, 200);
}

/* check_paths - spool.dir and lua.path made absolute against the dir */
static void
check_paths(const struct config *c)
{
	char *p;

	assert_string_equal(c->dir, "/nonexistent/etc");
	assert_string_equal(c->spool_dir, "/nonexistent/etc/spool");
	assert_string_equal(c->lua_path, "/nonexistent/etc/lib;/usr/share/pg;;"
	    "/nonexistent/etc/x/y");
	p = config_path(c, "rules/spam.lua");
	assert_string_equal(p, "/nonexistent/etc/rules/spam.lua");
	free(p);
	p = config_path(c, "/abs/spam.lua");
	assert_string_equal(p, "/abs/spam.lua");
	free(p);
	assert_null(config_path(c, NULL));
}

/* check_actions_partial - thresholds left out stay NAN */
static void
check_actions_partial(const struct config *c)
{
	assert_int_equal(c->has_actions, 1);
	assert_true(isnan(c->act_add_header));
	assert_true(c->act_tempfail == 8);
	assert_true(c->act_reject == 8);
}

static void
check_actions_empty(const struct config *c)
{
	assert_int_equal(c->has_actions, 1);
	assert_true(isnan(c->act_add_header));
	assert_true(isnan(c->act_tempfail));
	assert_true(isnan(c->act_reject));
}

/* check_code - a file that computes its values */
static void
check_code(const struct config *c)
{
	assert_int_equal(c->nsmtp, 3);
	assert_string_equal(c->smtp[2].listen, "127.0.0.1:10027");
	assert_string_equal(c->smtp[2].upstream, "127.0.0.1:10026");
	assert_string_equal(c->user, "PHASEGATE");
	assert_int_equal(c->nfilters, 1);
	assert_string_equal(c->filters[0].opts[0].value, "a,b,c");
}

/* the operations keys: log file, level, stats listener */
static void
check_ops(const struct config *c)
{
	assert_string_equal(c->log_file, "/var/log/phasegate.log");
	assert_int_equal(c->log_syslog, 0);
	assert_int_equal(c->log_level, 3);
	assert_string_equal(c->stats_listen, "127.0.0.1:9466");
}

/* log = "syslog" after a file: the file is forgotten */
static void
check_ops_syslog(const struct config *c)
{
	assert_null(c->log_file);
	assert_int_equal(c->log_syslog, 1);
	assert_int_equal(c->log_level, 1);
	assert_null(c->stats_listen);
}

static const struct good goods[] = {
	{ NAME, "log = \"/var/log/phasegate.log\"\nlog_level = \"debug\"\n"
	  "stats = { listen = \"127.0.0.1:9466\" }\n", check_ops },
	{ NAME, "log = \"/var/log/phasegate.log\"\nlog = \"syslog\"\n"
	  "log_level = \"warning\"\n", check_ops_syslog },
	{ NAME, "", check_defaults },
	{ NAME, "-- only comments\n--[[ and a\nlong one ]]\n", check_defaults },
	{ NAME, "#!/usr/bin/env phasegate\nuser = nil\n", check_defaults },
	{ NAME, design_example, check_design_lines },
	{ NAME,
	  "return {\n"
	  "  milter = { listen = \"inet:8891@127.0.0.1\" },\n"
	  "  smtp = { { listen = \"127.0.0.1:10025\", upstream = \"127.0.0.1:10026\",\n"
	  "    xclient = true, max_message_size = \"50M\", max_recipients = 1000 } },\n"
	  "  filters = {\n"
	  "    { plugin = \"regex\", rules = \"/etc/phasegate/regex.rules\" },\n"
	  "    { script = \"/etc/phasegate/rules/spam.lua\" },\n"
	  "    { plugin = \"/usr/local/lib/phasegate/mine.so\", option = \"x\" },\n"
	  "  },\n"
	  "  actions = { add_header = 5, tempfail = 10, reject = 15 },\n"
	  "  on_error = \"tempfail\",\n"
	  "  timeouts = { command = \"5m\", data = \"10m\", upstream = \"5m\", script = \"200ms\" },\n"
	  "  spool = { memory_max = \"1M\", dir = \"/var/spool/phasegate\" },\n"
	  "  user = \"phasegate\", log = \"stderr\",\n"
	  "}\n", check_design },
	{ NAME,
	  "filters = { { plugin = \"p\", z = 1, a = 2.5, yes = true, no = false,\n"
	  "  s = \"text\", big = 1e100, f = 3.0, n = -7, m = 2^53,\n"
	  "  [\"rules\"] = \"/etc/r\" } }\n", check_opts },
	{ NAME,
	  "filters = {\n"
	  "  { plugin = \"a\" },\n"
	  "  { plugin = \"b\", on_error = \"reject\" },\n"
	  "  { script = \"c.lua\", on_error = \"tempfail\" },\n"
	  "}\n"
	  "on_error = \"accept\"\n", check_on_error },
	{ NAME, "milter = { listen = \"unix:/run/phasegate/milter.sock\",\n"
	  "  socket_group = \"postfix\", socket_mode = \"660\" }\n"
	  "smtp = { { listen = \"/run/pg.sock\", upstream = \"127.0.0.1:1\",\n"
	  "    socket_mode = \"0600\", hostname = \"mx-1.example.org\" },\n"
	  "  { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:1\" } }\n",
	  check_sockets },
	{ NAME, "milter = { listen = \"inet6:8891@[::1]\" }\n", check_milter_inet6 },
	{ NAME, "milter = { listen = \"unix:/run/phasegate/milter.sock\" }\n",
	  check_milter_unix },
	{ NAME, "milter = { listen = \"local:/tmp/m.sock\" }\n", check_milter_local },
	{ NAME, "milter = { listen = \"inet:8891\" }\n", check_milter_anyaddr },
	{ NAME, "milter = { listen = \"127.0.0.1:8891\" }\n", check_milter_hostport },
	{ NAME, "milter = { listen = \"/run/m.sock\" }\n", check_milter_path },
	{ NAME, "smtp = { { listen = \"127.0.0.1:1\", upstream = \"unix:/run/up.sock\" },\n"
	  "  { listen = \":2\", upstream = \"inet:25@127.0.0.1\" } }\n",
	  check_upstream_forms },
	{ NAME, "smtp = { { listen = \"unix:/run/pg.sock\", upstream = \"127.0.0.1:1\" },\n"
	  "  { listen = \"/run/pg2.sock\", upstream = \"127.0.0.1:1\" },\n"
	  "  { listen = \"inet6:10025@[::1]\", upstream = \"127.0.0.1:1\" } }\n",
	  check_listen_forms },
	{ NAME,
	  "smtp = {\n"
	  "  { listen = \"[::1]:10025\", upstream = \"localhost:25\", xclient = false,\n"
	  "    received = false, max_message_size = 0, max_recipients = 5,\n"
	  "    max_hops = 10, max_sessions = 2, bare_newline = \"normalize\",\n"
	  "    max_sessions_per_client = 0 },\n"
	  "  {\n"
	  "    listen = \"0.0.0.0:10027\", upstream = \"127.0.0.1:26\",\n"
	  "    max_message_size = 1000, bare_newline = \"reject\" },\n"
	  "}\n", check_smtp },
	{ NAME,
	  "timeouts = { script = 0.25, command = 60, idle = \"90s\", data_rate_min = \"2k\" }\n"
	  "spool = { memory_max = 4096 }\n"
	  "store = { memory_max = \"3M\" }\n"
	  "lua = { memory_max = \"8M\" }\n"
	  "log = \"syslog\"\n", check_numbers },
	{ "/nonexistent/etc/phasegate.conf",
	  "spool = { dir = \"spool\" }\n"
	  "lua = { path = \"lib;/usr/share/pg;;x/y\" }\n", check_paths },
	{ NAME,
	  "dns = { servers = { \"127.0.0.1:53\", \"192.0.2.53\", \"[::1]:5353\",\n"
	  "  \"2001:db8::53\" }, timeout = \"1500ms\", attempts = 3 }\n"
	  "timeouts = { lookups = \"3s\" }\n"
	  "dns.servers = dns.servers\n", check_dns },
	{ NAME, "actions = { tempfail = 8, reject = 8 }\n", check_actions_partial },
	{ NAME, "actions = {}\n", check_actions_empty },
	{ NAME,
	  "local function listener(port)\n"
	  "  return { listen = \"127.0.0.1:\" .. port, upstream = \"127.0.0.1:10026\" }\n"
	  "end\n"
	  "smtp = {}\n"
	  "for p = 10025, 10027 do smtp[#smtp + 1] = listener(p) end\n"
	  "user = string.upper(\"phasegate\")\n"
	  "filters = { { plugin = \"x\", list = table.concat({ \"a\", \"b\", \"c\" }, \",\") } }\n",
	  check_code },
};

static void
test_good(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		char err[1024];
		struct config *c;

		c = config_load_string(goods[i].name, goods[i].text, err,
		    sizeof(err));
		if (c == NULL)
			fail_msg("row %zu: %s", i, err);
		goods[i].check(c);
		config_free(c);
	}
}

/* ---------------------------------------------------------------- */
/* Files.                                                            */

struct file_row {
	const char	*file;		/* under CONFIG_TEST_DATA */
	const char	*err;		/* after "DIR/file"; NULL: loads */
};

static const struct file_row files[] = {
	{ "good.conf", NULL },
	{ "good-return.conf", NULL },
	{ "missing.conf", ": No such file or directory" },
	{ "bad-unknown-key.conf", ":7: unknown key 'listn' in smtp[1]" },
	{ "bad-duration.conf", ":3: timeouts.script: bad duration '5x'" },
	{ "bad-filter.conf", ":12: filters[2]: needs 'plugin' or 'script'" },
	{ "bad-syntax.conf", ":6: '}' expected (to close '{' at line 2) near <eof>" },
	{ "bad-sandbox.conf", ":4: attempt to index a nil value (global 'os')" },
	{ "bad-loop.conf", ":3: configuration runs too long (more than 20 "
	  "million instructions)" },
	{ ".", ": Is a directory" },
};

static void
test_files(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024], want[2048], err[2048];
		struct config *c;

		snprintf(path, sizeof(path), "%s/%s", CONFIG_TEST_DATA,
		    files[i].file);
		c = config_load(path, err, sizeof(err));
		if (files[i].err == NULL) {
			if (c == NULL)
				fail_msg("%s: %s", files[i].file, err);
			assert_string_equal(c->file, path);
			config_free(c);
			continue;
		}
		snprintf(want, sizeof(want), "%s%s", path, files[i].err);
		if (c != NULL) {
			config_free(c);
			fail_msg("%s loaded, want: %s", files[i].file, want);
		}
		if (strcmp(err, want) != 0)
			fail_msg("%s:\n got: %s\nwant: %s", files[i].file, err,
			    want);
	}
}

/* test_good_file - good.conf: values, lines, the directory */
static void
test_good_file(void **state)
{
	char path[1024], err[1024], *real, *p;
	struct config *c;

	(void)state;
	snprintf(path, sizeof(path), "%s/good.conf", CONFIG_TEST_DATA);
	c = config_load(path, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	real = realpath(CONFIG_TEST_DATA, NULL);
	assert_non_null(real);
	assert_string_equal(c->dir, real);
	assert_int_equal(c->nfilters, 3);
	assert_string_equal(c->filters[0].plugin, "regex");
	assert_string_equal(c->filters[0].opts[0].key, "rules");
	p = config_path(c, c->filters[0].opts[0].value);
	assert_true(strncmp(p, real, strlen(real)) == 0);
	assert_string_equal(p + strlen(real), "/regex.rules");
	free(p);
	assert_int_equal(c->filters[1].line, 13);
	assert_int_equal(c->filters[2].on_error, PG_ACCEPT);
	assert_int_equal(c->filters[1].on_error, PG_REJECT);
	free(real);
	config_free(c);
}

/* test_spool_default - /var/spool/phasegate if it is there, else $TMPDIR */
static void
test_spool_default(void **state)
{
	struct stat st;
	struct config *c;
	char err[256];
	const char *want;

	(void)state;
	setenv("TMPDIR", "/some/tmp", 1);
	want = stat("/var/spool/phasegate", &st) == 0 && S_ISDIR(st.st_mode) ?
	    "/var/spool/phasegate" : "/some/tmp";
	c = config_load_string(NAME, "", err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(c->spool_dir, want);
	config_free(c);
	unsetenv("TMPDIR");
	if (strcmp(want, "/some/tmp") == 0)
		want = "/tmp";
	c = config_load_string(NAME, "", err, sizeof(err));
	assert_non_null(c);
	assert_string_equal(c->spool_dir, want);
	config_free(c);
}

/* test_small_err - a short err buffer is truncated, never overrun */
static void
test_small_err(void **state)
{
	char err[16];

	(void)state;
	memset(err, 'X', sizeof(err));
	assert_null(config_load_string(NAME, "foo = 1\n", err, 12));
	assert_string_equal(err, "phasegate.c");
	assert_int_equal(err[12], 'X');
	assert_null(config_load_string(NAME, "foo = = 1\n", err, 12));
	assert_int_equal(strlen(err), 11);
	assert_null(config_load_string(NAME, "foo = 1\n", err, 0));
	assert_null(config_load("/nonexistent/x.conf", err, 5));
	assert_string_equal(err, "/non");
}

/* test_size_limit - 1 MiB of text is the most a configuration may have */
static void
test_size_limit(void **state)
{
	const size_t max = 1024 * 1024;
	char tmpl[] = "/tmp/test_config.XXXXXX", err[1024], want[1100];
	char *text = malloc(max + 2);
	struct config *c;
	FILE *fp;
	int fd;

	(void)state;
	assert_non_null(text);
	/* exactly the limit, all comment: loads */
	memset(text, '-', max);
	text[max] = '\0';
	c = config_load_string(NAME, text, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	config_free(c);
	/* one byte more: refused before Lua sees it */
	strcpy(text + max, "-");
	assert_null(config_load_string(NAME, text, err, sizeof(err)));
	assert_string_equal(err, NAME ": file too large (more than 1024 KiB)");

	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, max + 1, fp), max + 1);
	fclose(fp);
	assert_null(config_load(tmpl, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: file too large (more than 1024 KiB)",
	    tmpl);
	assert_string_equal(err, want);
	/* the limit exactly, from a file */
	assert_int_equal(truncate(tmpl, (off_t)max), 0);
	c = config_load(tmpl, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	config_free(c);
	/* an empty file is an empty configuration */
	assert_int_equal(truncate(tmpl, 0), 0);
	c = config_load(tmpl, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(c->nfilters, 0);
	config_free(c);
	unlink(tmpl);
	free(text);
}

/* test_deep_paths - long "a.b.c..." statements and deep tables: no crash */
static void
test_deep_paths(void **state)
{
	char *text = malloc(600000), err[512];
	struct config *c;
	size_t i, n = 0;

	(void)state;
	assert_non_null(text);
	n += (size_t)sprintf(text + n, "local a = {}\n");
	for (i = 0; i < 20000; i++)
		n += (size_t)sprintf(text + n, "a.b = { b = a.b }\n");
	n += (size_t)sprintf(text + n, "x = {}\nx");
	for (i = 0; i < 10000; i++)
		n += (size_t)sprintf(text + n, ".b");
	sprintf(text + n, " = 1\n");
	c = config_load_string(NAME, text, err, sizeof(err));
	assert_null(c);
	/* x.b.b... = 1 fails at run time: x.b is nil */
	assert_string_equal(err, NAME ":20003: attempt to index a nil value "
	    "(field 'b')");
	/* a path longer than the nesting limit is not followed for lines */
	n = (size_t)sprintf(text, "x = {}\nx.b = x\nx");
	for (i = 0; i < 10000; i++)
		n += (size_t)sprintf(text + n, ".b");
	sprintf(text + n, " = nil\n");
	c = config_load_string(NAME, text, err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, NAME ":1: unknown key 'x'");
	n = (size_t)sprintf(text, "x = {}\nx.b = x\nx");
	for (i = 0; i < 30; i++)
		n += (size_t)sprintf(text + n, ".b");
	sprintf(text + n, ".c = 1\n");
	c = config_load_string(NAME, text, err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, NAME ":3: tables nested too deep (more than "
	    "32 levels, or a table that contains itself)");
	n = (size_t)sprintf(text, "filters = ");
	for (i = 0; i < 150; i++)
		n += (size_t)sprintf(text + n, "{ ");
	for (i = 0; i < 150; i++)
		n += (size_t)sprintf(text + n, "} ");
	c = config_load_string(NAME, text, err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, NAME ":1: tables nested too deep (more than "
	    "32 levels, or a table that contains itself)");
	free(text);
}

static void
test_free_null(void **state)
{
	(void)state;
	config_free(NULL);
}

/* ---------------------------------------------------------------- */
/* The listener's identity keys (config_ident.c).                    */

#define LS "smtp = { { listen = \"127.0.0.1:25\", upstream = \"127.0.0.1:26\",\n"

static const struct { const char *text, *err; } ident_bads[] = {
	{ LS "  xclient = \"yes\" } }\n",
	  NAME ":2: smtp[1].xclient: 'yes' is not one of true, false, \"required\"" },
	{ LS "  xforward_from = \"127.0.0.1\" } }\n",
	  NAME ":2: smtp[1].xforward_from: expected a list of networks, got string" },
	{ LS "  xforward_from = { \"127.0.0.1\", \"localhost\" } } }\n",
	  NAME ":2: smtp[1].xforward_from[2]: 'localhost' is not a numeric IP "
	  "address or network (ADDR or ADDR/BITS)" },
	{ LS "  xforward_from = { \"10.0.0.1/8\" } } }\n",
	  NAME ":2: smtp[1].xforward_from[1]: '10.0.0.1/8': bits set past the "
	  "prefix length" },
	{ LS "  xforward_from = { 127 } } }\n",
	  NAME ":2: smtp[1].xforward_from[1]: expected a network as a string "
	  "(\"ADDR\" or \"ADDR/BITS\"), got number" },
	{ LS "  proxy_protocol = true } }\n",
	  NAME ":1: smtp[1]: proxy_protocol needs proxy_from, the addresses "
	  "allowed to send a PROXY header (e.g. proxy_from = { \"127.0.0.1\" })" },
	{ LS "  proxy_from = { \"127.0.0.1\" } } }\n",
	  NAME ":1: smtp[1]: proxy_from without proxy_protocol = true" },
	{ LS "  proxy_protocol = true, proxy_from = { \"::1/200\" } } }\n",
	  NAME ":2: smtp[1].proxy_from[1]: '::1/200': the prefix length is not "
	  "0 to 128" },
	{ LS "  upstream_proxy_protocol = \"v3\" } }\n",
	  NAME ":2: smtp[1].upstream_proxy_protocol: 'v3' is not one of none, v1, v2" },
};

/* The listener's TLS and AUTH keys (config_tls.c); the certificates
 * themselves are loaded in tests/unit/test_tls and tests/proxy/tls.sh. */
static const struct { const char *text, *err; } tls_bads[] = {
	{ LS "  tls = \"x.pem\" } }\n",
	  NAME ":2: smtp[1].tls: expected a table, got string" },
	{ LS "  tls = { cert = \"x.pem\" } } }\n",
	  NAME ":2: smtp[1].tls: needs cert and key" },
	{ LS "  tls = { cert = \"x.pem\", key = \"x.key\", pem = 1 } } }\n",
	  NAME ":2: unknown key 'pem' in smtp[1].tls" },
	{ LS "  tls = { cert = \"/nonexistent/x.pem\", key = \"/nonexistent/x.key\" } } }\n",
	  NAME ":2: smtp[1].tls: /nonexistent/x.pem: error:80000002:system library::No such file or directory" },
	{ LS "  implicit_tls = true } }\n",
	  NAME ":1: smtp[1]: implicit_tls needs tls = { cert = ..., key = ... }" },
	{ LS "  upstream_tls = \"always\" } }\n",
	  NAME ":2: smtp[1].upstream_tls: 'always' is not one of none, may, encrypt, verify" },
	{ LS "  upstream_tls = \"encrypt\", upstream_name = \"mx\" } }\n",
	  NAME ":1: smtp[1]: upstream_ca and upstream_name go with upstream_tls = \"verify\"" },
	{ LS "  upstream_tls = \"verify\", upstream_ca = \"/nonexistent/ca.pem\" } }\n",
	  NAME ":1: smtp[1].upstream_ca: /nonexistent/ca.pem: error:80000002:system library::No such file or directory" },
	{ LS "  auth_loopback = true } }\n",
	  NAME ":1: smtp[1]: auth_loopback without auth = true" },
	{ LS "  auth = \"yes\" } }\n",
	  NAME ":2: smtp[1].auth: expected true or false, got string" },
};

/* test_tls_keys - every refusal names the file, the line and the key */
static void
test_tls_keys(void **state)
{
	struct config *c;
	char err[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tls_bads) / sizeof(tls_bads[0]); i++) {
		c = config_load_string(NAME, tls_bads[i].text, err, sizeof(err));
		if (c != NULL) {
			config_free(c);
			fail_msg("row %zu loaded, want: %s", i, tls_bads[i].err);
		}
		if (strcmp(err, tls_bads[i].err) != 0)
			fail_msg("row %zu:\n got: %s\nwant: %s", i, err,
			    tls_bads[i].err);
	}
	c = config_load_string(NAME, LS "  upstream_tls = \"verify\", "
	    "upstream_name = \"mx.example.org\", auth = true,\n"
	    "  auth_loopback = true } }\n", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->smtp[0].upstream_tls, CONFIG_UPTLS_VERIFY);
	assert_string_equal(c->smtp[0].upstream_name, "mx.example.org");
	assert_null(c->smtp[0].upstream_ca);
	assert_true(c->smtp[0].auth && c->smtp[0].auth_loopback);
	assert_null(c->smtp[0].tls_cert);
	assert_false(c->smtp[0].implicit_tls);
	config_free(c);
}

/* test_ident - xclient "required", the network lists, the PROXY keys */
static void
test_ident(void **state)
{
	struct config *c;
	char err[1024];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ident_bads) / sizeof(ident_bads[0]); i++) {
		c = config_load_string(NAME, ident_bads[i].text, err, sizeof(err));
		if (c != NULL) {
			config_free(c);
			fail_msg("row %zu loaded, want: %s", i, ident_bads[i].err);
		}
		if (strcmp(err, ident_bads[i].err) != 0)
			fail_msg("row %zu:\n got: %s\nwant: %s", i, err,
			    ident_bads[i].err);
	}
	c = config_load_string(NAME, LS "  xclient = \"required\",\n"
	    "  xforward_from = { \"127.0.0.1\", \"2001:db8::/32\" },\n"
	    "  proxy_protocol = true, proxy_from = { \"192.0.2.0/24\" },\n"
	    "  upstream_proxy_protocol = \"v2\" },\n"
	    "  { listen = \"127.0.0.1:27\", upstream = \"127.0.0.1:26\" } }\n",
	    err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(c->smtp[0].xclient, CONFIG_XCLIENT_REQUIRED);
	assert_true(netlist_match(c->smtp[0].xforward_from, "127.0.0.1"));
	assert_true(netlist_match(c->smtp[0].xforward_from, "2001:db8::5"));
	assert_false(netlist_match(c->smtp[0].xforward_from, "127.0.0.2"));
	assert_int_equal(c->smtp[0].proxy_protocol, 1);
	assert_true(netlist_match(c->smtp[0].proxy_from, "192.0.2.9"));
	assert_int_equal(c->smtp[0].upstream_proxy_protocol, 2);
	/* the defaults */
	assert_int_equal(c->smtp[1].xclient, 0);
	assert_null(c->smtp[1].xforward_from);
	assert_int_equal(c->smtp[1].proxy_protocol, 0);
	assert_null(c->smtp[1].proxy_from);
	assert_int_equal(c->smtp[1].upstream_proxy_protocol, 0);
	config_free(c);
}

/* config_diff_restart: what a reload cannot apply, and nothing else */
static void
test_diff_restart(void **state)
{
	static const struct {
		const char *a, *b, *want;
		size_t n;
	} rows[] = {
		{ "", "", "", 0 },
		{ "filters = {}\n", "actions = { reject = 5 }\n", "", 0 },
		{ "milter = { listen = \"inet:1@127.0.0.1\" }\n",
		  "milter = { listen = \"inet:2@127.0.0.1\" }\n",
		  "milter.listen", 1 },
		{ "smtp = { { listen = \"127.0.0.1:1\", upstream = \"127.0.0.1:2\" } }\n",
		  "smtp = { { listen = \"127.0.0.1:1\", upstream = \"127.0.0.1:3\","
		  " max_sessions = 5 } }\n",
		  "smtp[1].upstream, smtp[1].max_sessions", 2 },
		{ "smtp = { { listen = \"127.0.0.1:1\", upstream = \"127.0.0.1:2\" } }\n",
		  "", "smtp (the number of listeners)", 1 },
		{ "user = \"a\"\nlog = \"/tmp/a.log\"\n",
		  "stats = { listen = \"127.0.0.1:9466\" }\ntimeouts = { idle = 5 }\n",
		  "timeouts.idle, user, log, stats.listen", 4 },
		{ "log_level = \"debug\"\n", "log_level = \"error\"\n", "", 0 },
	};
	char err[1024], buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct config *a = config_load_string(NAME, rows[i].a, err,
		    sizeof(err));
		struct config *b = config_load_string(NAME, rows[i].b, err,
		    sizeof(err));

		assert_non_null(a);
		assert_non_null(b);
		assert_int_equal(config_diff_restart(a, b, buf, sizeof(buf)),
		    rows[i].n);
		assert_string_equal(buf, rows[i].want);
		config_free(a);
		config_free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_good_file),
		cmocka_unit_test(test_spool_default),
		cmocka_unit_test(test_small_err),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_deep_paths),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_ident),
		cmocka_unit_test(test_tls_keys),
		cmocka_unit_test(test_diff_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
