/* SPDX-License-Identifier: GPL-2.0-or-later */
/* HMAC-SHA1 (RFC 2104). TURN's MESSAGE-INTEGRITY (RFC 8489 14.5) and coturn's REST API
 * passwords (base64(HMAC-SHA1(secret, username))) need it; libsodium offers HMAC only
 * over SHA-2, and OpenSSL for this one function (and MD5) is a large library for a
 * router build. Built on lib/sha1. */
#ifndef SM_HMAC_H
#define SM_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sha1.h"

struct hmac_sha1_ctx {
	struct sha1_ctx inner, outer;
};

/* Incremental form, so a caller can MAC a message in pieces (STUN's MESSAGE-INTEGRITY
 * covers the header with a patched length, then the attributes as they are). */
void hmac_sha1_init(struct hmac_sha1_ctx *c, const uint8_t *key, size_t key_len);
void hmac_sha1_update(struct hmac_sha1_ctx *c, const uint8_t *data, size_t len);
/* Writes the MAC and wipes the context. */
void hmac_sha1_final(struct hmac_sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN]);

void hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
	       uint8_t out[SHA1_DIGEST_LEN]);

#endif
