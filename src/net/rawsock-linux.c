/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux raw IPPROTO_UDP sockets. The kernel builds the IP header (no IP_HDRINCL), so
 * routing, SO_MARK policy rules and netfilter all treat the probe as an ordinary UDP
 * packet from the WireGuard port, and conntrack/NAT give it WireGuard's mapping.
 *
 * Checksums: IPv6 sets IPV6_CHECKSUM (offset 6) and lets the kernel fill the UDP
 * checksum, because only the kernel knows the source address it finally picks (RFC 6724
 * selection, temporary addresses, policy routing), and a wrong IPv6 checksum means the
 * probe is silently dropped. IPv4 has no such option for raw sockets, so we compute it
 * ourselves over a source address learnt from a connected UDP socket (same mark, same
 * route lookup) and pin that source with IP_PKTINFO, so the checksum cannot disagree
 * with the header the kernel writes. */
#include "net/rawsock.h"
#include "net/sockopt.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(sizeof(struct rawpkt_insn) == sizeof(struct sock_filter),
	       "rawpkt_insn must match struct sock_filter");

int rawsock_open(struct rawsock *rs, int family, uint16_t port, uint32_t fwmark,
		 struct errbuf *e)
{
	struct rawpkt_insn prog[RAWPKT_FILTER_MAX];
	struct sock_fprog fprog;
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	int fd, r, six = 6;
	uint8_t drain[64];

	if (family != AF_INET && family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "address family %d", family);
	if (port == 0)
		return err_set(e, -EINVAL, "listen port 0");
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0) {
		r = -errno;
		if (r == -EPERM || r == -EACCES)
			return err_set(e, r, "opening an %s raw socket needs CAP_NET_RAW", fam);
		return err_set(e, r, "opening an %s raw socket: %s", fam, strerror(-r));
	}
	r = sock_set_mark(fd, fwmark);
	if (r) {
		err_set(e, r, "setting fwmark 0x%x on the %s raw socket (needs CAP_NET_ADMIN): %s",
			fwmark, fam, strerror(-r));
		goto fail;
	}
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &six, sizeof(six)) < 0) {
		r = -errno;
		err_set(e, r, "IPV6_CHECKSUM: %s", strerror(-r));
		goto fail;
	}
	fprog.len = (unsigned short)rawpkt_filter(family, port, prog);
	fprog.filter = (struct sock_filter *)prog;
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0) {
		r = -errno;
		err_set(e, r, "attaching the BPF filter: %s", strerror(-r));
		goto fail;
	}
	/* Packets queued between socket() and the filter were not filtered: drop them.
	 * (rawsock_recv checks every packet anyway.) */
	while (recv(fd, drain, sizeof(drain), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
	rs->fd = fd;
	rs->family = family;
	rs->port = port;
	rs->fwmark = fwmark;
	return 0;
fail:
	close(fd);
	return r;
}

void rawsock_close(struct rawsock *rs)
{
	if (rs->fd >= 0)
		close(rs->fd);
	rs->fd = -1;
}

/* The source address the kernel would use towards dst with our mark. */
static int source_for(const struct rawsock *rs, const struct sockaddr_in *dst,
		      struct in_addr *src, struct errbuf *e)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, r = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	r = sock_set_mark(fd, rs->fwmark);
	if (r) {
		err_set(e, r, "setting fwmark 0x%x: %s", rs->fwmark, strerror(-r));
		goto out;
	}
	/* connect() on UDP sends nothing; it only runs the route lookup. */
	if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) < 0) {
		r = err_set(e, -errno, "no route: %s", strerror(errno));
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		r = err_set(e, -errno, "getsockname: %s", strerror(errno));
		goto out;
	}
	*src = sin.sin_addr;
out:
	close(fd);
	return r;
}

