/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TURN (RFC 8656) client messages over UDP: Allocate, Refresh, CreatePermission,
 * ChannelBind, Send and Data indications, ChannelData framing, and long-term
 * credentials (RFC 8489 9.2: key = MD5(username ":" realm ":" password),
 * MESSAGE-INTEGRITY = HMAC-SHA1 over the message with its length adjusted, then a
 * FINGERPRINT), plus coturn's REST API credentials. Pure functions over (buf, len); no
 * I/O, no state: the caller keeps the realm, nonce and key between messages.
 *
 * The generic STUN message builder and parser are here rather than in stun.c, whose
 * small Binding-only API the discovery path relies on. */
#ifndef SM_TURN_H
#define SM_TURN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/util.h"
#include "proto/stun.h"

/* Methods (RFC 8656 17) and classes (RFC 8489 5). */
#define TURN_ALLOCATE 0x003
#define TURN_REFRESH 0x004
#define TURN_SEND 0x006
#define TURN_DATA 0x007
#define TURN_CREATE_PERMISSION 0x008
#define TURN_CHANNEL_BIND 0x009
#define STUN_CLASS_REQUEST 0x0000
#define STUN_CLASS_INDICATION 0x0010
#define STUN_CLASS_SUCCESS 0x0100
#define STUN_CLASS_ERROR 0x0110

/* Attributes (RFC 8489 18.3, RFC 8656 18). */
#define STUN_ATTR_USERNAME 0x0006
#define STUN_ATTR_UNKNOWN_ATTRIBUTES 0x000A
#define STUN_ATTR_REALM 0x0014
#define STUN_ATTR_NONCE 0x0015
#define STUN_ATTR_SOFTWARE 0x8022
#define TURN_ATTR_CHANNEL_NUMBER 0x000C
#define TURN_ATTR_LIFETIME 0x000D
#define TURN_ATTR_XOR_PEER_ADDRESS 0x0012
#define TURN_ATTR_DATA 0x0013
#define TURN_ATTR_XOR_RELAYED_ADDRESS 0x0016
#define TURN_ATTR_REQUESTED_ADDRESS_FAMILY 0x0017
#define TURN_ATTR_EVEN_PORT 0x0018
#define TURN_ATTR_REQUESTED_TRANSPORT 0x0019
#define TURN_ATTR_DONT_FRAGMENT 0x001A
#define TURN_ATTR_RESERVATION_TOKEN 0x0022
#define TURN_ATTR_ADDRESS_ERROR_CODE 0x8001
#define TURN_ATTR_ICMP 0x8004

/* Error codes a client acts on (RFC 8489 14.8, RFC 8656 18). */
#define TURN_ERR_TRY_ALTERNATE 300
#define TURN_ERR_BAD_REQUEST 400
#define TURN_ERR_UNAUTHORIZED 401
#define TURN_ERR_FORBIDDEN 403
#define TURN_ERR_UNKNOWN_ATTRIBUTE 420
#define TURN_ERR_ALLOCATION_MISMATCH 437
#define TURN_ERR_STALE_NONCE 438
#define TURN_ERR_WRONG_CREDENTIALS 441
#define TURN_ERR_UNSUPPORTED_TRANSPORT 442
#define TURN_ERR_ALLOCATION_QUOTA 486
#define TURN_ERR_INSUFFICIENT_CAPACITY 508

#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX 0x4FFF
#define TURN_CHANNEL_HEADER_LEN 4
#define TURN_KEY_LEN 16
/* RFC 8489: REALM and NONCE are under 128 characters, at most 763 bytes. */
#define TURN_TEXT_MAX 763
#define TURN_DEFAULT_LIFETIME 600 /* seconds (RFC 8656 3.2) */
#define TURN_PERMISSION_LIFETIME 300
#define TURN_CHANNEL_LIFETIME 600

/* What authenticates a request: the username, realm and nonce the server gave (all
 * as sent on the wire), and the long-term key derived from them and the password. */
struct turn_auth {
	const char *username;
	const char *realm;
	const uint8_t *nonce;
	size_t nonce_len;
	uint8_t key[TURN_KEY_LEN];
};

/* A message under construction: the builder functions append to buf and remember the
 * first failure (-ENOSPC, -EINVAL), which turn_msg_finish() returns. */
struct turn_msg {
	uint8_t *buf;
	size_t cap, len;
	int err;
};

void turn_msg_init(struct turn_msg *m, uint8_t *buf, size_t cap, uint16_t method,
		   uint16_t cls, const uint8_t txid[STUN_TXID_LEN]);
