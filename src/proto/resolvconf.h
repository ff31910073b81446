/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two files a stub resolver reads, as text over (buf, len): resolv.conf(5)
 * (nameserver, search/domain, options ndots/timeout/attempts) and one line of
 * hosts(5). What glibc and musl accept is accepted; anything else on a line is ignored
 * as they ignore it. No I/O. */
#ifndef SM_RESOLVCONF_H
#define SM_RESOLVCONF_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/addr.h"
#include "proto/dns.h"

#define RESOLV_NS_MAX 3	    /* MAXNS */
#define RESOLV_SEARCH_MAX 6 /* MAXDNSRCH */

struct resolv_conf {
	union sm_addr ns[RESOLV_NS_MAX]; /* port 0: the caller puts 53 */
	size_t n_ns;
	char search[RESOLV_SEARCH_MAX][DNS_NAME_MAX + 1];
	size_t n_search;
	unsigned ndots;	   /* default 1, at most 15 */
	unsigned timeout;  /* seconds, default 5, 1-30 */
	unsigned attempts; /* default 2, 1-5 */
};

/* Fills c from the file's text. Never fails: a line that does not parse is skipped.
 * With no usable nameserver line, c has 127.0.0.1 (both libcs do the same). */
void resolv_conf_parse(const char *buf, size_t len, struct resolv_conf *c);

/* One line of a hosts file ("ADDR NAME [ALIAS...] [# comment]", no newline needed):
 * true when it gives name (compared case-insensitively; a trailing dot on name is
 * ignored) an address of family, copied to *out (port 0). */
bool hosts_line_match(const char *line, size_t len, const char *name, int family,
		      union sm_addr *out);

#endif