int rawsock_send(struct rawsock *rs, const struct sockaddr *dst, const uint8_t *payload,
		 size_t len, struct errbuf *e)
{
	uint8_t pkt[UDP_HEADER_LEN + 1472];
	union {
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} to;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} cbuf;
	struct iovec iov;
	struct msghdr mh;
	uint16_t dport, ulen = (uint16_t)(UDP_HEADER_LEN + len);
	int r;

	if (dst->sa_family != rs->family)
		return err_set(e, -EAFNOSUPPORT, "destination family does not match the socket");
	if (len > sizeof(pkt) - UDP_HEADER_LEN)
		return err_set(e, -EMSGSIZE, "payload of %zu bytes", len);
	memset(&to, 0, sizeof(to));
	memset(&mh, 0, sizeof(mh));
	/* A raw socket's "port" is the protocol: IPv6 refuses any other value than 0 or
	 * IPPROTO_UDP, so the UDP port goes only into our header. */
	if (rs->family == AF_INET) {
		memcpy(&to.in, dst, sizeof(to.in));
		dport = ntohs(to.in.sin_port);
		to.in.sin_port = 0;
		mh.msg_namelen = sizeof(to.in);
	} else {
		memcpy(&to.in6, dst, sizeof(to.in6));
		dport = ntohs(to.in6.sin6_port);
		to.in6.sin6_port = 0;
		mh.msg_namelen = sizeof(to.in6);
	}

	pkt[0] = (uint8_t)(rs->port >> 8);
	pkt[1] = (uint8_t)rs->port;
	pkt[2] = (uint8_t)(dport >> 8);
	pkt[3] = (uint8_t)dport;
	pkt[4] = (uint8_t)(ulen >> 8);
	pkt[5] = (uint8_t)ulen;
	pkt[6] = pkt[7] = 0; /* IPv6: the kernel fills it (IPV6_CHECKSUM) */
	memcpy(pkt + UDP_HEADER_LEN, payload, len);

	if (rs->family == AF_INET) {
		struct in_pktinfo pi;
		struct cmsghdr *cm;
		struct in_addr src;
		uint16_t ck;

		r = source_for(rs, &to.in, &src, e);
		if (r)
			return err_prefix(e, r, "choosing the source address: ");
		ck = udp_checksum(AF_INET, &src, &to.in.sin_addr, pkt, ulen);
		pkt[6] = (uint8_t)(ck >> 8);
		pkt[7] = (uint8_t)ck;

		memset(&cbuf, 0, sizeof(cbuf));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst = src;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	}
	iov.iov_base = pkt;
	iov.iov_len = ulen;
	mh.msg_name = &to;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (sendmsg(rs->fd, &mh, 0) < 0) {
		r = -errno;
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return err_set(e, -EAGAIN, "socket buffer full");
		return err_set(e, r, "send: %s", strerror(-r));
	}
	return 0;
}

int rawsock_recv(struct rawsock *rs, uint8_t *buf, size_t cap, size_t *len,
		 union sm_addr *from, struct errbuf *e)
{
	uint8_t pkt[65536];
	union sm_addr ss;
	socklen_t sl = sizeof(ss);
	size_t off, plen;
	uint16_t sport;
	ssize_t n;
	int r;

	n = recvfrom(rs->fd, pkt, sizeof(pkt), 0, &ss.sa, &sl);
	if (n < 0) {
		r = -errno;
		if (r == -EAGAIN || r == -EWOULDBLOCK)
			return -EAGAIN;
		return err_set(e, r, "receive: %s", strerror(-r));
	}
	r = rawpkt_parse(rs->family, pkt, (size_t)n, rs->port, &off, &plen, &sport);
	if (r)
		return err_set(e, r, "not a UDP packet to port %u", rs->port);
	if (plen > cap)
		return err_set(e, -EMSGSIZE, "UDP payload of %zu bytes", plen);
	if (ss.sa.sa_family != rs->family)
		return err_set(e, -EBADMSG, "sender of unexpected family");
	memcpy(buf, pkt + off, plen);
	/* A raw socket reports no port; the UDP header has it. */
	addr_set_port(&ss, sport);
	*len = plen;
	*from = ss;
	return 0;
}
