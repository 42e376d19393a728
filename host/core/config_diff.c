/*
 * config_diff - the settings a SIGHUP reload cannot apply (config_diff.h)
 *
 * Public: config_diff_restart().
 *
 * serve keeps its front ends (listeners, their limits and timeouts) from
 * the configuration it started with, bound as root before it dropped
 * privileges; a reload publishes a new chain generation (filters, actions,
 * spool, DNS, MIME limits) and nothing else. This module names what a
 * reload would have changed but did not, for the log ("restart needed:").
 * Pure: compares two loaded configurations, allocates nothing.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_diff.h"

/* a list of key names being built */
struct keys {
	char	*buf;
	size_t	 len, o, n;
};

/* add - one more key that differs */
static void
add(struct keys *k, const char *key)
{
	int w;

	k->n++;
	if (k->len == 0 || k->o + 1 >= k->len)
		return;
	w = snprintf(k->buf + k->o, k->len - k->o, "%s%s", k->o ? ", " : "",
	    key);
	if (w < 0)
		return;
	if ((size_t)w >= k->len - k->o) {
		k->o = k->len - 1;
		if (k->len > 4)
			memcpy(k->buf + k->len - 4, "...", 4);
		return;
	}
	k->o += w;
}

/* differ - two optional strings differ */
static int
differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* smtp - the listeners, one by one */
static void
smtp(struct keys *k, const struct config *a, const struct config *b)
{
	char key[64];
	size_t i;

	if (a->nsmtp != b->nsmtp) {
		add(k, "smtp (the number of listeners)");
		return;
	}
	for (i = 0; i < a->nsmtp; i++) {
		const struct config_smtp *x = &a->smtp[i], *y = &b->smtp[i];

#define SMTP_KEY(cond, name) do {					\
		if (cond) {						\
			snprintf(key, sizeof(key), "smtp[%zu].%s", i + 1, name); \
			add(k, key);					\
		}							\
	} while (0)
		SMTP_KEY(differ(x->listen, y->listen), "listen");
		SMTP_KEY(differ(x->upstream, y->upstream), "upstream");
		SMTP_KEY(x->xclient != y->xclient, "xclient");
		SMTP_KEY(x->received != y->received, "received");
		SMTP_KEY(x->max_message_size != y->max_message_size,
		    "max_message_size");
		SMTP_KEY(x->max_recipients != y->max_recipients,
		    "max_recipients");
		SMTP_KEY(x->max_hops != y->max_hops, "max_hops");
		SMTP_KEY(x->max_sessions != y->max_sessions, "max_sessions");
		SMTP_KEY(x->max_sessions_per_client !=
		    y->max_sessions_per_client, "max_sessions_per_client");
		SMTP_KEY(x->hard_error_limit != y->hard_error_limit,
		    "hard_error_limit");
		SMTP_KEY(x->junk_command_limit != y->junk_command_limit,
		    "junk_command_limit");
		SMTP_KEY(x->bare_newline != y->bare_newline, "bare_newline");
		/* the certificate files are read again; which ones is kept */
		SMTP_KEY(differ(x->tls_cert, y->tls_cert) ||
		    differ(x->tls_key, y->tls_key) ||
		    differ(x->tls_ciphers, y->tls_ciphers) ||
		    x->ntls_sni != y->ntls_sni, "tls");
		SMTP_KEY(x->implicit_tls != y->implicit_tls, "implicit_tls");
		SMTP_KEY(x->upstream_tls != y->upstream_tls ||
		    differ(x->upstream_ca, y->upstream_ca) ||
		    differ(x->upstream_name, y->upstream_name), "upstream_tls");
		SMTP_KEY(x->auth != y->auth || x->auth_loopback !=
		    y->auth_loopback, "auth");
#undef SMTP_KEY
	}
}

size_t
config_diff_restart(const struct config *a, const struct config *b,
    char *buf, size_t len)
{
	struct keys k = { buf, len, 0, 0 };

	if (len > 0)
		buf[0] = '\0';
	if (differ(a->milter_listen, b->milter_listen))
		add(&k, "milter.listen");
	smtp(&k, a, b);
	if (a->timeout_command_ms != b->timeout_command_ms)
		add(&k, "timeouts.command");
	if (a->timeout_data_ms != b->timeout_data_ms)
		add(&k, "timeouts.data");
	if (a->data_rate_min != b->data_rate_min)
		add(&k, "timeouts.data_rate_min");
	if (a->timeout_idle_ms != b->timeout_idle_ms)
		add(&k, "timeouts.idle");
	if (a->timeout_upstream_ms != b->timeout_upstream_ms)
		add(&k, "timeouts.upstream");
	if (differ(a->user, b->user))
		add(&k, "user");
	if (a->log_syslog != b->log_syslog || differ(a->log_file, b->log_file))
		add(&k, "log");
	if (differ(a->stats_listen, b->stats_listen))
		add(&k, "stats.listen");
	return k.n;
}
