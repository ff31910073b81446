/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sending half of turn.h: message building, requests, indications. Written from
 * RFC 8656 (TURN) and RFC 8489 (STUN) sections 5, 9.2, 14 and 15. */
#include "proto/turn.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/hmac.h"

#define MI_ATTR_LEN (4 + SHA1_DIGEST_LEN)
#define FP_ATTR_LEN 8

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

/* RFC 8489 5: the method's 12 bits are spread around the two class bits. */
static uint16_t msg_type(uint16_t method, uint16_t cls)
{
	return (uint16_t)((method & 0x000f) | (method & 0x0070) << 1 | (method & 0x0f80) << 2 |
			  (cls & 0x0110));
}

void turn_msg_init(struct turn_msg *m, uint8_t *buf, size_t cap, uint16_t method,
		   uint16_t cls, const uint8_t txid[STUN_TXID_LEN])
{
	m->buf = buf;
	m->cap = cap;
	m->len = 0;
	m->err = 0;
	if (cap < STUN_HEADER_LEN) {
		m->err = -ENOSPC;
		return;
	}
	put16(buf, msg_type(method, cls));
	put16(buf + 2, 0);
	put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, txid, STUN_TXID_LEN);
	m->len = STUN_HEADER_LEN;
}

static void set_length(struct turn_msg *m, size_t body)
{
	put16(m->buf + 2, (uint16_t)body);
}

void turn_msg_attr(struct turn_msg *m, uint16_t type, const void *v, size_t vlen)
{
	size_t padded = (vlen + 3) & ~(size_t)3;

	if (m->err)
		return;
	if (vlen > 0xffff || m->len - STUN_HEADER_LEN + 4 + padded > 0xffff) {
		m->err = -EINVAL;
		return;
	}
	if (m->cap - m->len < 4 + padded) {
		m->err = -ENOSPC;
		return;
	}
	put16(m->buf + m->len, type);
	put16(m->buf + m->len + 2, (uint16_t)vlen);
	if (vlen)
		memcpy(m->buf + m->len + 4, v, vlen);
	memset(m->buf + m->len + 4 + vlen, 0, padded - vlen);
	m->len += 4 + padded;
	set_length(m, m->len - STUN_HEADER_LEN);
}

void turn_msg_attr_u32(struct turn_msg *m, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	turn_msg_attr(m, type, b, 4);
}

void turn_msg_attr_xaddr(struct turn_msg *m, uint16_t type, const struct sockaddr *sa)
{
	uint8_t v[20];
	size_t n;

	if (m->err)
		return;
	v[0] = 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		v[1] = 0x01;
		put16(v + 2, (uint16_t)(ntohs(in->sin_port) ^ (STUN_MAGIC_COOKIE >> 16)));
		memcpy(v + 4, &in->sin_addr, 4);
		n = 8;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		v[1] = 0x02;
		put16(v + 2, (uint16_t)(ntohs(in6->sin6_port) ^ (STUN_MAGIC_COOKIE >> 16)));
		memcpy(v + 4, &in6->sin6_addr, 16);
		n = 20;
	} else {
		m->err = -EAFNOSUPPORT;
		return;
	}
	/* The address is XOR'ed with the cookie and the txid: header bytes 4-19. */
	for (size_t i = 4; i < n; i++)
		v[i] ^= m->buf[i];
	turn_msg_attr(m, type, v, n);
}

/* HMAC over the message so far, with the header's length already counting the
 * MESSAGE-INTEGRITY attribute about to be appended (RFC 8489 14.5). */
static void mac_prefix(const uint8_t *buf, size_t off, const uint8_t *key, size_t key_len,
		       uint8_t out[SHA1_DIGEST_LEN])
{
	struct hmac_sha1_ctx c;
	uint8_t hdr[STUN_HEADER_LEN];

	memcpy(hdr, buf, STUN_HEADER_LEN);
	put16(hdr + 2, (uint16_t)(off - STUN_HEADER_LEN + MI_ATTR_LEN));
	hmac_sha1_init(&c, key, key_len);
	hmac_sha1_update(&c, hdr, sizeof(hdr));
	hmac_sha1_update(&c, buf + STUN_HEADER_LEN, off - STUN_HEADER_LEN);
	hmac_sha1_final(&c, out);
}

void turn_msg_integrity(struct turn_msg *m, const uint8_t *key, size_t key_len)
{
	uint8_t mac[SHA1_DIGEST_LEN];

	if (m->err)
		return;
	if (m->cap - m->len < MI_ATTR_LEN) {
		m->err = -ENOSPC;
		return;
	}
	mac_prefix(m->buf, m->len, key, key_len, mac);
	turn_msg_attr(m, STUN_ATTR_MESSAGE_INTEGRITY, mac, sizeof(mac));
}

