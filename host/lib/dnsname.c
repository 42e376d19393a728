/*
 * dnsname - DNS names for lookups: checks and reversed names
 *
 * Public: dnsname_valid(), dnsname_canon(), dnsname_reverse(),
 * dnsname_ptr(), dnsname_is_addr(). See dnsname.h.
 *
 * Pure: no I/O, no allocation, no global state. Input is untrusted (names
 * come from messages and scripts): every function checks lengths and
 * characters and fails with -1 (or 0) rather than write past dst.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "dnsname.h"

/* label_char - a byte allowed in a label we ask for */
static int
label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
}

int
dnsname_valid(const char *name)
{
	size_t len, i, label = 0;

	if (name == NULL)
		return 0;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNSNAME_MAX - 1)
		return 0;
	for (i = 0; i < len; i++) {
		if (name[i] == '.') {
			if (label == 0)
				return 0;	/* empty label */
			label = 0;
			continue;
		}
		if (!label_char((unsigned char)name[i]) || ++label > 63)
			return 0;
	}
	return label > 0;
}

int
dnsname_canon(const char *name, char *dst, size_t dstlen)
{
	size_t len, i;

	if (!dnsname_valid(name))
		return -1;
	len = strlen(name);
	if (name[len - 1] == '.')
		len--;
	if (len + 1 > dstlen)
		return -1;
	for (i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)name[i]);
	dst[len] = '\0';
	return 0;
}

/* strip_brackets - "[::1]" into buf as "::1"; the string itself otherwise */
static const char *
strip_brackets(const char *s, char *buf, size_t len)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && n - 2 < len) {
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = '\0';
		return buf;
	}
	return s;
}

/*
 * addr_parse - an address into a: 4 (a[0..3]) for IPv4 and for an
 * IPv4-mapped IPv6 address (a client on a dual-stack socket), 6 for
 * IPv6 (a[0..15]), 0 when s is not an address
 */
static int
addr_parse(const char *s, unsigned char a[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };
	char buf[64];

	if (inet_pton(AF_INET, s, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, strip_brackets(s, buf, sizeof(buf)), a) != 1)
		return 0;
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		memmove(a, a + 12, 4);
		return 4;
	}
	return 6;
}

int
dnsname_is_addr(const char *s)
{
	unsigned char a[16];

	return s != NULL ? addr_parse(s, a) : 0;
}

/* reverse_addr - the reversed labels of an address into dst; 4, 6 or -1 */
static int
reverse_addr(const char *s, char *dst, size_t dstlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char a[16];
	size_t i, j = 0;
	int n, v = addr_parse(s, a);

	if (v == 4) {
		n = snprintf(dst, dstlen, "%u.%u.%u.%u", a[3], a[2], a[1], a[0]);
		return n < 0 || (size_t)n >= dstlen ? -1 : 4;
	}
	if (v != 6 || dstlen < 64)
		return -1;
	for (i = 16; i-- > 0; ) {
		dst[j++] = hex[a[i] & 0xf];
		dst[j++] = '.';
		dst[j++] = hex[a[i] >> 4];
		dst[j++] = '.';
	}
	dst[j - 1] = '\0';
	return 6;
}

int
dnsname_reverse(const char *subject, const char *zone, char *dst,
    size_t dstlen)
{
	char z[DNSNAME_MAX], head[DNSNAME_MAX];
	int n;

	if (subject == NULL || dst == NULL || dstlen == 0)
		return -1;
	if (reverse_addr(subject, head, sizeof(head)) == -1 &&
	    dnsname_canon(subject, head, sizeof(head)) == -1)
		return -1;
	if (zone == NULL || zone[0] == '\0')
		n = snprintf(dst, dstlen, "%s", head);
	else {
		if (dnsname_canon(zone, z, sizeof(z)) == -1)
			return -1;
		n = snprintf(dst, dstlen, "%s.%s", head, z);
	}
	if (n < 0 || (size_t)n >= dstlen || (size_t)n >= DNSNAME_MAX)
		return -1;
	return dnsname_valid(dst) ? 0 : -1;
}

int
dnsname_ptr(const char *addr, char *dst, size_t dstlen)
{
	int v = dnsname_is_addr(addr);

	if (v == 0 || dst == NULL)
		return -1;
	return dnsname_reverse(addr, v == 4 ? "in-addr.arpa" : "ip6.arpa",
	    dst, dstlen);
}
