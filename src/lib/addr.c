/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Copies at most a few dozen bytes of untrusted text for a message, replacing anything
 * unprintable, so a hostile record or reply cannot inject lines into the log. */
static const char *quote(const char *s, size_t len, char *out, size_t outlen)
{
	size_t max = len < outlen - 4 ? len : outlen - 4, j = 0;

	for (size_t i = 0; i < max; i++)
		out[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (max < len)
		out[j++] = '.', out[j++] = '.', out[j++] = '.';
	out[j] = '\0';
	return out;
}

/* Plain decimal: no sign, blanks or "+" (which strtoul would take), at most max. */
static int parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* inet_pton takes literals only (no names, no zones, no octal or short IPv4 forms),
 * which is what Go's net.ParseIP accepts too. */
static int literal(const char *h, size_t hlen, int family, union sm_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];

	if (hlen == 0 || hlen >= sizeof(host) || memchr(h, '\0', hlen))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (family != AF_INET6 && inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		return 0;
	}
	if (family != AF_INET && inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static const char *fam_word(int family)
{
	return family == AF_INET ? "an IPv4" : family == AF_INET6 ? "an IPv6" : "an IP";
}

int addr_parse(const char *s, size_t n, int family, unsigned flags, union sm_addr *out,
	       struct errbuf *e)
{
	union sm_addr a;
	const char *h = s, *p = NULL, *close = n ? memchr(s, ']', n) : NULL;
	size_t hlen = n;
	uint64_t port = 0, scope = 0;
	char q[72];

	memset(&a, 0, sizeof(a));
	if (n && s[0] == '[') {
		if (!close)
			return err_set(e, -EINVAL, "'%s': no closing ']'", quote(s, n, q, sizeof(q)));
		h = s + 1;
		hlen = (size_t)(close - h);
		if (!(flags & ADDR_NO_PORT)) {
			if (close + 1 >= s + n || close[1] != ':')
				return err_set(e, -EINVAL, "'%s' is not [ipv6]:port",
					       quote(s, n, q, sizeof(q)));
			p = close + 2;
		} else if (close + 1 != s + n) {
			return err_set(e, -EINVAL, "'%s': text after ']'", quote(s, n, q, sizeof(q)));
		}
		const char *pct = memchr(h, '%', hlen);

		if (pct) {
			/* only numeric zones: a zone name needs an interface lookup */
			if (!(flags & ADDR_ZONE) ||
			    parse_dec(pct + 1, hlen - (size_t)(pct - h) - 1, UINT32_MAX, &scope))
				return err_set(e, -EINVAL, "'%s': zone not accepted here",
					       quote(s, n, q, sizeof(q)));
			hlen = (size_t)(pct - h);
		}
		if (literal(h, hlen, AF_INET6, &a) || family == AF_INET)
			goto not_ip;
		a.in6.sin6_scope_id = (uint32_t)scope;
	} else if (!(flags & ADDR_NO_PORT)) {
		const char *colon = NULL;

		for (size_t i = 0; i < n; i++)
			if (s[i] == ':')
				colon = s + i;
		if (!colon)
			return err_set(e, -EINVAL, "'%s' is not %s address with a port",
				       quote(s, n, q, sizeof(q)), fam_word(family));
		hlen = (size_t)(colon - s);
		p = colon + 1;
		/* an IPv6 literal with a port must be bracketed */
		if (family == AF_INET6 || literal(h, hlen, AF_INET, &a))
			goto not_ip;
	} else if (literal(h, hlen, family, &a)) {
		goto not_ip;
	}
	if (p) {
		size_t plen = n - (size_t)(p - s);

		bool digits = plen > 0;

		for (size_t i = 0; i < plen; i++)
			digits = digits && p[i] >= '0' && p[i] <= '9';
		if (!digits)
			return err_set(e, -EINVAL, "'%s': bad port", quote(s, n, q, sizeof(q)));
		if (parse_dec(p, plen, 65535, &port) || (port == 0 && !(flags & ADDR_PORT0)))
			return err_set(e, -EINVAL, "'%s': port out of range %s-65535",
				       quote(s, n, q, sizeof(q)), flags & ADDR_PORT0 ? "0" : "1");
		addr_set_port(&a, (uint16_t)port);
	}
	*out = a;
	return 0;
not_ip:
	return err_set(e, -EINVAL, "'%s': host is not %s literal", quote(s, n, q, sizeof(q)),
		       fam_word(family));
}

int addr_split_hostport(const char *s, size_t n, char *host, size_t cap, uint16_t *port,
			struct errbuf *e)
{
	const char *h = s, *colon = NULL;
	size_t hlen;
	uint64_t p;
	char q[72];

	if (n && s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (!end || end + 1 >= s + n || end[1] != ':')
			return err_set(e, -EINVAL, "'%s': expected [address]:port",
				       quote(s, n, q, sizeof(q)));
		h = s + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		for (size_t i = 0; i < n; i++)
			if (s[i] == ':') {
				if (colon)
					return err_set(e, -EINVAL,
						       "'%s': write IPv6 addresses as [address]:port",
						       quote(s, n, q, sizeof(q)));
				colon = s + i;
			}
		if (!colon)
			return err_set(e, -EINVAL, "'%s': missing port (host:port)",
				       quote(s, n, q, sizeof(q)));
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0)
		return err_set(e, -EINVAL, "'%s': empty host", quote(s, n, q, sizeof(q)));
	if (hlen >= cap || memchr(h, '\0', hlen))
		return err_set(e, -EINVAL, "'%s': host name too long", quote(s, n, q, sizeof(q)));
	if (parse_dec(colon + 1, n - (size_t)(colon + 1 - s), 65535, &p) || p == 0)
		return err_set(e, -EINVAL, "'%s': port must be 1-65535", quote(s, n, q, sizeof(q)));
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)p;
	return 0;
}

const char *addr_format(const union sm_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	switch (a->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &a->in.sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(a->in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &a->in6.sin6_addr, ip, sizeof(ip));
		if (a->in6.sin6_scope_id)
			snprintf(buf, len, "[%s%%%u]:%u", ip, a->in6.sin6_scope_id,
				 ntohs(a->in6.sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", ip, ntohs(a->in6.sin6_port));
		break;
	default:
		snprintf(buf, len, "(none)");
	}
	return buf;
}

bool addr_same_host(const union sm_addr *a, const union sm_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, sizeof(a->in6.sin6_addr));
	return true;
}

bool addr_equal(const union sm_addr *a, const union sm_addr *b)
{
	return addr_same_host(a, b) && addr_port(a) == addr_port(b);
}

int addr_from_sockaddr(union sm_addr *out, const struct sockaddr *sa, socklen_t len)
{
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		memset(out, 0, sizeof(*out));
		memcpy(&out->in, sa, sizeof(out->in));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		memset(out, 0, sizeof(*out));
		memcpy(&out->in6, sa, sizeof(out->in6));
		return 0;
	}
	return -EAFNOSUPPORT;
}

socklen_t addr_len(const union sm_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6)
	       : a->sa.sa_family == AF_INET ? sizeof(a->in)
					    : 0;
}

uint16_t addr_port(const union sm_addr *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->in6.sin6_port
			: a->sa.sa_family == AF_INET ? a->in.sin_port
						     : 0);
}

void addr_set_port(union sm_addr *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->in6.sin6_port = htons(port);
	else if (a->sa.sa_family == AF_INET)
		a->in.sin_port = htons(port);
}
