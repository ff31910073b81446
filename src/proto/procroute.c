/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/net/route: a header line, then one line per route of whitespace-separated
 * columns "Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT".
 * Addresses are the 32-bit network-order value printed as a host-order %08X, so
 * reading the hex back into s_addr gives the address on any byte order. */
#include "proto/procroute.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define RTF_UP_ 0x0001
#define RTF_GATEWAY_ 0x0002
#define COLS 8

struct field {
	const char *p;
	size_t n;
};

/* Splits one line (without its newline) into up to COLS fields; the count. */
static size_t split(const char *s, size_t n, struct field *f)
{
	size_t k = 0, i = 0;

	while (i < n && k < COLS) {
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == n)
			break;
		f[k].p = s + i;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		f[k].n = (size_t)(s + i - f[k].p);
		k++;
	}
	return k;
}

static int hex32(const struct field *f, uint32_t *out)
{
	uint32_t v = 0;

	if (f->n == 0 || f->n > 8)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		char c = f->p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

static int dec32(const struct field *f, uint32_t *out)
{
	uint64_t v = 0;

	if (f->n == 0 || f->n > 10)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(f->p[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* One route line: 1 when it is a usable default route (written to *gw), else 0. */
static int parse_line(const char *s, size_t n, struct procroute_gw *gw)
{
	struct field f[COLS];
	uint32_t dst, via, flags, metric, mask;

	if (split(s, n, f) < COLS || f[0].n >= PROCROUTE_IFNAME_MAX)
		return 0;
	for (size_t i = 0; i < f[0].n; i++)
		if (f[0].p[i] < 0x21 || f[0].p[i] > 0x7e) /* a NUL would cut the name short */
			return 0;
	if (hex32(&f[1], &dst) || hex32(&f[2], &via) || hex32(&f[3], &flags) ||
	    dec32(&f[6], &metric) || hex32(&f[7], &mask))
		return 0;
	if (dst || mask || via == 0 || (flags & (RTF_UP_ | RTF_GATEWAY_)) != (RTF_UP_ | RTF_GATEWAY_))
		return 0;
	memcpy(gw->ifname, f[0].p, f[0].n);
	gw->ifname[f[0].n] = '\0';
	gw->gateway.s_addr = via;
	gw->metric = metric;
	return 1;
}

int procroute_default_gw(const char *buf, size_t len, struct procroute_gw *out,
			 struct errbuf *e)
{
	struct procroute_gw best = { .metric = 0 }, cur;
	bool found = false, header = false;
	size_t i = 0;

	while (i < len) {
		const char *line = buf + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;

		i += n + (nl ? 1 : 0);
		if (!header) {
			/* The kernel's header names its columns; anything else is not this file. */
			if (n < 5 || memcmp(line, "Iface", 5))
				return err_set(e, -EBADMSG, "not /proc/net/route: no \"Iface\" header");
			header = true;
			continue;
		}
		if (parse_line(line, n, &cur) && (!found || cur.metric < best.metric)) {
			best = cur;
			found = true;
		}
	}
	if (!header)
		return err_set(e, -EBADMSG, "not /proc/net/route: empty");
	if (!found)
		return err_set(e, -ENOENT, "no IPv4 default route through a gateway");
	*out = best;
	return 0;
}
