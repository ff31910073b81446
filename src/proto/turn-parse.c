/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The receiving half of turn.h: the message parser (with MESSAGE-INTEGRITY and
 * FINGERPRINT checks), ChannelData, credentials. */
#include "proto/turn.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/hmac.h"
#include "lib/md5.h"

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

/* Constant time, so a forger learns nothing from how long a wrong MAC took. */
static bool mac_ok(const uint8_t *buf, size_t off, const uint8_t *mac, const uint8_t *key,
		   size_t key_len)
{
	struct hmac_sha1_ctx c;
	uint8_t hdr[STUN_HEADER_LEN], want[SHA1_DIGEST_LEN];

	memcpy(hdr, buf, STUN_HEADER_LEN);
	put16(hdr + 2, (uint16_t)(off - STUN_HEADER_LEN + 4 + SHA1_DIGEST_LEN));
	hmac_sha1_init(&c, key, key_len);
	hmac_sha1_update(&c, hdr, sizeof(hdr));
	hmac_sha1_update(&c, buf + STUN_HEADER_LEN, off - STUN_HEADER_LEN);
	hmac_sha1_final(&c, want);
	return sodium_memcmp(want, mac, SHA1_DIGEST_LEN) == 0;
}

static void copy_reason(char *dst, size_t cap, const uint8_t *src, size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 1 < cap; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[j] = '\0';
}

static int xaddr(const uint8_t *v, uint16_t alen, const uint8_t *buf, bool *have,
		 union sm_addr *ss, const char *name, struct errbuf *e)
{
	int r;

	if (*have)
		return 0; /* the first one counts */
	r = stun_parse_address(v, alen, buf, true, ss, e);
	if (r)
		return err_prefix(e, r, "%s: ", name);
	*have = true;
	return 0;
}

/* One attribute before MESSAGE-INTEGRITY into *m. */
static int take_attr(struct turn_message *m, const uint8_t *buf, uint16_t at, const uint8_t *v,
		     uint16_t alen, struct errbuf *e)
{
	switch (at) {
	case TURN_ATTR_XOR_RELAYED_ADDRESS:
		return xaddr(v, alen, buf, &m->has_relayed, &m->relayed, "XOR-RELAYED-ADDRESS", e);
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
		return xaddr(v, alen, buf, &m->has_mapped, &m->mapped, "XOR-MAPPED-ADDRESS", e);
	case TURN_ATTR_XOR_PEER_ADDRESS:
		return xaddr(v, alen, buf, &m->has_peer, &m->peer, "XOR-PEER-ADDRESS", e);
	case TURN_ATTR_LIFETIME:
		if (alen != 4)
			return err_set(e, -EBADMSG, "LIFETIME of %u bytes", alen);
		m->lifetime = get32(v);
		m->has_lifetime = true;
		return 0;
	case TURN_ATTR_CHANNEL_NUMBER:
		if (alen != 4)
			return err_set(e, -EBADMSG, "CHANNEL-NUMBER of %u bytes", alen);
		m->channel = get16(v);
		m->has_channel = true;
		return 0;
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
		if (alen > TURN_TEXT_MAX)
			return err_set(e, -EBADMSG, "%s of %u bytes",
				       at == STUN_ATTR_REALM ? "REALM" : "NONCE", alen);
		if (at == STUN_ATTR_REALM)
			m->realm = v, m->realm_len = alen;
		else
			m->nonce = v, m->nonce_len = alen;
		return 0;
	case TURN_ATTR_DATA:
		m->data = v;
		m->data_len = alen;
		return 0;
	case STUN_ATTR_ERROR_CODE:
		if (alen < 4)
			return err_set(e, -EBADMSG, "ERROR-CODE of %u bytes", alen);
		if (!m->error_code) {
			m->error_code = (v[2] & 7) * 100u + v[3];
			copy_reason(m->reason, sizeof(m->reason), v + 4, alen - 4u);
		}
		return 0;
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_SOFTWARE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_MAPPED_ADDRESS:
	case TURN_ATTR_DONT_FRAGMENT:
	case TURN_ATTR_REQUESTED_TRANSPORT:
	case TURN_ATTR_RESERVATION_TOKEN:
	case TURN_ATTR_EVEN_PORT:
	case TURN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		return 0; /* known, nothing a client reads from them */
	default:
		if (at < 0x8000)
			m->unknown_required++;
		return 0;
	}
}

