/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proto/stun.h"

#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
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

uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xffffffffu;

	/* Bitwise: messages are a few dozen bytes, a table would cost more than it saves. */
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

void stun_new_txid(uint8_t txid[STUN_TXID_LEN])
{
	randombytes_buf(txid, STUN_TXID_LEN);
}

int stun_build_binding_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			       size_t *len)
{
	if (cap < STUN_BINDING_REQUEST_LEN)
		return -ENOSPC;
	put16(buf, STUN_BINDING_REQUEST);
	put16(buf + 2, 0);
	put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	*len = STUN_BINDING_REQUEST_LEN;
	return 0;
}

int stun_build_change_request(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			      unsigned flags, size_t *len)
{
	if (flags & ~(STUN_CHANGE_IP | STUN_CHANGE_PORT))
		return -EINVAL;
	if (cap < STUN_CHANGE_REQUEST_LEN)
		return -ENOSPC;
	put16(buf, STUN_BINDING_REQUEST);
	put16(buf + 2, 8);
	put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	put16(buf + 20, STUN_ATTR_CHANGE_REQUEST);
	put16(buf + 22, 4);
	put32(buf + 24, flags);
	*len = STUN_CHANGE_REQUEST_LEN;
	return 0;
}

/* MAPPED-ADDRESS and XOR-MAPPED-ADDRESS share a layout: reserved byte, family, port,
 * address. XOR-MAPPED-ADDRESS masks port and address with the cookie (and the txid,
 * for the rest of an IPv6 address) so NATs that rewrite addresses in payloads miss it. */
int stun_parse_address(const uint8_t *v, uint16_t vlen, const uint8_t *hdr, bool xor,
		       union sm_addr *ss, struct errbuf *e)
{
	uint16_t port;

	if (vlen < 4)
		return err_set(e, -EBADMSG, "address attribute of %u bytes", vlen);
	port = get16(v + 2);
	if (xor)
		port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
	memset(ss, 0, sizeof(*ss));
	switch (v[1]) {
	case 0x01: {
		struct sockaddr_in *in = &ss->in;

		if (vlen != 8)
			return err_set(e, -EBADMSG, "IPv4 address attribute of %u bytes", vlen);
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, v + 4, 4);
		if (xor) {
			uint8_t *a = (uint8_t *)&in->sin_addr;

			/* hdr + 4 is the cookie in network order. */
			for (int i = 0; i < 4; i++)
				a[i] ^= hdr[4 + i];
		}
		return 0;
	}
	case 0x02: {
		struct sockaddr_in6 *in6 = &ss->in6;

		if (vlen != 20)
			return err_set(e, -EBADMSG, "IPv6 address attribute of %u bytes", vlen);
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, v + 4, 16);
		if (xor) {
			uint8_t *a = (uint8_t *)&in6->sin6_addr;

			/* hdr + 4 .. hdr + 20 is cookie followed by the txid. */
			for (int i = 0; i < 16; i++)
				a[i] ^= hdr[4 + i];
		}
		return 0;
	}
	default:
		return err_set(e, -EBADMSG, "address family 0x%02x", v[1]);
	}
}

/* Copies a server's reason phrase as printable ASCII only: it ends up on a terminal. */
static void copy_reason(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < cap; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[j] = '\0';
}

/* What one pass over a response's attributes found. */
struct resp_attrs {
	union sm_addr xor_addr, plain_addr, other, origin;
	bool have_xor, have_plain, have_fp, after_mi, have_other, have_origin, have_error;
	unsigned unknown_required, err_code;
	char reason[128];
};

/* The fixed header: a Binding response to our transaction, lengths consistent. */
static int check_header(const uint8_t *buf, size_t len, const uint8_t txid[STUN_TXID_LEN],
			uint16_t *type, struct errbuf *e)
{
	uint16_t mlen;

	if (len < STUN_HEADER_LEN)
		return err_set(e, -EBADMSG, "%zu bytes, shorter than a STUN header", len);
	*type = get16(buf);
	mlen = get16(buf + 2);
	/* The two top bits are zero in STUN; this and the cookie tell it from other traffic. */
	if (*type & 0xc000)
		return err_set(e, -EBADMSG, "not a STUN message (type 0x%04x)", *type);
	if (get32(buf + 4) != STUN_MAGIC_COOKIE)
		return err_set(e, -EBADMSG, "no STUN magic cookie");
	if (mlen % 4)
		return err_set(e, -EBADMSG, "message length %u not a multiple of 4", mlen);
	if ((size_t)mlen + STUN_HEADER_LEN != len)
		return err_set(e, -EBADMSG, "message length %u but %zu bytes of body", mlen,
			       len - STUN_HEADER_LEN);
	if (*type != STUN_BINDING_SUCCESS && *type != STUN_BINDING_ERROR)
		return err_set(e, -EBADMSG, "not a Binding response (type 0x%04x)", *type);
	if (memcmp(buf + 8, txid, STUN_TXID_LEN))
		return err_set(e, -ENOMSG, "response to another transaction");
	return 0;
}

