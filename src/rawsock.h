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

#include "util.h"

#define UDP_HEADER_LEN 8

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
		 struct sockaddr_storage *from, struct errbuf *e);

/* The pieces below are pure and exist separately so they can be tested. */

/* A classic BPF instruction, laid out as Linux's struct sock_filter and BSD's struct
 * bpf_insn, so the program is written once for every platform. */
struct rawsock_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* Writes the filter for this family and port into prog (room for RAWSOCK_FILTER_MAX
 * instructions); returns the number of instructions. */
#define RAWSOCK_FILTER_MAX 8
size_t rawsock_filter(int family, uint16_t port, struct rawsock_insn *prog);

/* Finds the UDP payload in what a raw socket of this family returns (IPv4: the IP
 * header first; IPv6: the UDP header first). Checks every length and the destination
 * port. 0 with *off, *plen and *sport set, or -EBADMSG. */
int rawsock_parse(int family, const uint8_t *pkt, size_t len, uint16_t port, size_t *off,
		  size_t *plen, uint16_t *sport);

/* The UDP checksum (RFC 768, RFC 8200 8.1) of a UDP header plus payload whose checksum
 * field is zero, with the pseudo-header for src/dst (both in6_addr or in_addr, per
 * family). Never returns 0: a computed 0 is sent as 0xffff. */
uint16_t udp_checksum(int family, const void *src, const void *dst, const uint8_t *udp,
		      size_t len);

#endif
