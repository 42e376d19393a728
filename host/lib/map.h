/*
 * map - lists that postmasters edit, looked up by rules: pg.map(path, kind)
 *
 * A map file is lines of "key [value]"; blank lines and lines whose first
 * non-blank is '#' are skipped; the key is the first word, the value the
 * rest of the line without surrounding blanks ("" when none). The last
 * line of a key wins. Kinds:
 *	cidr	IPv4 and IPv6 networks ("192.0.2.0/24", "2001:db8::/32", an
 *		address alone is /32 or /128); the longest prefix that holds
 *		the address matches
 *	domain	a name matches itself and every name under it
 *		("example.com" matches "mx.example.com"); case-insensitive
 *	set	exact strings, case-insensitive
 *	regex	PCRE2 patterns, "/pattern/flags" or a bare pattern (no
 *		blanks: write \s); the first line in file order that matches
 *		anywhere in the subject wins; searched as one regex set (re.h)
 *
 * Maps are shared per process: map_open() of the same path and kind
 * returns the same map. A map is reloaded when its file changes (mtime,
 * size or inode, looked at by a lookup at most once a second), on a helper
 * thread (fiber_offload()), and swapped in whole: a lookup sees the old or
 * the new contents, never a mix. A file that no longer loads (a bad line,
 * deleted, replaced by a directory) keeps the old contents; the reason is
 * logged once per change of the file, as "FILE:LINE: reason".
 *
 * Limits: lines of at most MAP_LINE_MAX bytes, values of at most
 * MAP_VALUE_MAX; no limit on the count of lines (a million-line map
 * loads; its memory is about 100 bytes a line).
 */
#ifndef MAP_H
#define MAP_H

#include <stddef.h>

#define MAP_LINE_MAX	8192
#define MAP_VALUE_MAX	1024

enum map_kind {
	MAP_CIDR,
	MAP_DOMAIN,
	MAP_SET,
	MAP_REGEX
};

struct map;

/* map_kind_parse - "cidr", "domain", "set", "regex"; 0 or -1 */
int		 map_kind_parse(const char *name, enum map_kind *kind);
/*
 * map_open - the process's map of path (absolute) and kind, loaded now
 * when it is new. NULL with "FILE:LINE: reason" (or "FILE: reason") in err
 * when a new map does not load. Never freed (maps live as long as the
 * process).
 */
struct map	*map_open(const char *path, enum map_kind kind, char *err,
		    size_t errlen);
/*
 * map_lookup - the value of the entry that matches key: copied to val
 * (vsize bytes, NUL-terminated, at most MAP_VALUE_MAX + 1 needed); 1 when
 * one matches, 0 when none (an address that does not parse, for cidr,
 * matches nothing), -1 on an internal failure (a regex error, no memory).
 */
int		 map_lookup(struct map *, const char *key, size_t klen,
		    char *val, size_t vsize);
/* map_count - entries in the contents in use */
size_t		 map_count(struct map *);
/* map_generation - how many times the contents were (re)loaded */
unsigned	 map_generation(struct map *);

#endif /* MAP_H */
