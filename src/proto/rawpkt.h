/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The pure half of the raw-socket STUN transport (net/rawsock.h): the classic BPF
 * program that lets through only STUN to the WireGuard port, the parser of what a raw
 * socket returns, and the UDP checksum. No I/O; unit-tested and fuzzed. */
#ifndef SM_RAWPKT_H
#define SM_RAWPKT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define UDP_HEADER_LEN 8

/* A classic BPF instruction, laid out as Linux's struct sock_filter and BSD's struct
 * bpf_insn, so the program is written once for every platform. */
struct rawpkt_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

/* Writes the filter for this family and port into prog (room for RAWPKT_FILTER_MAX
 * instructions); returns the number of instructions. */
#define RAWPKT_FILTER_MAX 8
size_t rawpkt_filter(int family, uint16_t port, struct rawpkt_insn *prog);

/* Finds the UDP payload in what a raw socket of this family returns (IPv4: the IP
 * header first; IPv6: the UDP header first). Checks every length and the destination
 * port. 0 with *off, *plen and *sport set, or -EBADMSG. */
int rawpkt_parse(int family, const uint8_t *pkt, size_t len, uint16_t port, size_t *off,
		  size_t *plen, uint16_t *sport);

/* The UDP checksum (RFC 768, RFC 8200 8.1) of a UDP header plus payload whose checksum
 * field is zero, with the pseudo-header for src/dst (both in6_addr or in_addr, per
 * family). Never returns 0: a computed 0 is sent as 0xffff. */
uint16_t udp_checksum(int family, const void *src, const void *dst, const uint8_t *udp,
		      size_t len);

#endif