void turn_msg_attr(struct turn_msg *m, uint16_t type, const void *v, size_t vlen);
void turn_msg_attr_u32(struct turn_msg *m, uint16_t type, uint32_t v);
/* XOR-PEER-ADDRESS, XOR-RELAYED-ADDRESS, XOR-MAPPED-ADDRESS from a sockaddr. */
void turn_msg_attr_xaddr(struct turn_msg *m, uint16_t type, const struct sockaddr *sa);
/* USERNAME, REALM, NONCE, then MESSAGE-INTEGRITY keyed with auth->key. */
void turn_msg_auth(struct turn_msg *m, const struct turn_auth *auth);
/* MESSAGE-INTEGRITY with any key (short-term credentials use the password). */
void turn_msg_integrity(struct turn_msg *m, const uint8_t *key, size_t key_len);
void turn_msg_fingerprint(struct turn_msg *m);
/* 0 and the message's length in *len, or the first error. */
int turn_msg_finish(struct turn_msg *m, size_t *len);

/* Requests. auth NULL sends the request unauthenticated (the first Allocate, which a
 * server answers 401 with its REALM and NONCE). Every request ends in a FINGERPRINT.
 * lifetime 0 in a Refresh deletes the allocation. */
int turn_build_allocate(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			const struct turn_auth *auth, uint32_t lifetime, bool dont_fragment,
			size_t *len);
int turn_build_refresh(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		       const struct turn_auth *auth, uint32_t lifetime, size_t *len);
int turn_build_create_permission(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
				 const struct turn_auth *auth, const struct sockaddr *const *peers,
				 size_t npeers, size_t *len);
/* -EINVAL for a channel outside 0x4000-0x4FFF. */
int turn_build_channel_bind(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
			    const struct turn_auth *auth, uint16_t channel,
			    const struct sockaddr *peer, size_t *len);
/* A Send indication (no authentication, RFC 8656 11.1) carrying data to peer. */
int turn_build_send(uint8_t *buf, size_t cap, const uint8_t txid[STUN_TXID_LEN],
		    const struct sockaddr *peer, const uint8_t *data, size_t dlen,
		    bool dont_fragment, size_t *len);

/* A parsed TURN/STUN message. Pointers (realm, nonce, data) point into the parsed
 * buffer and live as long as it. */
struct turn_message {
	uint16_t method, cls;
	uint8_t txid[STUN_TXID_LEN];
	unsigned error_code; /* error responses */
	char reason[128];    /* printable ASCII */
	bool has_relayed, has_mapped, has_peer, has_lifetime, has_channel;
	union sm_addr relayed, mapped, peer;
	uint32_t lifetime;
	uint16_t channel;
	const uint8_t *realm, *nonce, *data;
	size_t realm_len, nonce_len, data_len;
	bool has_integrity; /* a MESSAGE-INTEGRITY was present (and matched the key) */
	bool fingerprint;   /* a FINGERPRINT was present and matched */
	unsigned unknown_required;
};

/* Parses any STUN message. txid: the request's, or NULL to accept any (indications).
 * key: when given, a MESSAGE-INTEGRITY must match it, and a success response must carry
 * one (RFC 8489 9.2.5); error responses may come without (a 401 has none).
 * 0: parsed into *out. -ENOMSG: another transaction. -EACCES: MESSAGE-INTEGRITY missing
 * or wrong. -EBADMSG: malformed (lengths, FINGERPRINT, an attribute's shape). */
int turn_parse(const uint8_t *buf, size_t len, const uint8_t *txid, const uint8_t *key,
	       size_t key_len, struct turn_message *out, struct errbuf *e);

/* The long-term key: MD5(username ":" realm ":" password). The password is used as
 * given: SASLprep (RFC 4013) is not applied, so a non-ASCII password must be given in
 * its prepared form. */
void turn_long_term_key(const char *username, const char *realm, const char *password,
			uint8_t key[TURN_KEY_LEN]);

/* coturn's REST API credentials (draft-uberti-behave-turn-rest): username
 * "<expiry>:<user>", password base64(HMAC-SHA1(secret, username)). user may be empty
 * (then the username is just the expiry). -ENOSPC when a buffer is too small (the
 * password needs 29 bytes). */
int turn_rest_credentials(const uint8_t *secret, size_t secret_len, uint64_t expiry,
			  const char *user, char *username, size_t ucap, char *password,
			  size_t pcap);

/* ChannelData (RFC 8656 12.4): the 4-byte header for channel and dlen, written in front
 * of data the caller already has in place (no copy). -EINVAL: channel out of range or
 * data longer than 65535. Over UDP no padding is sent (12.5 allows it, saves bytes). */
int turn_channel_header(uint8_t hdr[TURN_CHANNEL_HEADER_LEN], uint16_t channel, size_t dlen);
/* True when a datagram from the server is ChannelData rather than STUN (first two bits
 * 01, RFC 8656 12). */
bool turn_is_channel_data(const uint8_t *buf, size_t len);
/* Parses ChannelData: channel and the data inside buf. Bytes after the data (padding,
 * which a server may send over UDP too) are ignored; a datagram shorter than the length
 * claimed is -EBADMSG, as is a channel outside 0x4000-0x4FFF. */
int turn_channel_parse(const uint8_t *buf, size_t len, uint16_t *channel, const uint8_t **data,
		       size_t *dlen);

/* "Unauthorized", "Stale Nonce", ... for the codes above; NULL for others. */
const char *turn_error_name(unsigned code);

#endif