/* The header checks every STUN message must pass (RFC 8489 6.3). */
static int check_header(const uint8_t *buf, size_t len, struct errbuf *e)
{
	uint16_t mlen;

	if (len < STUN_HEADER_LEN)
		return err_set(e, -EBADMSG, "%zu bytes, shorter than a STUN header", len);
	if (buf[0] & 0xc0)
		return err_set(e, -EBADMSG, "not a STUN message (type 0x%04x)", get16(buf));
	if (get32(buf + 4) != STUN_MAGIC_COOKIE)
		return err_set(e, -EBADMSG, "no STUN magic cookie");
	mlen = get16(buf + 2);
	if (mlen % 4)
		return err_set(e, -EBADMSG, "message length %u not a multiple of 4", mlen);
	if ((size_t)mlen + STUN_HEADER_LEN != len)
		return err_set(e, -EBADMSG, "message length %u but %zu bytes of body", mlen,
			       len - STUN_HEADER_LEN);
	return 0;
}

int turn_parse(const uint8_t *buf, size_t len, const uint8_t *txid, const uint8_t *key,
	       size_t key_len, struct turn_message *out, struct errbuf *e)
{
	struct turn_message m;
	bool after_mi = false, have_fp = false;
	uint16_t type;
	int r;

	if ((r = check_header(buf, len, e)))
		return r;
	if (txid && memcmp(buf + 8, txid, STUN_TXID_LEN))
		return err_set(e, -ENOMSG, "a message of another transaction");
	memset(&m, 0, sizeof(m));
	type = get16(buf);
	m.method = (uint16_t)((type & 0x000f) | (type & 0x00e0) >> 1 | (type & 0x3e00) >> 2);
	m.cls = type & 0x0110;
	memcpy(m.txid, buf + 8, STUN_TXID_LEN);

	for (size_t off = STUN_HEADER_LEN; off < len;) {
		uint16_t at, alen;
		size_t padded;
		const uint8_t *v;

		if (len - off < 4)
			return err_set(e, -EBADMSG, "truncated attribute header at offset %zu", off);
		at = get16(buf + off);
		alen = get16(buf + off + 2);
		padded = ((size_t)alen + 3) & ~(size_t)3;
		if (len - off - 4 < padded)
			return err_set(e, -EBADMSG, "attribute 0x%04x of %u bytes overruns the message",
				       at, alen);
		v = buf + off + 4;
		if (have_fp)
			return err_set(e, -EBADMSG, "attribute after FINGERPRINT");
		if (at == STUN_ATTR_FINGERPRINT) {
			if (alen != 4)
				return err_set(e, -EBADMSG, "FINGERPRINT of %u bytes", alen);
			if (get32(v) != (stun_crc32(buf, off) ^ STUN_FINGERPRINT_XOR))
				return err_set(e, -EBADMSG, "FINGERPRINT mismatch");
			have_fp = true;
		} else if (after_mi) {
			/* RFC 8489 14.5: what follows MESSAGE-INTEGRITY (but FINGERPRINT) is
			 * not covered by it, so it is ignored. */
		} else if (at == STUN_ATTR_MESSAGE_INTEGRITY) {
			if (alen != SHA1_DIGEST_LEN)
				return err_set(e, -EBADMSG, "MESSAGE-INTEGRITY of %u bytes", alen);
			if (key && !mac_ok(buf, off, v, key, key_len))
				return err_set(e, -EACCES, "MESSAGE-INTEGRITY does not match our key");
			m.has_integrity = key != NULL;
			after_mi = true;
		} else if ((r = take_attr(&m, buf, at, v, alen, e))) {
			return r;
		}
		off += 4 + padded;
	}
	m.fingerprint = have_fp;
	if (m.cls == STUN_CLASS_ERROR && !m.error_code)
		return err_set(e, -EBADMSG, "error response without ERROR-CODE");
	/* An authenticated request's success must prove it came from the server that
	 * knows our key (RFC 8489 9.2.5); its errors (401, 438) cannot. */
	if (key && m.cls == STUN_CLASS_SUCCESS && !m.has_integrity)
		return err_set(e, -EACCES, "success response without MESSAGE-INTEGRITY");
	*out = m;
	return 0;
}

