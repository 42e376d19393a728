/*
 * milter_replay - the change list as reply packets (milter_replay.h)
 *
 * Public: milter_replay().
 *
 * Each change needs one action bit of the negotiation (kinds[]); one that
 * was not negotiated fails the whole replay (logged), as does any change
 * that cannot be encoded. Header values go out in the MTA's form
 * (milter_util_header_out(): LF line ends, the leading space as
 * negotiated); addresses in angle brackets. The msg keeps one new body
 * however often it was replaced: it is sent once, at the last replace,
 * in 64 KiB replbody packets. On failure the output buffer is cut back
 * to where it was, so no part of the replay reaches the MTA.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "log.h"
#include "milter_replay.h"
#include "milter_util.h"
#include "tx.h"

#define REPLAY_CHUNK	65535	/* replbody chunk */

/* per change kind: its name for the log and the action it needs */
static const struct {
	const char	*what;
	unsigned long	 act;
} kinds[] = {
	[MSG_ADD_HEADER] =	{ "add header", MILTER_PROTO_ACT_ADDHDRS },
	[MSG_INSERT_HEADER] =	{ "insert header", MILTER_PROTO_ACT_ADDHDRS },
	[MSG_CHANGE_HEADER] =	{ "change header", MILTER_PROTO_ACT_CHGHDRS },
	[MSG_DELETE_HEADER] =	{ "delete header", MILTER_PROTO_ACT_CHGHDRS },
	[MSG_ADD_RCPT] =	{ "add recipient", MILTER_PROTO_ACT_ADDRCPT },
	[MSG_DEL_RCPT] =	{ "delete recipient", MILTER_PROTO_ACT_DELRCPT },
	[MSG_CHANGE_SENDER] =	{ "change sender", MILTER_PROTO_ACT_CHGFROM },
	[MSG_REPLACE_BODY] =	{ "replace body", MILTER_PROTO_ACT_CHGBODY },
	[MSG_QUARANTINE] =	{ "quarantine", MILTER_PROTO_ACT_QUARANTINE },
};

/* esc - untrusted text for the log (per-thread buffer, used at once) */
static const char *
esc(const char *s)
{
	static __thread char buf[512];

	return log_escape(buf, sizeof(buf), s, strlen(s));
}

/* bracket - "<addr>" for the MTA, from a bare or bracketed address */
static const char *
bracket(const char *addr, char *buf, size_t len)
{
	char bare[1024];

	if (addr == NULL)
		addr = "";
	if (tx_addr_strip(addr, bare, sizeof(bare)) == -1)
		snprintf(buf, len, "%s", addr);
	else
		snprintf(buf, len, "<%s>", bare);
	return buf;
}

/* put_body - the replaced body in 64 KiB chunks (one empty chunk for none) */
static int
put_body(const struct msg *m, struct milter_proto_buf *out)
{
	unsigned char *buf;
	off_t off = 0;
	ssize_t n;
	int rc = 0;

	if ((buf = malloc(REPLAY_CHUNK)) == NULL)
		return -1;
	while ((n = msg_new_body_read(m, off, buf, REPLAY_CHUNK)) > 0) {
		if ((rc = milter_proto_put_replbody(out, buf, (size_t)n)) == -1)
			break;
		off += n;
	}
	if (n < 0)
		rc = -1;
	else if (rc == 0 && off == 0)
		rc = milter_proto_put_replbody(out, "", 0);
	free(buf);
	return rc;
}

/* put_change - one change's packet(s); v its header value in the MTA's form */
static int
put_change(const struct msg *m, const struct msg_change *ch, const char *v,
    int body, struct milter_proto_buf *out)
{
	const char *name = ch->name ? ch->name : "";
	char addr[1040];

	switch (ch->kind) {
	case MSG_ADD_HEADER:
		return milter_proto_put_addheader(out, name, v ? v : "");
	case MSG_INSERT_HEADER:
		return milter_proto_put_insheader(out, (uint32_t)ch->index,
		    name, v ? v : "");
	case MSG_CHANGE_HEADER:
		return milter_proto_put_chgheader(out, (uint32_t)ch->index,
		    name, v ? v : "");
	case MSG_DELETE_HEADER:
		return milter_proto_put_chgheader(out, (uint32_t)ch->index,
		    name, NULL);
	case MSG_ADD_RCPT:
		return milter_proto_put_addrcpt(out,
		    bracket(ch->addr, addr, sizeof(addr)));
	case MSG_DEL_RCPT:
		return milter_proto_put_delrcpt(out,
		    bracket(ch->addr, addr, sizeof(addr)));
	case MSG_CHANGE_SENDER:
		return milter_proto_put_chgfrom(out,
		    bracket(ch->addr, addr, sizeof(addr)), ch->value);
	case MSG_REPLACE_BODY:
		/* the msg keeps one new body: send it once */
		return body ? put_body(m, out) : 0;
	case MSG_QUARANTINE:
		return milter_proto_put_quarantine(out,
		    ch->value && *ch->value ? ch->value : "phasegate");
	}
	errno = EINVAL;
	return -1;
}

/* replay_one - change ch, checked and queued; 0 or -1 (logged) */
static int
replay_one(const struct milter_replay *rp, const struct msg *m,
    const struct msg_change *ch, int body, struct milter_proto_buf *out)
{
	const char *what, *by = ch->filter ? esc(ch->filter) : "?";
	char *v = NULL;
	int rc;

	if ((size_t)ch->kind >= sizeof(kinds) / sizeof(kinds[0])) {
		log_warnx("milter: session %s: unknown change %d: message "
		    "deferred", rp->sid, (int)ch->kind);
		return -1;
	}
	what = kinds[ch->kind].what;
	if (!(rp->act & kinds[ch->kind].act)) {
		log_warnx("milter: session %s: %s (by %s) cannot be sent: the "
		    "action was not negotiated with the MTA: message deferred",
		    rp->sid, what, by);
		return -1;
	}
	if (ch->index > 0x7fffffff) {
		log_warnx("milter: session %s: header index %zu out of range",
		    rp->sid, ch->index);
		return -1;
	}
	if (ch->value != NULL && (ch->kind == MSG_ADD_HEADER ||
	    ch->kind == MSG_INSERT_HEADER || ch->kind == MSG_CHANGE_HEADER) &&
	    (v = milter_util_header_out(ch->value, rp->leadspc)) == NULL) {
		log_warn("milter: session %s: changes", rp->sid);
		return -1;
	}
	rc = put_change(m, ch, v, body, out);
	free(v);
	if (rc == -1)
		log_warn("milter: session %s: %s (by %s): message deferred",
		    rp->sid, what, by);
	return rc;
}

int
milter_replay(const struct milter_replay *rp, const struct msg *m,
    struct milter_proto_buf *out)
{
	size_t i, n = msg_change_count(m), last_body = (size_t)-1;
	size_t mark = out->len;

	for (i = 0; i < n; i++)
		if (msg_change_at(m, i)->kind == MSG_REPLACE_BODY)
			last_body = i;
	for (i = 0; i < n; i++)
		if (replay_one(rp, m, msg_change_at(m, i), i == last_body,
		    out) == -1) {
			out->len = mark;
			return -1;
		}
	return 0;
}
