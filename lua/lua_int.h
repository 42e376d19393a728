/*
 * lua_int - what the Lua bridge's modules share: the interpreter and
 * bridge state, object boxes and the API name tables. Private to lua/.
 */
#ifndef LUA_INT_H
#define LUA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include <lua.h>
#include <lauxlib.h>

#include <phasegate/plugin.h>

/* Phases a script may register handlers for, in pg.on() names. */
enum lb_phase {
	LB_CONNECT = 0,
	LB_HELO,
	LB_MAIL,
	LB_RCPT,
	LB_DATA,
	LB_HEADER,
	LB_EOH,
	LB_EOM,
	LB_CLOSE,
	LB_NPHASES
};

/* Why an interpreter was stopped. */
enum lb_kill {
	LB_KILL_NONE = 0,
	LB_KILL_TIME,
	LB_KILL_MEM
};

#define LB_POOL_MAX	64		/* interpreters per script */
#define LB_HOOK_COUNT	1000		/* instructions between clock checks */
#define LB_CSTACK_MAX	(64 * 1024)	/* C stack a call may use for nesting */

struct lb_state;

/* One interpreter of a script's pool. */
struct lb_interp {
	struct lb_state	*st;
	lua_State	*L;
	struct lb_interp *next_free;
	size_t		 mem_used;
	size_t		 mem_max;	/* 0: no cap */
	int		 mem_hit;	/* an allocation was refused */
	enum lb_kill	 killed;
	uint64_t	 deadline;	/* monotonic ns; 0: no running call */
	uint64_t	 call;		/* current call id; boxes of other ids are stale */
	int		 in_call;
	int		 loading;	/* running the script's top level */
	int		 last_line;	/* from the hook: where the script was */
	char		 last_src[64];
	struct pg_session *cur_s;	/* session of the running call, for pg.log */
	uintptr_t	 stack_base;	/* C stack address where the call began */
	int		 nhandlers[LB_NPHASES];
	/*
	 * The link field names as this state interned them (lua_mime.c; the
	 * link metatable keeps them alive): a key is found by its pointer.
	 */
	const char	*link_keys[8];
	struct pg_tx	*link_tx;	/* the tx tx:urls() ran on in this call */
	size_t		 link_n;	/* how many links it listed */
	const struct pg_url *link_arr;	/* and their fields (host tx_urls()), or NULL */
};

/*
 * A fiber waiting for a free interpreter: parked, not blocking its worker
 * (a session parked in a DNS lookup holds its interpreter meanwhile).
 */
struct lb_waiter {
	struct fiber	*f;
	struct lb_waiter *next;
	int		 queued;
};

/* One loaded script: a generation's filter state. */
struct lb_state {
	const struct pg_host *host;
	char		*script;	/* absolute path */
	char		*path;		/* require() directories, ";"-separated */
	char		*confdir;	/* the configuration's directory (pg.map) */
	uint64_t	 timeout_ms;
	size_t		 memory_max;
	char		*chunk;		/* the compiled script (lua_dump) */
	size_t		 chunklen;
	int		 nhandlers[LB_NPHASES];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* threads waiting for an interpreter */
	struct lb_waiter *whead, *wtail;	/* fibers waiting for one */
	struct lb_interp *free_list;
	size_t		 ninterp;	/* alive, free or busy */
	size_t		 max_interp;
	size_t		 created;	/* statistics: interpreters ever made */
};

/* A box: the pointer a session/tx/vars userdata holds, valid for one call. */
struct lb_box {
	void		*p;
	uint64_t	 call;
};

/* What pg.accept() and friends return. */
struct lb_verdict {
	int		 v;		/* enum pg_verdict */
	char		 text[];	/* the reply, "" for the default */
};

#define LB_MT_SESSION	"phasegate.session"
#define LB_MT_TX	"phasegate.tx"
#define LB_MT_VARS	"phasegate.vars"
#define LB_MT_REGEX	"phasegate.regex"
#define LB_MT_REGEX_SET	"phasegate.regex_set"
#define LB_MT_VERDICT	"phasegate.verdict"
#define LB_MT_PART	"phasegate.part"
#define LB_MT_LINK	"phasegate.link"

