/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Durations as Go's time.ParseDuration reads them, since stunmesh-go configs are
 * written for it: a sequence of decimal numbers (fractions allowed) each with a unit
 * ns, us, µs, ms, s, m or h; "0" alone is allowed. We keep milliseconds, which is all
 * the daemon's timers resolve; a non-zero value below 1 ms is rounded up to 1 ms. */
#include "config/config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *unit;
	double ms;
} units[] = {
	{ "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "\xce\xbcs", 1e-3 },
	{ "ms", 1 },	{ "s", 1e3 },	{ "m", 60e3 },		{ "h", 3600e3 },
};

int parse_duration(const char *s, int64_t *ms)
{
	const char *p = s;
	double total = 0;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!strcmp(p, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*p)
		return -EINVAL;
	while (*p) {
		double v = 0, scale = 1;
		int digits = 0;
		size_t best = 0, ulen = 0;

		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9') {
				scale /= 10;
				v += (*p++ - '0') * scale;
				digits++;
			}
		}
		if (!digits)
			return -EINVAL;
		/* the longest unit that matches: "ms" before "m" */
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t n = strlen(units[i].unit);

			if (!strncmp(p, units[i].unit, n) && n > ulen) {
				ulen = n;
				best = i;
			}
		}
		if (!ulen)
			return -EINVAL;
		p += ulen;
		total += v * units[best].ms;
		if (total > 9.2e15) /* Go's limit is about 292 years; keep far from overflow */
			return -ERANGE;
	}
	if (total > 0 && total < 1)
		total = 1;
	*ms = (int64_t)(total + 0.5) * (neg ? -1 : 1);
	return 0;
}

void format_duration(int64_t ms, char *buf, size_t len)
{
	int64_t h, m, s, rest;
	size_t off = 0;

	if (ms == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ms < 0) {
		off += (size_t)snprintf(buf, len, "-");
		ms = -ms;
	}
	if (ms < 1000) {
		snprintf(buf + off, len - off, "%lldms", (long long)ms);
		return;
	}
	h = ms / 3600000;
	m = ms / 60000 % 60;
	s = ms / 1000 % 60;
	rest = ms % 1000;
	if (h)
		off += (size_t)snprintf(buf + off, len - off, "%lldh", (long long)h);
	if (h || m)
		off += (size_t)snprintf(buf + off, len - off, "%lldm", (long long)m);
	if (rest)
		snprintf(buf + off, len - off, "%lld.%03llds", (long long)s, (long long)rest);
	else
		snprintf(buf + off, len - off, "%llds", (long long)s);
}
