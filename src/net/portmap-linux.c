/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux: the default gateway from /proc/net/route (the main table of our network
 * namespace). With policy routing the gateway of another table may be the real one;
 * the main table's default is what home routers and VyOS/OpenWrt boxes have. */
#include "net/portmap-int.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/natpmp.h"
#include "proto/procroute.h"

#define ROUTE_FILE "/proc/net/route"
#define ROUTE_MAX (256 * 1024) /* a full BGP table is not read here: defaults come first */

int pm_default_gateway(union sm_addr *gw, char ifname[16], unsigned *ifindex, struct errbuf *e)
{
	struct procroute_gw g;
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	int fd, r;

	if (!buf)
		return err_set(e, -ENOMEM, "out of memory");
	fd = open(ROUTE_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = err_set(e, -errno, "%s: %s", ROUTE_FILE, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = cap < ROUTE_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb)
				break; /* parse what we have: the default routes are near the top */
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = err_set(e, -errno, "%s: %s", ROUTE_FILE, strerror(errno));
			close(fd);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if ((r = procroute_default_gw(buf, len, &g, e)))
		goto out;
	memset(gw, 0, sizeof(*gw));
	gw->in.sin_family = AF_INET;
	gw->in.sin_addr = g.gateway;
	gw->in.sin_port = htons(NATPMP_PORT);
	memcpy(ifname, g.ifname, sizeof(g.ifname));
	*ifindex = if_nametoindex(g.ifname);
	r = 0;
out:
	free(buf);
	return r;
}
