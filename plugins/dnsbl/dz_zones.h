/*
 * dz_zones - the dnsbl plugin's zones file: read and check it, match
 * return codes, make replies
 *
 * Public: dz_zones_load(), dz_zones_free(), dz_code_match(),
 * dz_code_valid(), dz_reply(), and the types below. The file is trusted
 * configuration but checked strictly: every error is "FILE:LINE: reason".
 * A loaded set is read-only until dz_zones_free(), so any number of
 * threads use it at once. Allocation is failable (malloc).
 */
#ifndef DZ_ZONES_H
#define DZ_ZONES_H

#include <stddef.h>
#include <stdint.h>

#define DZ_REPLY_MAX	500	/* a reply line, below RFC 5321's 512 */
#define DZ_TXT_MAX	200	/* bytes of a list's TXT put into a reply */

/* What a rule asks the list about. */
enum dz_target {
	DZ_CLIENT = 0,	/* the client's address (at connect, or at RCPT) */
	DZ_HELO,	/* the HELO/EHLO name */
	DZ_SENDER,	/* the envelope sender's domain */
	DZ_BODY,	/* host names found in the body (URIBL), at end of data */
	DZ_NTARGETS
};

enum dz_action {
	DZ_SCORE = 0,
	DZ_REJECT,
	DZ_TEMPFAIL
};

/* One code range: lo..hi (host order), or with mask, last octet & mask != 0. */
struct dz_range {
	uint32_t	 lo, hi;
	unsigned	 mask;
};

struct dz_rule {
	int		 line;
	enum dz_target	 target;
	char		*zone;		/* canonical: lower case, no final dot */
	int		 any;		/* every valid code matches */
	struct dz_range	*ranges;
	size_t		 nranges;
	enum dz_action	 action;
	double		 score;		/* DZ_SCORE */
	char		*symbol;	/* DZ_SCORE */
	char		*text;		/* reply template: "554 5.7.1 ... $subject ..." */
};

/* A loaded zones file. */
struct dz_zones {
	struct dz_rule	*rules;
	size_t		 nrules;
	/* the distinct zones of each target, each asked once per subject */
	char		**zones[DZ_NTARGETS];
	size_t		 nzones[DZ_NTARGETS];
};

/* dz_zones_load - read file into zs (zeroed first); 0, or -1 with err */
int		 dz_zones_load(struct dz_zones *zs, const char *file, char *err,
		    size_t errlen);
void		 dz_zones_free(struct dz_zones *zs);	/* zs itself is not freed */

/*
 * dz_code_valid - whether a list's answer can be a listing at all: an
 * IPv4 address in 127.0.0.0/8, not 127.0.0.0, 127.0.0.1 (a dead,
 * wildcarded list) nor in 127.255.255.0/24 (the lists' error codes)
 */
int		 dz_code_valid(const char *code);
/* dz_code_match - whether code is one rule r counts (and is valid) */
int		 dz_code_match(const struct dz_rule *r, const char *code);

/*
 * dz_reply - r's reply with $subject, $zone, $code and $txt put in (txt
 * may be NULL; its control characters become spaces, at most DZ_TXT_MAX
 * bytes of it are used) into out; truncated at DZ_REPLY_MAX bytes.
 */
void		 dz_reply(const struct dz_rule *r, const char *subject,
		    const char *code, const char *txt, char *out, size_t len);

#endif /* DZ_ZONES_H */
