/*
 * map - runtime-reloaded lookup maps (cidr, domain, set, regex)
 *
 * Public: map_kind_parse(), map_open(), map_lookup(), map_count(),
 * map_generation().
 *
 * The contents of a map (struct data) are immutable once loaded and
 * refcounted: a lookup takes a reference under the map's mutex, searches
 * without it and drops the reference; a reload builds new contents off to
 * the side and swaps the pointer under the mutex, so the last lookup that
 * held the old contents frees them. cidr, domain and set share one open-
 * addressing hash table of byte keys (cidr: family, prefix length and the
 * masked address; lookups try each prefix length the map has, longest
 * first); regex keeps the patterns in file order and one re_set.
 * Keys and values live in chunks of an arena, not a malloc each, so a
 * million-line map is a few large blocks.
 */

#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fiber.h"
#include "log.h"
#include "map.h"
#include "re.h"

#define CHUNK		(1024 * 1024)
#define CHECK_MS	1000
#define KEY_CIDR	18	/* family, length, 16 address bytes */

struct chunk {
	struct chunk	*next;
	size_t		 used, size;
	char		 b[];
};

struct ent {
	const char	*key;		/* NULL: empty slot */
	const char	*val;
	size_t		 klen;
	uint64_t	 h;
};

struct data {
	int		 refs;
	enum map_kind	 kind;
	struct chunk	*chunks;
	struct ent	*tab;
	size_t		 cap, n;
	unsigned char	 len4[33], len6[129];	/* cidr: lengths present */
	struct re	**res;			/* regex, in file order */
	const char	**vals;
	size_t		 nre, capre;
	struct re_set	*set;
};

struct fstamp {
	int		 ok;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	int		 err;		/* errno of a failed stat */
};

struct map {
	struct map	*next;
	char		*path;
	enum map_kind	 kind;
	pthread_mutex_t	 lock;
	struct data	*cur;
	uint64_t	 next_check;
	int		 checking;
	unsigned	 gen;
	struct fstamp	 loaded, failed;
};

static pthread_mutex_t	 reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct map	*maps;

int
map_kind_parse(const char *name, enum map_kind *kind)
{
	static const char *const names[] = { "cidr", "domain", "set", "regex" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0) {
			*kind = (enum map_kind)i;
			return 0;
		}
	return -1;
}

