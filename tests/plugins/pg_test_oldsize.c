/*
 * pg_test_oldsize - a plugin built against the first ABI 1 header, before
 * struct pg_plugin had phases(): its descriptor is PG_PLUGIN_SIZE_MIN
 * bytes. The host must load it, derive its phases from its callbacks
 * (helo, rcpt, close) and never read past its size.
 *
 * The old descriptor is followed in the exported object by a function
 * pointer where the new header has phases(): a host that read the member
 * without checking size would call it, and it aborts.
 */
#include <stdlib.h>
#include <string.h>

/* plugin.h declares phasegate_plugin with today's type; ours is older */
#define phasegate_plugin	phasegate_plugin_new_header
#include <phasegate/plugin.h>
#undef phasegate_plugin

/* struct pg_plugin as the first ABI 1 header had it */
struct pg_plugin_v1 {
	uint32_t	 abi;
	uint32_t	 size;
	const char	*name;
	uint32_t	 flags;
	int		(*init)(const struct pg_host *, const struct pg_options *,
			    void **state, char *err, size_t errlen);
	void		(*fini)(void *state);
	enum pg_verdict	(*on_connect)(void *, struct pg_session *,
			    struct pg_reply *);
	enum pg_verdict	(*on_helo)(void *, struct pg_session *, const char *,
			    struct pg_reply *);
	enum pg_verdict	(*on_mail)(void *, struct pg_tx *, const char *,
			    struct pg_reply *);
	enum pg_verdict	(*on_rcpt)(void *, struct pg_tx *, const char *,
			    struct pg_reply *);
	enum pg_verdict	(*on_data)(void *, struct pg_tx *, struct pg_reply *);
	enum pg_verdict	(*on_header)(void *, struct pg_tx *, const char *,
			    const char *, struct pg_reply *);
	enum pg_verdict	(*on_eoh)(void *, struct pg_tx *, struct pg_reply *);
	enum pg_verdict	(*on_eom)(void *, struct pg_tx *, struct pg_reply *);
	void		(*on_close)(void *, struct pg_session *);
};

_Static_assert(sizeof(struct pg_plugin_v1) == PG_PLUGIN_SIZE_MIN,
    "the first ABI 1 descriptor is PG_PLUGIN_SIZE_MIN bytes");

static int
old_init(const struct pg_host *h, const struct pg_options *o, void **st,
    char *err, size_t errlen)
{
	(void)h;
	(void)o;
	(void)err;
	(void)errlen;
	*st = NULL;
	return 0;
}

static enum pg_verdict
old_helo(void *st, struct pg_session *s, const char *name, struct pg_reply *r)
{
	(void)st;
	(void)s;
	if (strcmp(name, "bad.example") == 0) {
		strcpy(r->text, "550 5.7.1 old plugin says no");
		return PG_REJECT;
	}
	return PG_CONTINUE;
}

static enum pg_verdict
old_rcpt(void *st, struct pg_tx *tx, const char *rcpt, struct pg_reply *r)
{
	(void)st;
	(void)tx;
	if (strncmp(rcpt, "nobody@", 7) == 0) {
		strcpy(r->text, "550 5.1.1 no such user");
		return PG_REJECT;
	}
	return PG_CONTINUE;
}

static void
old_close(void *st, struct pg_session *s)
{
	(void)st;
	(void)s;
}

/* what sits where a newer header has phases() */
static uint32_t
trap(void *st)
{
	(void)st;
	abort();
}

const struct {
	struct pg_plugin_v1	 d;
	uint32_t		(*after)(void *);
} phasegate_plugin = {
	.d = {
		.abi = PG_PLUGIN_ABI,
		.size = sizeof(struct pg_plugin_v1),
		.name = "oldsize",
		/* F_BODY without on_eom: the body is not wanted */
		.flags = PG_PLUGIN_F_BODY,
		.init = old_init,
		.on_helo = old_helo,
		.on_rcpt = old_rcpt,
		.on_close = old_close,
	},
	.after = trap,
};
