/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The platform-independent half of rawsock: the BPF program, packet parsing and the UDP
 * checksum. No I/O. */
#include "proto/rawpkt.h"

#include <errno.h>
#include <string.h>

#include "proto/stun.h"

/* Classic BPF opcodes. They are the same on Linux (linux/filter.h) and the BSDs
 * (net/bpf.h); spelled out here so this file includes neither. */
enum {
	OP_LD_W_ABS = 0x00 | 0x00 | 0x20,
	OP_LD_H_ABS = 0x00 | 0x08 | 0x20,
	OP_LD_W_IND = 0x00 | 0x00 | 0x40,
	OP_LD_H_IND = 0x00 | 0x08 | 0x40,
	OP_LDX_B_MSH = 0x01 | 0x10 | 0xa0, /* X = 4 * (P[k] & 0xf) */
	OP_JEQ_K = 0x05 | 0x10 | 0x00,
	OP_RET_K = 0x06 | 0x00,
};

/* Accepted packets are passed whole (up to this many bytes). */
#define FILTER_SNAP 0xffff

static struct rawpkt_insn insn(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	return (struct rawpkt_insn){ .code = code, .jt = jt, .jf = jf, .k = k };
}

size_t rawpkt_filter(int family, uint16_t port, struct rawpkt_insn *prog)
{
	size_t n = 0;

	if (family == AF_INET) {
		/* An IPv4 raw socket's filter sees the IP header, whose length is in IHL:
		 * options make it longer than 20 bytes. X = header length; then the UDP
		 * destination port at X+2 and the cookie at X + 8 + 4. A load past the end
		 * of the packet makes the kernel return 0, i.e. drop. */
		prog[n++] = insn(OP_LDX_B_MSH, 0, 0, 0);
		prog[n++] = insn(OP_LD_H_IND, 0, 0, 2);
		prog[n++] = insn(OP_JEQ_K, 0, 3, port);
		prog[n++] = insn(OP_LD_W_IND, 0, 0, UDP_HEADER_LEN + STUN_COOKIE_OFFSET);
	} else {
		/* IPv6 raw sockets get the packet from the transport header on. */
		prog[n++] = insn(OP_LD_H_ABS, 0, 0, 2);
		prog[n++] = insn(OP_JEQ_K, 0, 3, port);
		prog[n++] = insn(OP_LD_W_ABS, 0, 0, UDP_HEADER_LEN + STUN_COOKIE_OFFSET);
	}
	prog[n++] = insn(OP_JEQ_K, 0, 1, STUN_MAGIC_COOKIE);
	prog[n++] = insn(OP_RET_K, 0, 0, FILTER_SNAP);
	prog[n++] = insn(OP_RET_K, 0, 0, 0);
	return n;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int rawpkt_parse(int family, const uint8_t *pkt, size_t len, uint16_t port, size_t *off,
		  size_t *plen, uint16_t *sport)
{
	size_t ihl = 0, ulen;

	if (family == AF_INET) {
		if (len < 20 || (pkt[0] >> 4) != 4)
			return -EBADMSG;
		ihl = (size_t)(pkt[0] & 0xf) * 4;
		if (ihl < 20 || pkt[9] != IPPROTO_UDP)
			return -EBADMSG;
		/* A non-first fragment has no UDP header; raw sockets see reassembled
		 * packets, but be sure. */
		if (get16(pkt + 6) & 0x1fff)
			return -EBADMSG;
	}
	if (len < ihl + UDP_HEADER_LEN)
		return -EBADMSG;
	if (get16(pkt + ihl + 2) != port)
		return -EBADMSG;
	/* The UDP length bounds the payload (the IP packet may carry padding). */
	ulen = get16(pkt + ihl + 4);
	if (ulen < UDP_HEADER_LEN || ulen > len - ihl)
		return -EBADMSG;
	*sport = get16(pkt + ihl);
	*off = ihl + UDP_HEADER_LEN;
	*plen = ulen - UDP_HEADER_LEN;
	return 0;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += get16(p);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t udp_checksum(int family, const void *src, const void *dst, const uint8_t *udp,
		      size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t sum = 0;
	uint16_t r;

	/* Pseudo-header: addresses, protocol, UDP length (RFC 768; RFC 8200 8.1 uses a
	 * 32-bit length and 24 zero bits, which sums the same for lengths < 65536). */
	sum = sum16(sum, src, alen);
	sum = sum16(sum, dst, alen);
	sum += IPPROTO_UDP;
	sum += (uint32_t)len;
	sum = sum16(sum, udp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	r = (uint16_t)~sum;
	/* 0 means "no checksum" in IPv4 and is forbidden in IPv6 (RFC 768, RFC 8200). */
	return r ? r : 0xffff;
}
