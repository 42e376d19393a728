/*
 * milter_macro - the macros of one milter connection (milter_macro.h)
 *
 * Public: milter_macro_new(), milter_macro_free(), milter_macro_set(),
 * milter_macro_clear(), milter_macro_get(), milter_macro_stage().
 *
 * Each stage keeps a copy of its last 'D' payload and pointers into it
 * (names and values as the decoder split them). Input is the decoder's:
 * bounded (MILTER_PROTO_MACROS_MAX pairs) and NUL-terminated; values are
 * untrusted text that callers escape before they log it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "milter_macro.h"

/* the macros of one stage: a copy of the 'D' payload and pointers into it */
struct stage_macros {
	char		*buf;
	const char	**kv;	/* name, value, ... */
	size_t		 n;	/* pairs */
};

struct milter_macro {
	struct stage_macros	 st[MILTER_PROTO_MAC_N];
};

struct milter_macro *
milter_macro_new(void)
{
	return calloc(1, sizeof(struct milter_macro));
}

void
milter_macro_free(struct milter_macro *mm)
{
	if (mm == NULL)
		return;
	milter_macro_clear(mm, 0);
	free(mm);
}

int
milter_macro_stage(int cmd)
{
	switch (cmd) {
	case MILTER_PROTO_CMD_CONNECT:	return MILTER_PROTO_MAC_CONNECT;
	case MILTER_PROTO_CMD_HELO:	return MILTER_PROTO_MAC_HELO;
	case MILTER_PROTO_CMD_MAIL:	return MILTER_PROTO_MAC_ENVFROM;
	case MILTER_PROTO_CMD_RCPT:	return MILTER_PROTO_MAC_ENVRCPT;
	case MILTER_PROTO_CMD_DATA:	return MILTER_PROTO_MAC_DATA;
	case MILTER_PROTO_CMD_BODYEOB:	return MILTER_PROTO_MAC_EOM;
	case MILTER_PROTO_CMD_EOH:	return MILTER_PROTO_MAC_EOH;
	default:			return -1;
	}
}

/* forget - one stage's macros */
static void
forget(struct stage_macros *m)
{
	free(m->buf);
	free(m->kv);
	memset(m, 0, sizeof(*m));
}

void
milter_macro_clear(struct milter_macro *mm, int from)
{
	int i;

	for (i = from < 0 ? 0 : from; i < MILTER_PROTO_MAC_N; i++)
		forget(&mm->st[i]);
}

int
milter_macro_set(struct milter_macro *mm, const struct milter_proto_cmd *cmd)
{
	struct stage_macros *m;
	size_t i, off;
	int st = milter_macro_stage(cmd->stage);

	if (st < 0)
		return 0;	/* macros for a command we do not read them at */
	if (st == MILTER_PROTO_MAC_CONNECT)
		milter_macro_clear(mm, 0);
	m = &mm->st[st];
	forget(m);
	if (cmd->nmacros == 0)
		return 0;
	if ((m->buf = malloc(cmd->len)) == NULL ||
	    (m->kv = calloc(2 * cmd->nmacros, sizeof(*m->kv))) == NULL) {
		forget(m);
		return -1;
	}
	memcpy(m->buf, cmd->data, cmd->len);
	for (i = 0; i < 2 * cmd->nmacros; i++) {
		off = (size_t)(cmd->macros[i] - cmd->data);
		m->kv[i] = m->buf + off;
	}
	m->n = cmd->nmacros;
	return 0;
}

const char *
milter_macro_get(const struct milter_macro *mm, const char *name)
{
	const char *k;
	char alt[8];
	size_t len, i;
	int st;

	if (name == NULL || *name == '\0')
		return NULL;
	len = strlen(name);
	alt[0] = '\0';
	if (len == 1)
		snprintf(alt, sizeof(alt), "{%s}", name);
	else if (len == 3 && name[0] == '{' && name[2] == '}')
		snprintf(alt, sizeof(alt), "%c", name[1]);
	for (st = MILTER_PROTO_MAC_N - 1; st >= 0; st--)
		for (i = 0; i < mm->st[st].n; i++) {
			k = mm->st[st].kv[2 * i];
			if (strcmp(k, name) == 0 ||
			    (alt[0] != '\0' && strcmp(k, alt) == 0))
				return mm->st[st].kv[2 * i + 1];
		}
	return NULL;
}