/* lb_interp_of - the interpreter a lua_State (or coroutine) belongs to */
static inline struct lb_interp *
lb_interp_of(lua_State *L)
{
	return *(struct lb_interp **)lua_getextraspace(L);
}

/* lua_bridge.c */
const char	*lb_phase_name(enum lb_phase);
void		 lb_box_push(lua_State *, const char *mt, void *p);
void		*lb_box_check(lua_State *, int idx, const char *mt,
		    const char *what);
/*
 * lb_udata - luaL_checkudata(), but first compared with the metatable at
 * mtidx (a method's upvalue, lua_upvalueindex(1)): no registry lookup in
 * methods that run per link or per line; a function without that upvalue
 * gets luaL_checkudata()
 */
void		*lb_udata(lua_State *, int idx, int mtidx, const char *tname);

/* lua_sandbox.c: the libraries and limits of one interpreter */
#define REG_MODULE	"phasegate.module"	/* the phasegate module, for require */
#define REG_LOADED	"phasegate.loaded"	/* modules require() has loaded */
void		 lb_sandbox_open(lua_State *);
void		*lb_sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
void		 lb_sandbox_hook(lua_State *, lua_Debug *);
void		 lb_sandbox_kill_message(lua_State *, struct lb_interp *);
void		 lb_cstack_check(lua_State *);
void		 lb_deadline_check(lua_State *);
uint64_t	 lb_mono_ns(void);

/* lua_strpat.c: string.find/match/gmatch/gsub into the table at idx */
void		 lb_strpat_open(lua_State *, int idx);

/* lua_pg.c: the phasegate module; leaves it on the stack. */
void		 lb_pg_open(lua_State *);
int		 lb_check_addr(lua_State *, int idx, char *dst, size_t dstlen);
void		 lb_check_header_name(lua_State *, int idx, const char *fn);
void		 lb_check_text(lua_State *, int idx, const char *fn,
		    const char *what);

/* lua_session.c / lua_tx.c / lua_vars.c / lua_regex.c: metatables */
void		 lb_session_open(lua_State *);
void		 lb_session_push(lua_State *, struct pg_session *);
void		 lb_tx_open(lua_State *);
void		 lb_tx_push(lua_State *, struct pg_tx *);
void		 lb_vars_open(lua_State *);
void		 lb_regex_open(lua_State *);
int		 lua_pg_regex(lua_State *);
int		 lua_pg_regex_set(lua_State *);

/* lua_map.c: pg.map */
void		 lb_map_open(lua_State *);
int		 lua_pg_map(lua_State *);
extern const luaL_Reg lb_map_methods[];

/* lua_dns.c: pg.dns.* and pg.dnsbl */
void		 lb_dns_open(lua_State *);
int		 lua_pg_dnsbl(lua_State *);
/* lua_mime.c: message content (tx methods and the part class) */
void		 lb_part_open(lua_State *);
int		 lua_tx_parts(lua_State *);
int		 lua_tx_text(lua_State *);
int		 lua_tx_header_decoded(lua_State *);
int		 lua_tx_subject(lua_State *);
int		 lua_tx_from(lua_State *);
int		 lua_tx_urls(lua_State *);
extern const luaL_Reg lb_part_methods[];
extern const char *const lb_part_fields[];

/* API names, for the docs check: NULL-terminated lists. */
extern const luaL_Reg lb_pg_funcs[];
extern const luaL_Reg lb_log_funcs[];
extern const luaL_Reg lb_store_funcs[];
extern const luaL_Reg lb_dns_funcs[];
extern const luaL_Reg lb_session_methods[];
extern const char *const lb_session_fields[];
extern const luaL_Reg lb_tx_methods[];
extern const char *const lb_tx_fields[];
extern const luaL_Reg lb_regex_methods[];
extern const luaL_Reg lb_regex_set_methods[];
extern const char *const lb_pg_fields[];

#endif /* LUA_INT_H */
