/*
 * tx - one mail transaction: envelope, message, scores
 *
 * Public: tx_new(), tx_free(), the accessors in tx.h, tx_addr_strip().
 * Owns copies of every string it is given and the msg; the session is not
 * owned. One thread at a time. Functions returning int return 0, or -1
 * with errno (ENOMEM, EINVAL for an address that is not one or a bad
 * score, ENOENT for a recipient that is not there); a failed call leaves
 * the tx as it was.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "tx.h"
#include "xmalloc.h"

struct pg_tx {
	struct pg_session *s;
	struct msg	*msg;
	char		*id;
	char		*sender;
	char		*sender_args;
	char		**rcpts;
	size_t		 nrcpts;
	size_t		 rcap;
	struct tx_score	*scores;
	size_t		 nscores;
	size_t		 scap;
	double		 total;
	void		*content;
	void		(*content_free)(void *);
};

struct pg_tx *
tx_new(struct pg_session *s, const struct msg_limits *lim)
{
	struct msg_limits def;
	struct pg_tx *tx;

	if (lim == NULL) {
		msg_limits_default(&def);
		lim = &def;
	}
	if ((tx = pg_calloc(1, sizeof(*tx))) == NULL)
		return NULL;
	tx->s = s;
	if ((tx->msg = msg_new(lim)) == NULL ||
	    (tx->sender = pg_strdup("")) == NULL) {
		tx_free(tx);
		errno = ENOMEM;
		return NULL;
	}
	return tx;
}

void
tx_free(struct pg_tx *tx)
{
	size_t i;

	if (tx == NULL)
		return;
	/* the content points into the message: free it first */
	if (tx->content != NULL && tx->content_free != NULL)
		tx->content_free(tx->content);
	msg_free(tx->msg);
	free(tx->id);
	free(tx->sender);
	free(tx->sender_args);
	for (i = 0; i < tx->nrcpts; i++)
		free(tx->rcpts[i]);
	free(tx->rcpts);
	for (i = 0; i < tx->nscores; i++) {
		free(tx->scores[i].symbol);
		free(tx->scores[i].detail);
		free(tx->scores[i].filter);
	}
	free(tx->scores);
	free(tx);
}

void *
tx_content(struct pg_tx *tx)
{
	return tx->content;
}

void
tx_set_content(struct pg_tx *tx, void *p, void (*free_fn)(void *))
{
	if (tx->content != NULL && tx->content != p && tx->content_free != NULL)
		tx->content_free(tx->content);
	tx->content = p;
	tx->content_free = free_fn;
}

struct pg_session *
tx_session(struct pg_tx *tx)
{
	return tx->s;
}

struct msg *
tx_msg(struct pg_tx *tx)
{
	return tx->msg;
}

const char *
tx_id(struct pg_tx *tx)
{
	return tx->id;
}

