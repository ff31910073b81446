/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Ordinary UDP sockets for the NAT helpers (port mapping, the TURN client, the relay):
 * non-blocking and close-on-exec, optionally bound and connected, marked with the
 * interface's fwmark so that policy routing sends them outside the WireGuard tunnel as
 * it does WireGuard's own packets, and with the buffer sizes asked for. Platform code
 * lives in udpsock-<platform>.c. */
#ifndef SM_UDPSOCK_H
#define SM_UDPSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"

struct udpsock_params {
	int family;		      /* AF_INET or AF_INET6 */
	const union sm_addr *bind;    /* NULL: any address, a port the kernel picks */
	const union sm_addr *connect; /* NULL: not connected */
	uint32_t fwmark;	      /* 0: none (needs CAP_NET_ADMIN otherwise) */
	int rcvbuf, sndbuf;	      /* bytes; 0 keeps the system default. As root the
				       * limit in net.core.[rw]mem_max is passed over */
	bool reuseaddr;		      /* SO_REUSEADDR (a shared multicast port) */
};

/* 0 with the socket in *fd, or -errno with what failed and on which address in e. */
int udpsock_open(const struct udpsock_params *p, int *fd, struct errbuf *e);

/* Joins an IPv4 multicast group on the interface with index ifindex (0: the kernel's
 * choice) so that datagrams to it reach fd. 0 or -errno. */
int udpsock_join_v4(int fd, const struct in_addr *group, unsigned ifindex, struct errbuf *e);

#endif
