/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Written from RFC 6887 sections 7, 8.5, 11 and 14; see pcp.h. */
#include "proto/pcp.h"

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

int pcp_addr_from_sockaddr(struct in6_addr *out, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(out->s6_addr + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)sa)->sin6_addr;
		return 0;
	}
	return -EAFNOSUPPORT;
}

void pcp_addr_to_sockaddr(const struct in6_addr *a, uint16_t port, union sm_addr *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->s6_addr + 12, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = *a;
	}
}

void pcp_addr_any_v4(struct in6_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->s6_addr[10] = 0xff;
	out->s6_addr[11] = 0xff;
}

/* The common request header, RFC 6887 7.1. */
static void put_header(uint8_t *buf, uint8_t op, uint32_t lifetime, const struct in6_addr *client)
{
	buf[0] = PCP_VERSION;
	buf[1] = op; /* R bit clear: a request */
	put16(buf + 2, 0);
	put32(buf + 4, lifetime);
	memcpy(buf + 8, client->s6_addr, 16);
}

int pcp_build_map(uint8_t *buf, size_t cap, const struct pcp_map_request *r, size_t *len)
{
	uint8_t *p;

	/* RFC 6887 11.1: port 0 means "all ports", which only protocol 0 may ask. */
	if (r->internal_port == 0 && r->protocol != 0)
		return -EINVAL;
	if (cap < PCP_MAP_REQUEST_LEN)
		return -ENOSPC;
	put_header(buf, PCP_OP_MAP, r->lifetime, &r->client_addr);
	p = buf + PCP_HEADER_LEN;
	memcpy(p, r->nonce, PCP_NONCE_LEN);
	p[12] = r->protocol;
	p[13] = p[14] = p[15] = 0;
	put16(p + 16, r->internal_port);
	put16(p + 18, r->suggested_port);
	memcpy(p + 20, r->suggested_addr.s6_addr, 16);
	*len = PCP_MAP_REQUEST_LEN;
	return 0;
}

int pcp_build_announce(uint8_t *buf, size_t cap, const struct in6_addr *client, size_t *len)
{
	if (cap < PCP_HEADER_LEN)
		return -ENOSPC;
	put_header(buf, PCP_OP_ANNOUNCE, 0, client);
	*len = PCP_HEADER_LEN;
	return 0;
}

/* Options follow the opcode payload: code, reserved, length, data padded to 4 bytes
 * (RFC 6887 7.3). A client has nothing to do with the ones a response may carry
 * (THIRD_PARTY, PREFER_FAILURE, FILTER echo what it sent), so they are only walked. */
static int walk_options(const uint8_t *buf, size_t off, size_t len, unsigned *count,
			struct errbuf *e)
{
	*count = 0;
	while (off < len) {
		size_t olen, padded;

		if (len - off < 4)
			return err_set(e, -EBADMSG, "truncated PCP option at offset %zu", off);
		olen = get16(buf + off + 2);
		padded = (olen + 3) & ~(size_t)3;
		if (len - off - 4 < padded)
			return err_set(e, -EBADMSG, "PCP option %u of %zu bytes overruns the message",
				       buf[off], olen);
		off += 4 + padded;
		(*count)++;
	}
	return 0;
}

int pcp_parse_response(const uint8_t *buf, size_t len, struct pcp_response *out,
		       struct errbuf *e)
{
	struct pcp_response r;
	size_t off = PCP_HEADER_LEN;
	int rc;

	if (len < 1)
		return err_set(e, -EBADMSG, "empty PCP response");
	if (buf[0] == 0)
		return err_set(e, -EPROTONOSUPPORT, "a NAT-PMP answer: the gateway speaks NAT-PMP only");
	if (buf[0] != PCP_VERSION)
		return err_set(e, -EBADMSG, "PCP version %u", buf[0]);
	if (len < PCP_HEADER_LEN)
		return err_set(e, -EBADMSG, "PCP response of %zu bytes", len);
	if (len > PCP_MAX_LEN || len % 4)
		return err_set(e, -EBADMSG, "PCP response of %zu bytes (multiple of 4, at most %d)",
			       len, PCP_MAX_LEN);
	if (!(buf[1] & PCP_RESPONSE_BIT))
		return err_set(e, -EBADMSG, "a PCP request, not a response");
	memset(&r, 0, sizeof(r));
	r.opcode = buf[1] & (uint8_t)~PCP_RESPONSE_BIT;
	r.result = buf[3];
	r.lifetime = get32(buf + 4);
	r.epoch = get32(buf + 8);
	if (r.opcode == PCP_OP_MAP) {
		const uint8_t *p = buf + PCP_HEADER_LEN;

		/* An error response may come without the payload (RFC 6887 7.2: a server
		 * that could not parse the request copies what it can); a success may not. */
		if (len - off < PCP_MAP_PAYLOAD_LEN) {
			if (r.result == PCP_SUCCESS)
				return err_set(e, -EBADMSG, "MAP response without its payload");
		} else {
			memcpy(r.nonce, p, PCP_NONCE_LEN);
			r.protocol = p[12];
			r.internal_port = get16(p + 16);
			r.external_port = get16(p + 18);
			memcpy(r.external_addr.s6_addr, p + 20, 16);
			off += PCP_MAP_PAYLOAD_LEN;
		}
	} else if (r.opcode != PCP_OP_ANNOUNCE && r.result == PCP_SUCCESS) {
		/* PEER and the rest we never ask; a success for them is not ours. */
		return err_set(e, -EBADMSG, "PCP response to opcode %u", r.opcode);
	}
	if (off < len && (rc = walk_options(buf, off, len, &r.options, e)))
		return rc;
	*out = r;
	return 0;
}

const char *pcp_result_str(unsigned result)
{
	static const char *const names[] = {
		"success", "unsupported version", "not authorized", "malformed request",
		"unsupported opcode", "unsupported option", "malformed option", "network failure",
		"no resources", "unsupported protocol", "user exceeded quota",
		"cannot provide external address", "address mismatch", "excessive remote peers",
	};

	return result < ARRAY_SIZE(names) ? names[result] : "unknown result code";
}

bool pcp_epoch_lost(uint32_t prev_epoch, uint64_t prev_now, uint32_t epoch, uint64_t now)
{
	uint64_t client_delta, server_delta;

	/* Back by more than one second: the gateway restarted. */
	if ((uint64_t)epoch + 1 < prev_epoch)
		return true;
	client_delta = now >= prev_now ? now - prev_now : 0;
	server_delta = epoch >= prev_epoch ? epoch - prev_epoch : 0;
	/* Both clocks must agree within 1/16 plus 2 s, either way (RFC 6887 8.5). */
	return client_delta + 2 < server_delta - server_delta / 16 ||
	       server_delta + 2 < client_delta - client_delta / 16;
}