void turn_msg_fingerprint(struct turn_msg *m)
{
	uint32_t crc;

	if (m->err)
		return;
	if (m->cap - m->len < FP_ATTR_LEN) {
		m->err = -ENOSPC;
		return;
	}
	set_length(m, m->len - STUN_HEADER_LEN + FP_ATTR_LEN);
	crc = stun_crc32(m->buf, m->len) ^ STUN_FINGERPRINT_XOR;
	turn_msg_attr_u32(m, STUN_ATTR_FINGERPRINT, crc);
}

void turn_msg_auth(struct turn_msg *m, const struct turn_auth *auth)
{
	turn_msg_attr(m, STUN_ATTR_USERNAME, auth->username, strlen(auth->username));
	turn_msg_attr(m, STUN_ATTR_REALM, auth->realm, strlen(auth->realm));
	turn_msg_attr(m, STUN_ATTR_NONCE, auth->nonce, auth->nonce_len);
	turn_msg_integrity(m, auth->key, sizeof(auth->key));
}

int turn_msg_finish(struct turn_msg *m, size_t *len)
{
	if (m->err)
		return m->err;
	*len = m->len;
	return 0;
}

/* Authentication (if any), FINGERPRINT, done: how every request ends. */
static int finish_request(struct turn_msg *m, const struct turn_auth *auth, size_t *len)
{
	if (auth)
		turn_msg_auth(m, auth);
	turn_msg_fingerprint(m);
	return turn_msg_finish(m, len);
}

int turn_build_allocate(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			const struct turn_auth *auth, uint32_t lifetime, bool dont_fragment,
			size_t *len)
{
	/* REQUESTED-TRANSPORT: protocol number 17 (UDP) and three RFFU bytes. */
	static const uint8_t udp[4] = { IPPROTO_UDP, 0, 0, 0 };
	struct turn_msg m;

	turn_msg_init(&m, buf, cap, TURN_ALLOCATE, STUN_CLASS_REQUEST, txid);
	turn_msg_attr(&m, TURN_ATTR_REQUESTED_TRANSPORT, udp, sizeof(udp));
	if (lifetime)
		turn_msg_attr_u32(&m, TURN_ATTR_LIFETIME, lifetime);
	if (dont_fragment)
		turn_msg_attr(&m, TURN_ATTR_DONT_FRAGMENT, NULL, 0);
	return finish_request(&m, auth, len);
}

int turn_build_refresh(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       const struct turn_auth *auth, uint32_t lifetime, size_t *len)
{
	struct turn_msg m;

	turn_msg_init(&m, buf, cap, TURN_REFRESH, STUN_CLASS_REQUEST, txid);
	turn_msg_attr_u32(&m, TURN_ATTR_LIFETIME, lifetime);
	return finish_request(&m, auth, len);
}

int turn_build_create_permission(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
				 const struct turn_auth *auth, const struct sockaddr *const *peers,
				 size_t npeers, size_t *len)
{
	struct turn_msg m;

	if (npeers == 0)
		return -EINVAL;
	turn_msg_init(&m, buf, cap, TURN_CREATE_PERMISSION, STUN_CLASS_REQUEST, txid);
	for (size_t i = 0; i < npeers; i++)
		turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_PEER_ADDRESS, peers[i]);
	return finish_request(&m, auth, len);
}

int turn_build_channel_bind(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			    const struct turn_auth *auth, uint16_t channel,
			    const struct sockaddr *peer, size_t *len)
{
	struct turn_msg m;
	uint8_t ch[4] = { 0 };

	if (channel < TURN_CHANNEL_MIN || channel > TURN_CHANNEL_MAX)
		return -EINVAL;
	put16(ch, channel);
	turn_msg_init(&m, buf, cap, TURN_CHANNEL_BIND, STUN_CLASS_REQUEST, txid);
	turn_msg_attr(&m, TURN_ATTR_CHANNEL_NUMBER, ch, sizeof(ch));
	turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_PEER_ADDRESS, peer);
	return finish_request(&m, auth, len);
}

int turn_build_send(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		    const struct sockaddr *peer, const uint8_t *data, size_t dlen,
		    bool dont_fragment, size_t *len)
{
	struct turn_msg m;

	turn_msg_init(&m, buf, cap, TURN_SEND, STUN_CLASS_INDICATION, txid);
	turn_msg_attr_xaddr(&m, TURN_ATTR_XOR_PEER_ADDRESS, peer);
	if (dont_fragment)
		turn_msg_attr(&m, TURN_ATTR_DONT_FRAGMENT, NULL, 0);
	turn_msg_attr(&m, TURN_ATTR_DATA, data, dlen);
	/* An indication carries no MESSAGE-INTEGRITY; the FINGERPRINT costs 8 bytes and
	 * lets a server that multiplexes tell it from other traffic. */
	turn_msg_fingerprint(&m);
	return turn_msg_finish(&m, len);
}
