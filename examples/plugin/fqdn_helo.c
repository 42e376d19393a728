/*
 * fqdn_helo - an example phasegate plugin, built out of tree
 *
 * Refuses a HELO/EHLO name that is not a fully qualified domain name or an
 * address literal (as Postfix's reject_non_fqdn_helo_hostname), and stamps
 * every message that passes with "X-Helo-Checked: NAME".
 *
 *   filters = { { plugin = "/path/to/fqdn_helo.so", reply = "504 5.5.2 need a FQDN" } }
 *
 * Build:  cc -shared -fPIC $(pkg-config --cflags phasegate) -o fqdn_helo.so fqdn_helo.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <phasegate/plugin.h>

struct fqdn_state {
	const struct pg_host	*host;
	char			 reply[256];
};

static int
fqdn_init(const struct pg_host *host, const struct pg_options *opts,
    void **state, char *err, size_t errlen)
{
	struct fqdn_state *st;
	const char *reply;
	size_t i;

	if (host->size < sizeof(struct pg_host)) {
		snprintf(err, errlen, "phasegate too old for this plugin");
		return -1;
	}
	for (i = 0; i < host->opt_count(opts); i++)
		if (strcmp(host->opt_key(opts, i), "reply") != 0) {
			snprintf(err, errlen, "unknown option \"%s\"",
			    host->opt_key(opts, i));
			return -1;
		}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return -1;
	st->host = host;
	reply = host->opt_get(opts, "reply");
	snprintf(st->reply, sizeof(st->reply), "%s",
	    reply ? reply : "504 5.5.2 Helo command rejected: need fully-qualified hostname");
	*state = st;
	return 0;
}

static void
fqdn_fini(void *state)
{
	free(state);
}

static enum pg_verdict
fqdn_helo(void *state, struct pg_session *s, const char *name,
    struct pg_reply *r)
{
	struct fqdn_state *st = state;
	size_t len = strlen(name);

	if (len > 2 && name[0] == '[' && name[len - 1] == ']')
		return PG_CONTINUE;		/* an address literal */
	if (strchr(name, '.') != NULL && name[len - 1] != '.' && name[0] != '.')
		return PG_CONTINUE;
	st->host->log(s, PG_LOG_INFO, "HELO %s is not a FQDN", name);
	snprintf(r->text, sizeof(r->text), "%s", st->reply);
	return PG_REJECT;
}

static enum pg_verdict
fqdn_eom(void *state, struct pg_tx *tx, struct pg_reply *r)
{
	struct fqdn_state *st = state;
	const struct pg_host *h = st->host;
	const char *helo = h->session_str(h->tx_session(tx), PG_S_HELO);

	if (h->tx_add_header(tx, "X-Helo-Checked", helo ? helo : "none") == -1) {
		snprintf(r->text, sizeof(r->text), "%s", h->last_error());
		return PG_ERROR;
	}
	return PG_CONTINUE;
}

const struct pg_plugin phasegate_plugin = {
	.abi = PG_PLUGIN_ABI,
	.size = sizeof(struct pg_plugin),
	.name = "fqdn_helo",
	.flags = PG_PLUGIN_F_CHANGES,
	.init = fqdn_init,
	.fini = fqdn_fini,
	.on_helo = fqdn_helo,
	.on_eom = fqdn_eom,
};
