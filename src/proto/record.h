/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Endpoint records, byte-compatible with stunmesh-go:
 *  - storage keys: lowercase hex SHA-1 of two raw 32-byte public keys; a node writes
 *    sha1(own || peer) and reads sha1(peer || own);
 *  - plaintext: compact JSON {"ipv4":"a.b.c.d:port","ipv6":"[v6]:port"} in that order,
 *    empty fields omitted, plus our "ts" (unix seconds) and "nat" last, which Go's
 *    decoder ignores;
 *  - value: lowercase hex of nonce(24) || tag(16) || ciphertext, NaCl crypto_box with
 *    the sender's private key and the recipient's public key (not a sealed box).
 * Everything read from a store is outside input: opening checks hex, length, the box,
 * the JSON and each endpoint (IP literal, port 1-65535), and fails with words. */
#ifndef SM_RECORD_H
#define SM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"

#define RECORD_KEY_HEX_LEN 40 /* hex of a SHA-1 digest */
#define RECORD_PUB_LEN 32     /* a Curve25519 public key, as WireGuard's */
#define RECORD_NONCE_LEN 24   /* crypto_box_NONCEBYTES */
#define RECORD_TAG_LEN 16     /* crypto_box_MACBYTES */
/* Our largest plaintext is about 110 bytes; anything far beyond is not a record. */
#define RECORD_MAX_HEX 2048
/* A ts further ahead of our clock than this is accepted but worth a warning. */
#define RECORD_FUTURE_SLACK_SEC 600

/* A peer's `protocol`: which published field is given to WireGuard. */
enum peer_family { PEER_IPV4 = 0, PEER_IPV6, PEER_PREFER_IPV4, PEER_PREFER_IPV6 };

struct record {
	union sm_addr ipv4; /* sa_family AF_UNSPEC when absent */
	union sm_addr ipv6; /* sa_family AF_UNSPEC when absent */
	int64_t ts;		/* unix seconds; meaningful only with has_ts */
	bool has_ts;		/* stunmesh-go records carry no ts */
	/* Ours too: "nat":"symmetric" when the sender's NAT maps the WireGuard port to a
	 * different port per destination, so a peer that is symmetric too knows hole
	 * punching between them cannot work. Go's decoder ignores it. */
	bool nat_symmetric;
};

/* Storage keys; out gets RECORD_KEY_HEX_LEN chars and a NUL. */
void record_write_key(const uint8_t own_pub[RECORD_PUB_LEN], const uint8_t peer_pub[RECORD_PUB_LEN],
		      char out[RECORD_KEY_HEX_LEN + 1]);
void record_read_key(const uint8_t own_pub[RECORD_PUB_LEN], const uint8_t peer_pub[RECORD_PUB_LEN],
		     char out[RECORD_KEY_HEX_LEN + 1]);

/* Appends the compact JSON plaintext of r to out. 0, -EINVAL (bad address), -ENOMEM. */
int record_json_build(const struct record *r, struct strbuf *out);
/* Parses a plaintext the way Go's encoding/json fills stunmesh-go's struct: keys match
 * case-insensitively (the last one wins), unknown keys are ignored, "" and null mean
 * absent; then each endpoint is checked. "ts", when present, must be an integer >= 0. */
int record_json_parse(const uint8_t *buf, size_t len, struct record *out, struct errbuf *e);

/* Seals plaintext with the given nonce; *out_hex is a malloc'd NUL-terminated string.
 * Tests use fixed nonces; everything else goes through record_seal. */
int record_seal_nonce(const uint8_t *plain, size_t len, const uint8_t nonce[RECORD_NONCE_LEN],
		      const uint8_t peer_pub[RECORD_PUB_LEN], const uint8_t own_priv[RECORD_PUB_LEN],
		      char **out_hex, struct errbuf *e);
/* Builds r's JSON and seals it for the peer with a fresh random nonce. */
int record_seal(const struct record *r, const uint8_t peer_pub[RECORD_PUB_LEN],
		const uint8_t own_priv[RECORD_PUB_LEN], char **out_hex, struct errbuf *e);
/* Decodes and opens a stored value into plaintext. *plain (malloc'd, not NUL-terminated)
 * and *plain_len are written on success only. */
int record_open_raw(const char *hex, size_t hex_len, const uint8_t peer_pub[RECORD_PUB_LEN],
		    const uint8_t own_priv[RECORD_PUB_LEN], uint8_t **plain, size_t *plain_len,
		    struct errbuf *e);
/* record_open_raw + record_json_parse. */
int record_open(const char *hex, size_t hex_len, const uint8_t peer_pub[RECORD_PUB_LEN],
		const uint8_t own_priv[RECORD_PUB_LEN], struct record *out, struct errbuf *e);

/* Picks the endpoint to give WireGuard by the peer's protocol: ipv4/ipv6 use only that
 * field, prefer_* fall back to the other. -ENOENT when nothing suitable was published. */
int record_select(const struct record *r, enum peer_family fam, union sm_addr *out,
		  struct errbuf *e);

/* Per-peer replay guard. A replayed old record (valid box, old content) must not move
 * the endpoint back, so a record with ts older than the newest accepted from that peer
 * is rejected. Equal ts is the same record read again and is accepted. */
struct record_fresh {
	int64_t newest_ts;
	bool seen;
};

enum {
	RECORD_FRESH_NO_TS = 1U << 0,  /* a stunmesh-go record: accepted, nothing learnt */
	RECORD_FRESH_FUTURE = 1U << 1, /* ts > now + RECORD_FUTURE_SLACK_SEC: warn */
};

/* Checks r against f and, when accepted, remembers its ts. 0 with *flags set (the
 * RECORD_FRESH_* bits), or -ESTALE with the reason in e, f unchanged. */
int record_fresh_accept(struct record_fresh *f, const struct record *r, int64_t now,
			unsigned *flags, struct errbuf *e);

#endif
