/* SPDX-License-Identifier: GPL-2.0-or-later */
/* MD5 (RFC 1321). Only for the TURN long-term credential key, which RFC 8656 defines
 * as MD5(username ":" realm ":" password); libsodium has no MD5, and linking OpenSSL
 * into a router build for this one function (and HMAC-SHA1) would cost more than the
 * hundred lines here. Not for anything where collisions matter. */
#ifndef SM_MD5_H
#define SM_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16

struct md5_ctx {
	uint32_t h[4];
	uint64_t total; /* bytes hashed so far */
	uint8_t block[64];
	size_t used; /* bytes in block */
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const uint8_t *data, size_t len);
/* Writes the digest and wipes the context. */
void md5_final(struct md5_ctx *c, uint8_t out[MD5_DIGEST_LEN]);
void md5(const uint8_t *data, size_t len, uint8_t out[MD5_DIGEST_LEN]);

#endif
