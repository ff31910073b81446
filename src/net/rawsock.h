/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STUN probes that leave from WireGuard's own UDP port without taking the port from
 * WireGuard: a raw IPPROTO_UDP socket on which we write the UDP header ourselves (source
 * port = listen port), so NAT maps the probe exactly like WireGuard's traffic, and on
 * which a classic BPF filter lets through only UDP to that port carrying the STUN magic
 * cookie. One socket per address family does both. Platform code lives in
 * rawsock-<platform>.c; this header is what the rest of stunmesh sees. */
#ifndef SM_RAWSOCK_H
#define SM_RAWSOCK_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"
#include "proto/rawpkt.h"

struct rawsock {
	int fd;	    /* non-blocking; poll it for POLLIN */
	int family; /* AF_INET or AF_INET6 */
	uint16_t port;
	uint32_t fwmark;
};

/* Opens the socket (needs CAP_NET_RAW; CAP_NET_ADMIN too when fwmark != 0). */
int rawsock_open(struct rawsock *rs, int family, uint16_t port, uint32_t fwmark,
		 struct errbuf *e);
void rawsock_close(struct rawsock *rs);

/* Sends payload as one UDP datagram from rs->port to dst (family must match).
 * -EAGAIN when the socket buffer is full; other -errno with a message. */
int rawsock_send(struct rawsock *rs, const struct sockaddr *dst, const uint8_t *payload,
		 size_t len, struct errbuf *e);

/* Reads one datagram. Returns 0 with the UDP payload copied to buf (*len bytes) and the
 * sender's address and port in *from; -EAGAIN when nothing is queued; -EBADMSG for a
 * datagram that is not UDP to our port (the caller just reads again). */
int rawsock_recv(struct rawsock *rs, uint8_t *buf, size_t cap, size_t *len,
		 union sm_addr *from, struct errbuf *e);

#endif
