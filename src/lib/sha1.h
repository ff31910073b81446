/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SHA-1 (FIPS 180-4, RFC 3174). Only used to name storage keys the way stunmesh-go
 * does (a public, non-secret label); libsodium does not offer it. Not for security. */
#ifndef SM_SHA1_H
#define SM_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_DIGEST_LEN 20

struct sha1_ctx {
	uint32_t h[5];
	uint64_t total; /* bytes hashed so far */
	uint8_t block[64];
	size_t used; /* bytes in block */
};

void sha1_init(struct sha1_ctx *c);
void sha1_update(struct sha1_ctx *c, const uint8_t *data, size_t len);
void sha1_final(struct sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN]);
/* One-shot convenience. */
void sha1(const uint8_t *data, size_t len, uint8_t out[SHA1_DIGEST_LEN]);

#endif