void turn_long_term_key(const char *username, const char *realm, const char *password,
			uint8_t key[TURN_KEY_LEN])
{
	struct md5_ctx c;

	md5_init(&c);
	md5_update(&c, (const uint8_t *)username, strlen(username));
	md5_update(&c, (const uint8_t *)":", 1);
	md5_update(&c, (const uint8_t *)realm, strlen(realm));
	md5_update(&c, (const uint8_t *)":", 1);
	md5_update(&c, (const uint8_t *)password, strlen(password));
	md5_final(&c, key);
}

int turn_rest_credentials(const uint8_t *secret, size_t secret_len, uint64_t expiry,
			  const char *user, char *username, size_t ucap, char *password,
			  size_t pcap)
{
	uint8_t mac[SHA1_DIGEST_LEN];
	int n;

	if (pcap < sodium_base64_ENCODED_LEN(SHA1_DIGEST_LEN, sodium_base64_VARIANT_ORIGINAL))
		return -ENOSPC;
	if (user && *user)
		n = snprintf(username, ucap, "%" PRIu64 ":%s", expiry, user);
	else
		n = snprintf(username, ucap, "%" PRIu64, expiry);
	if (n < 0 || (size_t)n >= ucap)
		return -ENOSPC;
	hmac_sha1(secret, secret_len, (const uint8_t *)username, (size_t)n, mac);
	sodium_bin2base64(password, pcap, mac, sizeof(mac), sodium_base64_VARIANT_ORIGINAL);
	secure_zero(mac, sizeof(mac));
	return 0;
}

int turn_channel_header(uint8_t hdr[TURN_CHANNEL_HEADER_LEN], uint16_t channel, size_t dlen)
{
	if (channel < TURN_CHANNEL_MIN || channel > TURN_CHANNEL_MAX || dlen > 0xffff)
		return -EINVAL;
	put16(hdr, channel);
	put16(hdr + 2, (uint16_t)dlen);
	return 0;
}

bool turn_is_channel_data(const uint8_t *buf, size_t len)
{
	return len >= 1 && (buf[0] & 0xc0) == 0x40;
}

int turn_channel_parse(const uint8_t *buf, size_t len, uint16_t *channel, const uint8_t **data,
		       size_t *dlen)
{
	uint16_t ch, n;

	if (len < TURN_CHANNEL_HEADER_LEN)
		return -EBADMSG;
	ch = get16(buf);
	n = get16(buf + 2);
	if (ch < TURN_CHANNEL_MIN || ch > TURN_CHANNEL_MAX)
		return -EBADMSG;
	if (len - TURN_CHANNEL_HEADER_LEN < n)
		return -EBADMSG;
	*channel = ch;
	*data = buf + TURN_CHANNEL_HEADER_LEN;
	*dlen = n;
	return 0;
}

const char *turn_error_name(unsigned code)
{
	switch (code) {
	case TURN_ERR_TRY_ALTERNATE: return "Try Alternate";
	case TURN_ERR_BAD_REQUEST: return "Bad Request";
	case TURN_ERR_UNAUTHORIZED: return "Unauthorized";
	case TURN_ERR_FORBIDDEN: return "Forbidden";
	case TURN_ERR_UNKNOWN_ATTRIBUTE: return "Unknown Attribute";
	case TURN_ERR_ALLOCATION_MISMATCH: return "Allocation Mismatch";
	case TURN_ERR_STALE_NONCE: return "Stale Nonce";
	case TURN_ERR_WRONG_CREDENTIALS: return "Wrong Credentials";
	case TURN_ERR_UNSUPPORTED_TRANSPORT: return "Unsupported Transport Protocol";
	case TURN_ERR_ALLOCATION_QUOTA: return "Allocation Quota Reached";
	case TURN_ERR_INSUFFICIENT_CAPACITY: return "Insufficient Capacity";
	default: return NULL;
	}
}
