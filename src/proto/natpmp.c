/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Written from RFC 6886 sections 3.2-3.6; see natpmp.h for why not libnatpmp. */
#include "proto/natpmp.h"

#include <errno.h>
#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

int natpmp_build_public_address(uint8_t *buf, size_t cap, size_t *len)
{
	if (cap < NATPMP_PUBLIC_ADDRESS_REQUEST_LEN)
		return -ENOSPC;
	buf[0] = NATPMP_VERSION;
	buf[1] = NATPMP_OP_PUBLIC_ADDRESS;
	*len = NATPMP_PUBLIC_ADDRESS_REQUEST_LEN;
	return 0;
}

int natpmp_build_map(uint8_t *buf, size_t cap, uint8_t op, uint16_t internal_port,
		     uint16_t external_port, uint32_t lifetime, size_t *len)
{
	if ((op != NATPMP_OP_MAP_UDP && op != NATPMP_OP_MAP_TCP) || internal_port == 0)
		return -EINVAL;
	if (cap < NATPMP_MAP_REQUEST_LEN)
		return -ENOSPC;
	buf[0] = NATPMP_VERSION;
	buf[1] = op;
	put16(buf + 2, 0); /* reserved */
	put16(buf + 4, internal_port);
	put16(buf + 6, external_port);
	put32(buf + 8, lifetime);
	*len = NATPMP_MAP_REQUEST_LEN;
	return 0;
}

int natpmp_parse_response(const uint8_t *buf, size_t len, struct natpmp_response *out,
			  struct errbuf *e)
{
	struct natpmp_response r;
	uint8_t op;

	if (len < 1)
		return err_set(e, -EBADMSG, "empty NAT-PMP response");
	if (buf[0] == 2)
		return err_set(e, -EPROTONOSUPPORT, "a PCP answer: the gateway speaks PCP");
	if (buf[0] != NATPMP_VERSION)
		return err_set(e, -EBADMSG, "NAT-PMP version %u", buf[0]);
	/* Every response starts with version, op, result and epoch (RFC 6886 3.5). */
	if (len < 8)
		return err_set(e, -EBADMSG, "NAT-PMP response of %zu bytes", len);
	if (!(buf[1] & NATPMP_OP_RESPONSE))
		return err_set(e, -EBADMSG, "a NAT-PMP request, not a response");
	op = buf[1] & (uint8_t)~NATPMP_OP_RESPONSE;
	memset(&r, 0, sizeof(r));
	r.op = op;
	r.result = get16(buf + 2);
	r.epoch = get32(buf + 4);
	if (r.result == NATPMP_SUCCESS) {
		/* Longer datagrams are accepted: the fields are at fixed offsets, and some
		 * gateways pad. A short success is not: its fields would be made up. */
		switch (op) {
		case NATPMP_OP_PUBLIC_ADDRESS:
			if (len < 12)
				return err_set(e, -EBADMSG, "public-address response of %zu bytes", len);
			memcpy(&r.public_addr, buf + 8, 4);
			break;
		case NATPMP_OP_MAP_UDP:
		case NATPMP_OP_MAP_TCP:
			if (len < 16)
				return err_set(e, -EBADMSG, "mapping response of %zu bytes", len);
			r.internal_port = get16(buf + 8);
			r.external_port = get16(buf + 10);
			r.lifetime = get32(buf + 12);
			break;
		default:
			return err_set(e, -EBADMSG, "NAT-PMP response to opcode %u", op);
		}
	}
	*out = r;
	return 0;
}

const char *natpmp_result_str(unsigned result)
{
	switch (result) {
	case NATPMP_SUCCESS: return "success";
	case NATPMP_UNSUPP_VERSION: return "unsupported version";
	case NATPMP_NOT_AUTHORIZED: return "not authorized (mapping is turned off on the gateway)";
	case NATPMP_NETWORK_FAILURE: return "network failure (the gateway has no public address)";
	case NATPMP_OUT_OF_RESOURCES: return "out of resources";
	case NATPMP_UNSUPP_OPCODE: return "unsupported opcode";
	default: return "unknown result code";
	}
}

bool natpmp_epoch_lost(uint32_t prev_epoch, uint64_t prev_now, uint32_t epoch, uint64_t now)
{
	uint64_t elapsed = now >= prev_now ? now - prev_now : 0;

	/* Going backwards by more than a second is a restart (RFC 6886 3.6 keeps 1 s of
	 * slack, as RFC 6887 8.5 does). */
	if ((uint64_t)epoch + 1 < prev_epoch)
		return true;
	/* The gateway's clock must have advanced at least 7/8 of ours, less 2 s. */
	return (uint64_t)epoch + 2 < (uint64_t)prev_epoch + elapsed * 7 / 8;
}
