/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Written from RFC 2104 section 2; see hmac.h for why it exists. */
#include "lib/hmac.h"

#include <string.h>

#include "lib/util.h"

#define BLOCK 64

void hmac_sha1_init(struct hmac_sha1_ctx *c, const uint8_t *key, size_t key_len)
{
	uint8_t k[BLOCK], pad[BLOCK];

	memset(k, 0, sizeof(k));
	/* Keys longer than a block are hashed first (RFC 2104: "applications that use
	 * keys longer than B bytes will first hash the key"). */
	if (key_len > BLOCK)
		sha1(key, key_len, k);
	else if (key_len)
		memcpy(k, key, key_len);
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	sha1_init(&c->inner);
	sha1_update(&c->inner, pad, BLOCK);
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	sha1_init(&c->outer);
	sha1_update(&c->outer, pad, BLOCK);
	secure_zero(k, sizeof(k));
	secure_zero(pad, sizeof(pad));
}

void hmac_sha1_update(struct hmac_sha1_ctx *c, const uint8_t *data, size_t len)
{
	sha1_update(&c->inner, data, len);
}

void hmac_sha1_final(struct hmac_sha1_ctx *c, uint8_t out[SHA1_DIGEST_LEN])
{
	uint8_t ih[SHA1_DIGEST_LEN];

	sha1_final(&c->inner, ih);
	sha1_update(&c->outer, ih, sizeof(ih));
	sha1_final(&c->outer, out);
	secure_zero(ih, sizeof(ih));
	secure_zero(c, sizeof(*c));
}

void hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len,
	       uint8_t out[SHA1_DIGEST_LEN])
{
	struct hmac_sha1_ctx c;

	hmac_sha1_init(&c, key, key_len);
	hmac_sha1_update(&c, data, len);
	hmac_sha1_final(&c, out);
}
