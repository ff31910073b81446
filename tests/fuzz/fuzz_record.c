/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The record opener as a store hands it values. A random value never gets past the
 * box, so the first byte picks: even = the rest is the stored hex value as is; odd =
 * the rest is a plaintext, sealed here with the vector keys, then opened, which drives
 * the JSON and endpoint parsers through the real path. What parses must rebuild to
 * JSON that parses to the same record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t dev_priv[32] = { 0x00, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
				      0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
				      0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
				      0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x41 };
static const uint8_t peer_priv[32] = { 0x00, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
				       0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
				       0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
				       0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x42 };
static const char dev_pub_hex[] =
	"a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209";
static const char peer_pub_hex[] =
	"ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59";

static void check_round_trip(const struct record *r)
{
	struct strbuf sb = { 0 };
	struct record again;

	if (record_json_build(r, &sb))
		abort();
	if (record_json_parse((const uint8_t *)sb.buf, sb.len, &again, NULL))
		abort();
	if (again.has_ts != r->has_ts || (r->has_ts && again.ts != r->ts) ||
	    again.ipv4.sa.sa_family != r->ipv4.sa.sa_family ||
	    again.ipv6.sa.sa_family != r->ipv6.sa.sa_family)
		abort();
	if (r->ipv4.sa.sa_family && memcmp(&again.ipv4.in, &r->ipv4.in, sizeof(r->ipv4.in)))
		abort();
	if (r->ipv6.sa.sa_family && memcmp(&again.ipv6.in6, &r->ipv6.in6, sizeof(r->ipv6.in6)))
		abort();
	sb_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t dev_pub[32], peer_pub[32], nonce[RECORD_NONCE_LEN] = { 0 };
	struct errbuf e;
	struct record r;
	char *hex = NULL;

	if (size < 1)
		return 0;
	hex_decode(dev_pub, 32, dev_pub_hex, 64);
	hex_decode(peer_pub, 32, peer_pub_hex, 64);
	if (!(data[0] & 1)) {
		if (!record_open((const char *)data + 1, size - 1, dev_pub, peer_priv, &r, &e))
			check_round_trip(&r);
		return 0;
	}
	if (record_seal_nonce(data + 1, size - 1, nonce, peer_pub, dev_priv, &hex, &e))
		return 0;
	if (!record_open(hex, strlen(hex), dev_pub, peer_priv, &r, &e))
		check_round_trip(&r);
	free(hex);
	return 0;
}
