/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv4 default gateway from the text of Linux's /proc/net/route (the main routing
 * table of the reading process's network namespace). Port mapping asks the default
 * gateway; a netlink route dump would say the same with more code, and this text is
 * what every Linux (and busybox) has had for decades. Pure function over (buf, len). */
#ifndef SM_PROCROUTE_H
#define SM_PROCROUTE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define PROCROUTE_IFNAME_MAX 16 /* IFNAMSIZ, with the NUL */

struct procroute_gw {
	char ifname[PROCROUTE_IFNAME_MAX];
	struct in_addr gateway;
	uint32_t metric;
};

/* Finds the default route (destination and mask 0, flags up and gateway) with the
 * lowest metric. Lines that do not parse are skipped (a later kernel may add columns:
 * only the first eight are read). 0 with *out, -ENOENT when there is no default route
 * through a gateway, -EBADMSG when the text is not /proc/net/route's format at all. */
int procroute_default_gw(const char *buf, size_t len, struct procroute_gw *out,
			 struct errbuf *e);

#endif