/* An address attribute: the first of each kind counts. */
static int take_address(const uint8_t *v, uint16_t alen, const uint8_t *hdr, bool xor,
			bool *have, union sm_addr *out, const char *name, struct errbuf *e)
{
	int r;

	if (*have)
		return 0;
	r = stun_parse_address(v, alen, hdr, xor, out, e);
	if (r)
		return err_prefix(e, r, "%s: ", name);
	*have = true;
	return 0;
}

/* One attribute (type at, value v of alen bytes at offset off of buf). */
static int parse_attr(struct resp_attrs *a, const uint8_t *buf, size_t off, uint16_t at,
		      const uint8_t *v, uint16_t alen, struct errbuf *e)
{
	if (a->have_fp)
		return err_set(e, -EBADMSG, "attribute after FINGERPRINT");
	if (at == STUN_ATTR_FINGERPRINT) {
		if (alen != 4)
			return err_set(e, -EBADMSG, "FINGERPRINT of %u bytes", alen);
		/* Covers everything before it, with the header length as sent (which
		 * already includes the FINGERPRINT, since it is last). */
		if (get32(v) != (stun_crc32(buf, off) ^ STUN_FINGERPRINT_XOR))
			return err_set(e, -EBADMSG, "FINGERPRINT mismatch");
		a->have_fp = true;
	} else if (a->after_mi) {
		/* RFC 8489 14.5: only FINGERPRINT may follow MESSAGE-INTEGRITY; anything
		 * else there is ignored. */
	} else if (at == STUN_ATTR_MESSAGE_INTEGRITY || at == STUN_ATTR_MESSAGE_INTEGRITY_SHA256) {
		/* We send no credentials, so there is nothing to check it with. */
		a->after_mi = true;
	} else if (at == STUN_ATTR_XOR_MAPPED_ADDRESS) {
		return take_address(v, alen, buf, true, &a->have_xor, &a->xor_addr,
				    "XOR-MAPPED-ADDRESS", e);
	} else if (at == STUN_ATTR_MAPPED_ADDRESS) {
		return take_address(v, alen, buf, false, &a->have_plain, &a->plain_addr,
				    "MAPPED-ADDRESS", e);
	} else if (at == STUN_ATTR_OTHER_ADDRESS) {
		/* Plain (not XOR) address attributes, RFC 5780 7.3/7.4; first wins. */
		return take_address(v, alen, buf, false, &a->have_other, &a->other, "OTHER-ADDRESS", e);
	} else if (at == STUN_ATTR_RESPONSE_ORIGIN) {
		return take_address(v, alen, buf, false, &a->have_origin, &a->origin,
				    "RESPONSE-ORIGIN", e);
	} else if (at == STUN_ATTR_ERROR_CODE) {
		if (alen < 4)
			return err_set(e, -EBADMSG, "ERROR-CODE of %u bytes", alen);
		if (!a->have_error) {
			a->err_code = (v[2] & 7) * 100u + v[3];
			copy_reason(a->reason, sizeof(a->reason), v + 4, alen - 4u);
			a->have_error = true;
		}
	} else if (at < 0x8000) {
		a->unknown_required++;
	}
	return 0;
}

int stun_parse_response(const uint8_t *buf, size_t len, const uint8_t txid[STUN_TXID_LEN],
			struct stun_response *out, struct errbuf *e)
{
	struct resp_attrs a;
	uint16_t type = 0;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = check_header(buf, len, txid, &type, e)))
		return r;
	for (size_t off = STUN_HEADER_LEN; off < len;) {
		uint16_t at, alen;
		size_t padded;

		if (len - off < 4)
			return err_set(e, -EBADMSG, "truncated attribute header at offset %zu", off);
		at = get16(buf + off);
		alen = get16(buf + off + 2);
		padded = ((size_t)alen + 3) & ~(size_t)3;
		if (len - off - 4 < padded)
			return err_set(e, -EBADMSG, "attribute 0x%04x of %u bytes overruns the message",
				       at, alen);
		if ((r = parse_attr(&a, buf, off, at, buf + off + 4, alen, e)))
			return r;
		off += 4 + padded;
	}
	if (type == STUN_BINDING_ERROR) {
		if (!a.have_error)
			return err_set(e, -EREMOTEIO, "error response without ERROR-CODE");
		return err_set(e, -EREMOTEIO, "error %u %s", a.err_code, a.reason);
	}
	if (!a.have_xor && !a.have_plain)
		return err_set(e, -ENOENT, "success response without a mapped address");
	out->mapped = a.have_xor ? a.xor_addr : a.plain_addr;
	out->from_xor = a.have_xor;
	out->fingerprint = a.have_fp;
	out->unknown_required = a.unknown_required;
	out->has_other = a.have_other;
	out->has_origin = a.have_origin;
	out->other = a.other; /* zeroed when absent */
	out->origin = a.origin;
	return 0;
}
