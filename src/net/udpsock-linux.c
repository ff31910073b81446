/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux: the fwmark through sock_set_mark (net/sockopt), SO_RCVBUFFORCE /
 * SO_SNDBUFFORCE (root may exceed rmem_max, which is 208 KiB by default: too small for
 * a relay draining bursts of 64 datagrams), and IP_ADD_MEMBERSHIP with an ip_mreqn
 * (interface by index). */
#include "net/udpsock.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/sockopt.h"

static int set_buf(int fd, int force_opt, int opt, int bytes)
{
	if (bytes <= 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0)
		return 0;
	/* Without CAP_NET_ADMIN: as much as net.core.*mem_max allows. */
	return setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes)) == 0 ? 0 : -errno;
}

int udpsock_open(const struct udpsock_params *p, int *fd_out, struct errbuf *e)
{
	char a[ADDR_STR_LEN];
	int fd, r, one = 1;

	if (p->family != AF_INET && p->family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "address family %d", p->family);
	fd = socket(p->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return err_set(e, -errno, "opening a UDP socket: %s", strerror(errno));
	if ((r = sock_set_mark(fd, p->fwmark))) {
		err_set(e, r, "setting fwmark 0x%x on a UDP socket (needs CAP_NET_ADMIN): %s",
			p->fwmark, strerror(-r));
		goto fail;
	}
	if (p->reuseaddr && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		r = err_set(e, -errno, "SO_REUSEADDR: %s", strerror(errno));
		goto fail;
	}
	if ((r = set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, p->rcvbuf)) ||
	    (r = set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, p->sndbuf))) {
		err_set(e, r, "setting UDP socket buffers: %s", strerror(-r));
		goto fail;
	}
	if (p->family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		r = err_set(e, -errno, "IPV6_V6ONLY: %s", strerror(errno));
		goto fail;
	}
	if (p->bind && bind(fd, &p->bind->sa, addr_len(p->bind)) < 0) {
		r = err_set(e, -errno, "binding a UDP socket to %s: %s",
			    addr_format(p->bind, a, sizeof(a)), strerror(errno));
		goto fail;
	}
	if (p->connect && connect(fd, &p->connect->sa, addr_len(p->connect)) < 0) {
		r = err_set(e, -errno, "UDP towards %s: %s", addr_format(p->connect, a, sizeof(a)),
			    strerror(errno));
		goto fail;
	}
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int udpsock_join_v4(int fd, const struct in_addr *group, unsigned ifindex, struct errbuf *e)
{
	struct ip_mreqn m = { .imr_multiaddr = *group, .imr_ifindex = (int)ifindex };

	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)) < 0)
		return err_set(e, -errno, "joining a multicast group: %s", strerror(errno));
	return 0;
}
