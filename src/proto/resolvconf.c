/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proto/resolvconf.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

struct tok {
	const char *p;
	size_t n;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Up to max whitespace-separated words of line[0, len). */
static size_t split(const char *line, size_t len, struct tok *t, size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		size_t j;

		while (i < len && is_space(line[i]))
			i++;
		if (i >= len)
			break;
		j = i;
		while (j < len && !is_space(line[j]))
			j++;
		t[n].p = line + i;
		t[n].n = j - i;
		n++;
		i = j;
	}
	return n;
}

static bool tok_is(const struct tok *t, const char *word)
{
	return t->n == strlen(word) && !memcmp(t->p, word, t->n);
}

/* "name:N" with N decimal, clamped to [lo, hi]. */
static bool option_num(const struct tok *t, const char *name, unsigned lo, unsigned hi,
		       unsigned *out)
{
	size_t k = strlen(name);
	unsigned v = 0;

	if (t->n <= k + 1 || memcmp(t->p, name, k) || t->p[k] != ':')
		return false;
	for (size_t i = k + 1; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return false;
		if (v < 1000)
			v = v * 10 + (unsigned)(t->p[i] - '0');
	}
	*out = v < lo ? lo : v > hi ? hi : v;
	return true;
}

static void set_search(struct resolv_conf *c, const struct tok *t, size_t n)
{
	c->n_search = 0;
	for (size_t i = 0; i < n && c->n_search < RESOLV_SEARCH_MAX; i++) {
		uint8_t wire[DNS_WIRE_NAME_MAX];
		char *d = c->search[c->n_search];
		size_t l = t[i].n, wl;

		if (l && t[i].p[l - 1] == '.')
			l--;
		if (l == 0 || l > DNS_NAME_MAX)
			continue;
		memcpy(d, t[i].p, l);
		d[l] = '\0';
		if (dns_name_to_wire(d, wire, sizeof(wire), &wl))
			continue;
		c->n_search++;
	}
}

static void parse_line(const char *line, size_t len, struct resolv_conf *c)
{
	struct tok t[1 + RESOLV_SEARCH_MAX + 8];
	size_t n;

	if (len == 0 || line[0] == '#' || line[0] == ';')
		return;
	n = split(line, len, t, sizeof(t) / sizeof(t[0]));
	if (n < 2)
		return;
	if (tok_is(&t[0], "nameserver")) {
		union sm_addr a;

		if (c->n_ns < RESOLV_NS_MAX &&
		    !addr_parse(t[1].p, t[1].n, AF_UNSPEC, ADDR_NO_PORT | ADDR_ZONE, &a, NULL))
			c->ns[c->n_ns++] = a;
	} else if (tok_is(&t[0], "search")) {
		set_search(c, t + 1, n - 1);
	} else if (tok_is(&t[0], "domain")) {
		set_search(c, t + 1, 1);
	} else if (tok_is(&t[0], "options")) {
		for (size_t i = 1; i < n; i++) {
			if (!option_num(&t[i], "ndots", 0, 15, &c->ndots) &&
			    !option_num(&t[i], "timeout", 1, 30, &c->timeout))
				option_num(&t[i], "attempts", 1, 5, &c->attempts);
		}
	}
}

void resolv_conf_parse(const char *buf, size_t len, struct resolv_conf *c)
{
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	c->ndots = 1;
	c->timeout = 5;
	c->attempts = 2;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - buf) : len;

		parse_line(buf + i, end - i, c);
		i = end + 1;
	}
	if (!c->n_ns) {
		memset(&c->ns[0], 0, sizeof(c->ns[0]));
		c->ns[0].in.sin_family = AF_INET;
		c->ns[0].in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		c->n_ns = 1;
	}
}

static bool same_name(const char *a, size_t an, const char *b, size_t bn)
{
	if (an && a[an - 1] == '.')
		an--;
	if (bn && b[bn - 1] == '.')
		bn--;
	return an && an == bn && !strncasecmp(a, b, an);
}

bool hosts_line_match(const char *line, size_t len, const char *name, int family,
		      union sm_addr *out)
{
	const char *hash = memchr(line, '#', len);
	size_t nl = strlen(name), i;
	struct tok t;
	union sm_addr a;

	if (hash)
		len = (size_t)(hash - line);
	if (split(line, len, &t, 1) != 1 ||
	    addr_parse(t.p, t.n, family, ADDR_NO_PORT | ADDR_ZONE, &a, NULL))
		return false;
	/* Every name after the address, however many aliases the line has. */
	for (i = (size_t)(t.p - line) + t.n; split(line + i, len - i, &t, 1) == 1;
	     i = (size_t)(t.p - line) + t.n) {
		if (same_name(t.p, t.n, name, nl)) {
			*out = a;
			return true;
		}
	}
	return false;
}