static uint64_t
hash(const char *k, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* arena - n bytes from d's chunks */
static char *
arena(struct data *d, size_t n)
{
	struct chunk *c = d->chunks;
	size_t sz;

	if (c == NULL || c->size - c->used < n) {
		sz = n > CHUNK ? n : CHUNK;
		if ((c = malloc(sizeof(*c) + sz)) == NULL)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = d->chunks;
		d->chunks = c;
	}
	c->used += n;
	return c->b + c->used - n;
}

static char *
arena_str(struct data *d, const char *s, size_t n)
{
	char *p;

	if ((p = arena(d, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
data_free(struct data *d)
{
	struct chunk *c;
	size_t i;

	if (d == NULL)
		return;
	while ((c = d->chunks) != NULL) {
		d->chunks = c->next;
		free(c);
	}
	re_set_free(d->set);
	for (i = 0; i < d->nre; i++)
		re_free(d->res[i]);
	free(d->res);
	free(d->vals);
	free(d->tab);
	free(d);
}

static void
data_unref(struct data *d)
{
	if (d != NULL && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0)
		data_free(d);
}

/* slot - the slot of key in d's table (its own or the empty one to fill) */
static struct ent *
slot(const struct data *d, const char *key, size_t klen, uint64_t h)
{
	size_t i = h & (d->cap - 1);

	for (;; i = (i + 1) & (d->cap - 1)) {
		struct ent *e = &d->tab[i];

		if (e->key == NULL || (e->h == h && e->klen == klen &&
		    memcmp(e->key, key, klen) == 0))
			return e;
	}
}

static int
tab_grow(struct data *d)
{
	struct ent *old = d->tab;
	size_t oldcap = d->cap, i;

	d->cap = oldcap ? oldcap * 2 : 1024;
	if ((d->tab = calloc(d->cap, sizeof(*d->tab))) == NULL) {
		d->tab = old;
		d->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			*slot(d, old[i].key, old[i].klen, old[i].h) = old[i];
	free(old);
	return 0;
}

/* tab_put - key (copied) -> val (arena); the last one wins */
static int
tab_put(struct data *d, const char *key, size_t klen, const char *val)
{
	uint64_t h = hash(key, klen);
	struct ent *e;

	if ((d->n + 1) * 2 > d->cap && tab_grow(d) == -1)
		return -1;
	e = slot(d, key, klen, h);
	if (e->key == NULL) {
		if ((e->key = arena_str(d, key, klen)) == NULL)
			return -1;
		e->klen = klen;
		e->h = h;
		d->n++;
	}
	e->val = val;
	return 0;
}

static const char *
tab_get(const struct data *d, const char *key, size_t klen)
{
	const struct ent *e;

	if (d->cap == 0)
		return NULL;
	e = slot(d, key, klen, hash(key, klen));
	return e->key ? e->val : NULL;
}

/*
 * cidr keys
 */

/* cidr_key - the table key of addr (16 bytes) masked to len */
static void
cidr_key(char out[KEY_CIDR], int v6, const unsigned char *addr, unsigned len)
{
	unsigned i;

	memset(out, 0, KEY_CIDR);
	out[0] = v6 ? 6 : 4;
	out[1] = (char)len;
	for (i = 0; i < (v6 ? 16u : 4u); i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		if (bits >= 8)
			out[2 + i] = (char)addr[i];
		else if (bits > 0)
			out[2 + i] = (char)(addr[i] & (0xff << (8 - bits)));
	}
}

/* parse_addr - an IPv4 or IPv6 address (v4-mapped v6 as v4); 4, 6 or 0 */
static int
parse_addr(const char *s, unsigned char addr[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, addr) == 1) {
		if (memcmp(addr, mapped, 12) == 0) {
			memmove(addr, addr + 12, 4);
			memset(addr + 4, 0, 12);
			return 4;
		}
		return 6;
	}
	return 0;
}

static const char *
add_cidr(struct data *d, char *key, const char *val)
{
	unsigned char addr[16];
	char k[KEY_CIDR], *slash, *end;
	unsigned long len;
	int fam;

	if ((slash = strchr(key, '/')) != NULL)
		*slash = '\0';
	if ((fam = parse_addr(key, addr)) == 0)
		return "not an IPv4 or IPv6 address";
	len = fam == 4 ? 32 : 128;
	if (slash != NULL) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || errno != 0 ||
		    len > (fam == 4 ? 32u : 128u))
			return "bad prefix length";
	}
	cidr_key(k, fam == 6, addr, (unsigned)len);
	if (tab_put(d, k, KEY_CIDR, val) == -1)
		return "out of memory";
	if (fam == 4)
		d->len4[len] = 1;
	else
		d->len6[len] = 1;
	return NULL;
}

/* lower - the lower-case copy of s, without trailing dots; its length */
static size_t
lower(char *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = '\0';
	return n;
}

static const char *
add_name(struct data *d, const char *key, const char *val)
{
	char k[MAP_LINE_MAX + 1];
	size_t n, i;

	n = lower(k, key, strlen(key));
	if (d->kind == MAP_DOMAIN) {
		char *p = k;

		if (p[0] == '*' && p[1] == '.')
			p += 2;
		else if (p[0] == '.')
			p++;
		n -= (size_t)(p - k);
		if (n == 0 || n > 253)
			return "not a domain name";
		for (i = 0; i < n; i++)
			if (!isalnum((unsigned char)p[i]) && strchr("-_.",
			    p[i]) == NULL)
				return "not a domain name";
		return tab_put(d, p, n, val) == -1 ? "out of memory" : NULL;
	}
	return tab_put(d, k, n, val) == -1 ? "out of memory" : NULL;
}

static const char *
add_regex(struct data *d, const char *key, const char *val, char *why,
    size_t whylen)
{
	const char *pat = key, *flags = "", *end;
	size_t plen = strlen(key);
	struct re *re;
	void *p;

	if (key[0] == '/' && (end = strrchr(key + 1, '/')) != NULL) {
		pat = key + 1;
		plen = (size_t)(end - pat);
		flags = end + 1;
	}
	if ((re = re_compile(pat, plen, flags, 0, why, whylen)) == NULL)
		return why;
	if (d->nre == d->capre) {
		d->capre = d->capre ? d->capre * 2 : 16;
		if ((p = realloc(d->res, d->capre * sizeof(*d->res))) == NULL) {
			re_free(re);
			return "out of memory";
		}
		d->res = p;
		if ((p = realloc(d->vals, d->capre * sizeof(*d->vals))) == NULL) {
			re_free(re);
			return "out of memory";
		}
		d->vals = p;
	}
	d->res[d->nre] = re;
	d->vals[d->nre++] = val;
	return NULL;
}

/* add_line - one line's entry; NULL or the reason it is bad */
static const char *
add_line(struct data *d, char *line, size_t len, char *why, size_t whylen)
{
	char *key, *val, *end = line + len;
	const char *v;

	if (memchr(line, '\0', len) != NULL)
		return "a NUL byte";
	while (line < end && isspace((unsigned char)*line))
		line++;
	while (end > line && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	if (line == end || *line == '#')
		return NULL;
	key = line;
	while (line < end && !isspace((unsigned char)*line))
		line++;
	val = line;
	if (line < end) {
		*line = '\0';
		val = line + 1;
		while (val < end && isspace((unsigned char)*val))
			val++;
	}
	if (strlen(val) > MAP_VALUE_MAX)
		return "value too long";
	if ((v = arena_str(d, val, strlen(val))) == NULL)
		return "out of memory";
	switch (d->kind) {
	case MAP_CIDR:
		return add_cidr(d, key, v);
	case MAP_REGEX:
		return add_regex(d, key, v, why, whylen);
	default:
		return add_name(d, key, v);
	}
}

/* parse - the file's bytes into d; -1 with "FILE:LINE: reason" */
static int
parse(struct data *d, const char *path, char *buf, size_t size, char *err,
    size_t errlen)
{
	char why[RE_ERR_MAX];
	const char *bad;
	size_t off = 0, lineno = 0, len;
	char *nl;

	while (off < size) {
		lineno++;
		nl = memchr(buf + off, '\n', size - off);
		len = nl ? (size_t)(nl - (buf + off)) : size - off;
		if (len > MAP_LINE_MAX)
			bad = "line too long";
		else
			bad = add_line(d, buf + off, len, why, sizeof(why));
		if (bad != NULL) {
			snprintf(err, errlen, "%s:%zu: %s", path, lineno, bad);
			return -1;
		}
		off += len + 1;
	}
	if (d->kind == MAP_REGEX && d->nre > 0 &&
	    (d->set = re_set_new(d->res, d->nre, 0)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

/* stamp - what identifies the file's version now */
static void
stamp(const char *path, struct fstamp *s)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st) == -1) {
		s->err = errno;
		return;
	}
	s->ok = 1;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	if (!S_ISREG(st.st_mode))
		s->err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
}

static int
same(const struct fstamp *a, const struct fstamp *b)
{
	return a->ok == b->ok && a->err == b->err && a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* read_all - the whole file; NULL with err */
static char *
read_all(const char *path, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		goto syserr;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto syserr;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto syserr;
	while (got < (size_t)st.st_size &&
	    (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	*size = got;
	return buf;
syserr:
	snprintf(err, errlen, "%s: %s", path, errno == EINVAL ?
	    "not a regular file" : strerror(errno));
	if (fd != -1)
		close(fd);
	free(buf);
	return NULL;
}

struct load {
	const char	*path;
	enum map_kind	 kind;
	struct data	*d;
	char		*err;
	size_t		 errlen;
};

/* load - read and parse a map (on a helper thread from a fiber) */
static void
load(void *arg)
{
	struct load *l = arg;
	struct data *d;
	size_t size;
	char *buf;

	l->d = NULL;
	if ((buf = read_all(l->path, &size, l->err, l->errlen)) == NULL)
		return;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(l->err, l->errlen, "%s: out of memory", l->path);
		free(buf);
		return;
	}
	d->kind = l->kind;
	d->refs = 1;
	if (parse(d, l->path, buf, size, l->err, l->errlen) == -1)
		data_free(d);
	else
		l->d = d;
	free(buf);
}

/* reload - look at the file; load and swap in a changed one */
static void
reload(struct map *m)
{
	struct fstamp now;
	struct data *old;
	struct load l;
	char err[512];

	stamp(m->path, &now);
	if (same(&now, &m->loaded) || same(&now, &m->failed))
		return;
	l.path = m->path;
	l.kind = m->kind;
	l.err = err;
	l.errlen = sizeof(err);
	fiber_offload(load, &l);
	pthread_mutex_lock(&m->lock);
	if (l.d == NULL) {
		m->failed = now;
		pthread_mutex_unlock(&m->lock);
		log_warnx("map %s; keeping the old map", err);
		return;
	}
	old = m->cur;
	m->cur = l.d;
	m->loaded = now;
	m->gen++;
	pthread_mutex_unlock(&m->lock);
	data_unref(old);
	log_info("map %s: reloaded", m->path);
}

/* find - the registered map of path and kind (reg_lock held) */
static struct map *
find(const char *path, enum map_kind kind)
{
	struct map *m;

	for (m = maps; m; m = m->next)
		if (m->kind == kind && strcmp(m->path, path) == 0)
			break;
	return m;
}

/*
 * The registry lock is never held across the load (a fiber parks in
 * fiber_offload(), and its worker must not block on the lock meanwhile):
 * two first opens of one map may both load it; the second one's copy is
 * dropped.
 */
struct map *
map_open(const char *path, enum map_kind kind, char *err, size_t errlen)
{
	struct map *m, *had;
	struct load l;

	pthread_mutex_lock(&reg_lock);
	m = find(path, kind);
	pthread_mutex_unlock(&reg_lock);
	if (m != NULL)
		return m;
	l.path = path;
	l.kind = kind;
	l.err = err;
	l.errlen = errlen;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	stamp(path, &m->loaded);
	fiber_offload(load, &l);
	if (l.d == NULL) {
		free(m->path);
		free(m);
		return NULL;
	}
	m->kind = kind;
	m->cur = l.d;
	m->gen = 1;
	m->next_check = clock_ms() + CHECK_MS;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_lock(&reg_lock);
	if ((had = find(path, kind)) != NULL) {
		pthread_mutex_unlock(&reg_lock);
		data_unref(m->cur);
		pthread_mutex_destroy(&m->lock);
		free(m->path);
		free(m);
		return had;
	}
	m->next = maps;
	maps = m;
	pthread_mutex_unlock(&reg_lock);
	return m;
}

/* acquire - the contents in use, referenced; a reload first when due */
static struct data *
acquire(struct map *m)
{
	uint64_t t = clock_ms();
	struct data *d;
	int check = 0;

	pthread_mutex_lock(&m->lock);
	if (t >= m->next_check && !m->checking) {
		m->checking = check = 1;
		m->next_check = t + CHECK_MS;
	}
	pthread_mutex_unlock(&m->lock);
	if (check) {
		reload(m);
		pthread_mutex_lock(&m->lock);
		m->checking = 0;
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	d = m->cur;
	__atomic_add_fetch(&d->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&m->lock);
	return d;
}

static const char *
find_cidr(const struct data *d, const char *key, size_t klen)
{
	unsigned char addr[16];
	char s[INET6_ADDRSTRLEN + 1], k[KEY_CIDR];
	const char *v;
	int fam, len;

	if (klen >= sizeof(s))
		return NULL;
	memcpy(s, key, klen);
	s[klen] = '\0';
	if ((fam = parse_addr(s, addr)) == 0)
		return NULL;
	for (len = fam == 4 ? 32 : 128; len >= 0; len--) {
		if (!(fam == 4 ? d->len4[len] : d->len6[len]))
			continue;
		cidr_key(k, fam == 6, addr, (unsigned)len);
		if ((v = tab_get(d, k, KEY_CIDR)) != NULL)
			return v;
	}
	return NULL;
}

static const char *
find_name(const struct data *d, const char *key, size_t klen)
{
	char k[MAP_LINE_MAX + 1];
	const char *p, *v;
	size_t n;

	if (klen > MAP_LINE_MAX)
		return NULL;
	n = lower(k, key, klen);
	if (d->kind == MAP_SET)
		return tab_get(d, k, n);
	for (p = k; n > 0; ) {
		if ((v = tab_get(d, p, n)) != NULL)
			return v;
		const char *dot = memchr(p, '.', n);

		if (dot == NULL)
			break;
		n -= (size_t)(dot + 1 - p);
		p = dot + 1;
	}
	return NULL;
}

/* find_regex - the first pattern in file order that matches; -1 on error */
static int
find_regex(const struct data *d, const char *key, size_t klen, const char **v)
{
	unsigned char stack[256], *hit = stack;
	size_t i;
	int rc;

	*v = NULL;
	if (d->nre == 0)
		return 0;
	if (d->nre > sizeof(stack) && (hit = malloc(d->nre)) == NULL)
		return -1;
	if ((rc = re_set_match(d->set, key, klen, 0, hit, NULL)) > 0)
		for (i = 0; i < d->nre; i++)
			if (hit[i]) {
				*v = d->vals[i];
				break;
			}
	if (hit != stack)
		free(hit);
	return rc < 0 ? -1 : 0;
}

int
map_lookup(struct map *m, const char *key, size_t klen, char *val,
    size_t vsize)
{
	struct data *d = acquire(m);
	const char *v = NULL;
	int rc = 0;

	switch (d->kind) {
	case MAP_CIDR:
		v = find_cidr(d, key, klen);
		break;
	case MAP_REGEX:
		rc = find_regex(d, key, klen, &v);
		break;
	default:
		v = find_name(d, key, klen);
	}
	if (v != NULL && vsize > 0) {
		snprintf(val, vsize, "%s", v);
		rc = 1;
	}
	data_unref(d);
	return rc;
}

size_t
map_count(struct map *m)
{
	struct data *d = acquire(m);
	size_t n = d->kind == MAP_REGEX ? d->nre : d->n;

	data_unref(d);
	return n;
}

unsigned
map_generation(struct map *m)
{
	unsigned g;

	pthread_mutex_lock(&m->lock);
	g = m->gen;
	pthread_mutex_unlock(&m->lock);
	return g;
}