int
tx_set_id(struct pg_tx *tx, const char *id)
{
	char *p = NULL;

	if (id != NULL && (p = pg_strdup(id)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	free(tx->id);
	tx->id = p;
	return 0;
}

const char *
tx_sender(struct pg_tx *tx)
{
	return tx->sender;
}

const char *
tx_sender_args(struct pg_tx *tx)
{
	return tx->sender_args;
}

int
tx_set_sender(struct pg_tx *tx, const char *addr, const char *args)
{
	char buf[1024], *a, *g = NULL;

	if (tx_addr_strip(addr ? addr : "", buf, sizeof(buf)) == -1)
		return -1;
	if ((a = pg_strdup(buf)) == NULL ||
	    (args != NULL && *args != '\0' && (g = pg_strdup(args)) == NULL)) {
		free(a);
		return -1;
	}
	free(tx->sender);
	free(tx->sender_args);
	tx->sender = a;
	tx->sender_args = g;
	return 0;
}

size_t
tx_rcpt_count(struct pg_tx *tx)
{
	return tx->nrcpts;
}

const char *
tx_rcpt(struct pg_tx *tx, size_t i)
{
	return i < tx->nrcpts ? tx->rcpts[i] : NULL;
}

int
tx_add_rcpt(struct pg_tx *tx, const char *addr)
{
	char buf[1024], *p;

	if (tx_addr_strip(addr, buf, sizeof(buf)) == -1)
		return -1;
	if (buf[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	if (tx->nrcpts == tx->rcap) {
		size_t n = tx->rcap ? tx->rcap * 2 : 8;
		char **r = pg_realloc(tx->rcpts, n * sizeof(*r));

		if (r == NULL)
			return -1;
		tx->rcpts = r;
		tx->rcap = n;
	}
	if ((p = pg_strdup(buf)) == NULL)
		return -1;
	tx->rcpts[tx->nrcpts++] = p;
	return 0;
}

int
tx_del_rcpt(struct pg_tx *tx, const char *addr)
{
	char buf[1024];
	size_t i;

	if (tx_addr_strip(addr, buf, sizeof(buf)) == -1)
		return -1;
	for (i = tx->nrcpts; i-- > 0; ) {
		if (strcmp(tx->rcpts[i], buf) != 0)
			continue;
		free(tx->rcpts[i]);
		memmove(&tx->rcpts[i], &tx->rcpts[i + 1],
		    (tx->nrcpts - i - 1) * sizeof(*tx->rcpts));
		tx->nrcpts--;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

/* has_detail - whether list ("a; b; c") holds d as one of its items */
static int
has_detail(const char *list, const char *d)
{
	size_t n = strlen(d);
	const char *p;

	for (p = list; p != NULL; p = strstr(p, "; "), p = p ? p + 2 : NULL)
		if (strncmp(p, d, n) == 0 && (p[n] == '\0' ||
		    strncmp(p + n, "; ", 2) == 0))
			return 1;
	return 0;
}

/*
 * score_again - a symbol scored a second time counts once (as rspamd and
 * SpamAssassin count a rule once): the score farthest from zero wins, with
 * its filter; the details are kept, joined with "; " up to TX_DETAIL_MAX.
 */
static int
score_again(struct pg_tx *tx, struct tx_score *sc, double points,
    const char *detail, const char *filter)
{
	char *d, *f;
	size_t ol, nl;

	if (detail != NULL && *detail != '\0' && (sc->detail == NULL ||
	    !has_detail(sc->detail, detail))) {
		ol = sc->detail ? strlen(sc->detail) : 0;
		nl = strlen(detail);
		if (ol + 2 + nl <= TX_DETAIL_MAX) {
			if ((d = pg_realloc(sc->detail, ol + nl + 3)) == NULL)
				return -1;
			if (ol == 0)
				memcpy(d, detail, nl + 1);
			else
				snprintf(d + ol, nl + 3, "; %s", detail);
			sc->detail = d;
		}
	}
	if (fabs(points) <= fabs(sc->points))
		return 0;
	if (filter != NULL) {
		if ((f = pg_strdup(filter)) == NULL)
			return -1;
		free(sc->filter);
		sc->filter = f;
	}
	tx->total += points - sc->points;
	sc->points = points;
	return 0;
}

int
tx_score_add(struct pg_tx *tx, double points, const char *symbol,
    const char *detail, const char *filter)
{
	struct tx_score *sc;
	const char *p;
	size_t i;

	if (symbol == NULL || *symbol == '\0' || strlen(symbol) > 128 ||
	    points != points || points > 1e9 || points < -1e9) {
		errno = EINVAL;
		return -1;
	}
	for (p = symbol; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '.')) {
			errno = EINVAL;
			return -1;
		}
	for (i = 0; i < tx->nscores; i++)
		if (strcmp(tx->scores[i].symbol, symbol) == 0)
			return score_again(tx, &tx->scores[i], points, detail,
			    filter);
	if (tx->nscores == tx->scap) {
		size_t n = tx->scap ? tx->scap * 2 : 8;
		struct tx_score *r = pg_realloc(tx->scores, n * sizeof(*r));

		if (r == NULL)
			return -1;
		tx->scores = r;
		tx->scap = n;
	}
	sc = &tx->scores[tx->nscores];
	memset(sc, 0, sizeof(*sc));
	sc->points = points;
	if ((sc->symbol = pg_strdup(symbol)) == NULL ||
	    (detail != NULL && (sc->detail = pg_strdup(detail)) == NULL) ||
	    (filter != NULL && (sc->filter = pg_strdup(filter)) == NULL)) {
		free(sc->symbol);
		free(sc->detail);
		return -1;
	}
	tx->nscores++;
	tx->total += points;
	return 0;
}

size_t
tx_score_count(struct pg_tx *tx)
{
	return tx->nscores;
}

const struct tx_score *
tx_score_at(struct pg_tx *tx, size_t i)
{
	return i < tx->nscores ? &tx->scores[i] : NULL;
}

double
tx_score_total(struct pg_tx *tx)
{
	return tx->total;
}

int
tx_addr_strip(const char *addr, char *dst, size_t dstlen)
{
	const char *p = addr, *end;
	size_t len, i;
	int quoted = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end > p && *p == '<') {
		if (end[-1] != '>')
			goto bad;
		p++;
		end--;
	} else if (end > p && end[-1] == '>')
		goto bad;
	len = end - p;
	if (len >= dstlen)
		goto bad;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '"')
			quoted = !quoted;
		else if (c == '\\' && quoted && i + 1 < len)
			i++;
		else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' ||
		    (!quoted && (c == ' ' || c == '\t' || c == ',')))
			goto bad;
	}
	if (quoted)
		goto bad;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
