/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "proto/record.h"
#include "lib/jsonfield.h"
#include "lib/sha1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(RECORD_NONCE_LEN == crypto_box_NONCEBYTES, "nonce size");
_Static_assert(RECORD_TAG_LEN == crypto_box_MACBYTES, "tag size");
_Static_assert(RECORD_PUB_LEN == crypto_box_PUBLICKEYBYTES, "key size");

static void key_of(const uint8_t a[RECORD_PUB_LEN], const uint8_t b[RECORD_PUB_LEN],
		   char out[RECORD_KEY_HEX_LEN + 1])
{
	uint8_t both[2 * RECORD_PUB_LEN], d[SHA1_DIGEST_LEN];

	memcpy(both, a, RECORD_PUB_LEN);
	memcpy(both + RECORD_PUB_LEN, b, RECORD_PUB_LEN);
	sha1(both, sizeof(both), d);
	hex_encode(out, d, sizeof(d));
}

void record_write_key(const uint8_t own_pub[RECORD_PUB_LEN], const uint8_t peer_pub[RECORD_PUB_LEN],
		      char out[RECORD_KEY_HEX_LEN + 1])
{
	key_of(own_pub, peer_pub, out);
}

void record_read_key(const uint8_t own_pub[RECORD_PUB_LEN], const uint8_t peer_pub[RECORD_PUB_LEN],
		     char out[RECORD_KEY_HEX_LEN + 1])
{
	key_of(peer_pub, own_pub, out);
}

int record_json_build(const struct record *r, struct strbuf *out)
{
	char ep[64];
	const char *sep = "";

	if (sb_puts(out, "{"))
		return -ENOMEM;
	if (r->ipv4.sa.sa_family != AF_UNSPEC) {
		if (r->ipv4.sa.sa_family != AF_INET)
			return -EINVAL;
		addr_format(&r->ipv4, ep, sizeof(ep));
		if (sb_printf(out, "\"ipv4\":\"%s\"", ep))
			return -ENOMEM;
		sep = ",";
	}
	if (r->ipv6.sa.sa_family != AF_UNSPEC) {
		/* a scope means nothing to the peer (and Go's JoinHostPort form has none) */
		if (r->ipv6.sa.sa_family != AF_INET6 || r->ipv6.in6.sin6_scope_id)
			return -EINVAL;
		addr_format(&r->ipv6, ep, sizeof(ep));
		if (sb_printf(out, "%s\"ipv6\":\"%s\"", sep, ep))
			return -ENOMEM;
		sep = ",";
	}
	if (r->has_ts && sb_printf(out, "%s\"ts\":%" PRId64, sep, r->ts))
		return -ENOMEM;
	if (r->has_ts)
		sep = ",";
	if (r->nat_symmetric && sb_printf(out, "%s\"nat\":\"symmetric\"", sep))
		return -ENOMEM;
	if (sb_puts(out, "}"))
		return -ENOMEM;
	return 0;
}

static int parse_endpoint_field(const cJSON *obj, const char *name, int family,
				union sm_addr *out, struct errbuf *e)
{
	const cJSON *v;
	int r;

	out->sa.sa_family = AF_UNSPEC;
	if (json_field(obj, name, cJSON_String, &v))
		return err_set(e, -EINVAL, "\"%s\" is not a string", name);
	if (!v || !*v->valuestring)
		return 0;
	r = addr_parse(v->valuestring, strlen(v->valuestring), family, 0, out, e);
	if (r)
		return err_prefix(e, r, "\"%s\": ", name);
	return 0;
}

int record_json_parse(const uint8_t *buf, size_t len, struct record *out, struct errbuf *e)
{
	const char *end = NULL;
	struct record rec;
	const cJSON *ts, *nat;
	cJSON *root;
	int r;

	memset(&rec, 0, sizeof(rec));
	if (!len)
		return err_set(e, -EINVAL, "empty plaintext");
	root = cJSON_ParseWithLengthOpts((const char *)buf, len, &end, 0);
	if (!root)
		return err_set(e, -EINVAL, "plaintext is not JSON");
	/* encoding/json rejects anything but whitespace after the value. */
	for (size_t off = (size_t)(end - (const char *)buf); off < len; off++) {
		if (!strchr(" \t\r\n", buf[off]) || !buf[off]) {
			r = err_set(e, -EINVAL, "plaintext is not JSON (data after the value)");
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		r = err_set(e, -EINVAL, "plaintext is not a JSON object");
		goto out;
	}
	r = parse_endpoint_field(root, "ipv4", AF_INET, &rec.ipv4, e);
	if (r)
		goto out;
	r = parse_endpoint_field(root, "ipv6", AF_INET6, &rec.ipv6, e);
	if (r)
		goto out;
	if (json_field(root, "ts", cJSON_Number, &ts)) {
		r = err_set(e, -EINVAL, "\"ts\" is not a number");
		goto out;
	}
	if (ts) {
		double d = ts->valuedouble;

		/* Integral and exactly representable; 2^53 is far beyond any real clock. */
		if (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d)) {
			r = err_set(e, -EINVAL, "\"ts\" is not a non-negative integer");
			goto out;
		}
		rec.ts = (int64_t)d;
		rec.has_ts = true;
	}
	/* other values are left for later versions to define */
	if (json_field(root, "nat", cJSON_String, &nat)) {
		r = err_set(e, -EINVAL, "\"nat\" is not a string");
		goto out;
	}
	rec.nat_symmetric = nat && !strcmp(nat->valuestring, "symmetric");
	*out = rec;
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int record_seal_nonce(const uint8_t *plain, size_t len, const uint8_t nonce[RECORD_NONCE_LEN],
		      const uint8_t peer_pub[RECORD_PUB_LEN], const uint8_t own_priv[RECORD_PUB_LEN],
		      char **out_hex, struct errbuf *e)
{
	size_t raw_len = RECORD_NONCE_LEN + RECORD_TAG_LEN + len;
	uint8_t *raw = NULL;
	char *hex = NULL;
	int r;

	if (len > RECORD_MAX_HEX / 2 - RECORD_NONCE_LEN - RECORD_TAG_LEN)
		return err_set(e, -EMSGSIZE, "record plaintext too long (%zu bytes)", len);
	if (sodium_init() < 0)
		return err_set(e, -EIO, "libsodium failed to initialise");
	raw = malloc(raw_len);
	hex = malloc(2 * raw_len + 1);
	if (!raw || !hex) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(raw, nonce, RECORD_NONCE_LEN);
	if (crypto_box_easy(raw + RECORD_NONCE_LEN, plain, len, nonce, peer_pub, own_priv)) {
		/* libsodium refuses a peer key that gives an all-zero shared secret. */
		r = err_set(e, -EINVAL, "cannot seal for this peer key (weak public key)");
		goto out;
	}
	hex_encode(hex, raw, raw_len);
	*out_hex = hex;
	hex = NULL;
	r = 0;
out:
	free(raw);
	free(hex);
	return r;
}

int record_seal(const struct record *rec, const uint8_t peer_pub[RECORD_PUB_LEN],
		const uint8_t own_priv[RECORD_PUB_LEN], char **out_hex, struct errbuf *e)
{
	uint8_t nonce[RECORD_NONCE_LEN];
	struct strbuf sb = { 0 };
	int r;

	r = record_json_build(rec, &sb);
	if (r) {
		r = err_set(e, r, r == -ENOMEM ? "out of memory" : "record has a bad address");
		goto out;
	}
	if (sodium_init() < 0) {
		r = err_set(e, -EIO, "libsodium failed to initialise");
		goto out;
	}
	randombytes_buf(nonce, sizeof(nonce));
	r = record_seal_nonce((const uint8_t *)sb.buf, sb.len, nonce, peer_pub, own_priv, out_hex,
			      e);
out:
	sb_free(&sb);
	return r;
}

int record_open_raw(const char *hex, size_t hex_len, const uint8_t peer_pub[RECORD_PUB_LEN],
		    const uint8_t own_priv[RECORD_PUB_LEN], uint8_t **plain, size_t *plain_len,
		    struct errbuf *e)
{
	uint8_t raw[RECORD_MAX_HEX / 2];
	size_t raw_len, len;
	uint8_t *p;

	if (hex_len > RECORD_MAX_HEX)
		return err_set(e, -EMSGSIZE, "value too long (%zu chars, at most %d)", hex_len,
			       RECORD_MAX_HEX);
	if (hex_len % 2)
		return err_set(e, -EINVAL, "value has an odd length (%zu chars)", hex_len);
	raw_len = hex_len / 2;
	if (hex_decode(raw, raw_len, hex, hex_len))
		return err_set(e, -EINVAL, "value is not hex");
	if (raw_len < RECORD_NONCE_LEN + RECORD_TAG_LEN)
		return err_set(e, -EINVAL, "value too short (%zu bytes, need at least %d)", raw_len,
			       RECORD_NONCE_LEN + RECORD_TAG_LEN);
	if (sodium_init() < 0)
		return err_set(e, -EIO, "libsodium failed to initialise");
	len = raw_len - RECORD_NONCE_LEN - RECORD_TAG_LEN;
	p = malloc(len ? len : 1);
	if (!p)
		return err_set(e, -ENOMEM, "out of memory");
	if (crypto_box_open_easy(p, raw + RECORD_NONCE_LEN, raw_len - RECORD_NONCE_LEN, raw,
				 peer_pub, own_priv)) {
		free(p);
		return err_set(e, -EBADMSG,
			       "cannot open the box (wrong keys, or not sealed for us)");
	}
	*plain = p;
	*plain_len = len;
	return 0;
}

int record_open(const char *hex, size_t hex_len, const uint8_t peer_pub[RECORD_PUB_LEN],
		const uint8_t own_priv[RECORD_PUB_LEN], struct record *out, struct errbuf *e)
{
	uint8_t *plain = NULL;
	size_t len = 0;
	int r;

	r = record_open_raw(hex, hex_len, peer_pub, own_priv, &plain, &len, e);
	if (r)
		return r;
	r = record_json_parse(plain, len, out, e);
	sodium_memzero(plain, len);
	free(plain);
	return r;
}

int record_select(const struct record *r, enum peer_family fam, union sm_addr *out,
		  struct errbuf *e)
{
	const union sm_addr *first, *second = NULL;

	switch (fam) {
	case PEER_IPV4: first = &r->ipv4; break;
	case PEER_IPV6: first = &r->ipv6; break;
	case PEER_PREFER_IPV4: first = &r->ipv4, second = &r->ipv6; break;
	case PEER_PREFER_IPV6: first = &r->ipv6, second = &r->ipv4; break;
	default: return err_set(e, -EINVAL, "unknown peer protocol %d", (int)fam);
	}
	if (first->sa.sa_family == AF_UNSPEC)
		first = second;
	if (!first || first->sa.sa_family == AF_UNSPEC)
		return err_set(e, -ENOENT, "record has no %s endpoint",
			       fam == PEER_IPV4 ? "ipv4" : fam == PEER_IPV6 ? "ipv6" : "usable");
	*out = *first;
	return 0;
}

int record_fresh_accept(struct record_fresh *f, const struct record *r, int64_t now,
			unsigned *flags, struct errbuf *e)
{
	unsigned fl = 0;

	if (!r->has_ts) {
		*flags = RECORD_FRESH_NO_TS;
		return 0;
	}
	if (f->seen && r->ts < f->newest_ts)
		return err_set(e, -ESTALE,
			       "record ts %" PRId64 " is older than %" PRId64
			       " already accepted (replayed or the peer's clock went back)",
			       r->ts, f->newest_ts);
	/* A ts from the future is still taken: our own clock may be the wrong one (a
	 * router without RTC before NTP). The caller warns; once remembered, the peer's
	 * older records are refused until its clock catches up, which is the price of
	 * never moving an endpoint back. */
	if (now < INT64_MAX - RECORD_FUTURE_SLACK_SEC && r->ts > now + RECORD_FUTURE_SLACK_SEC)
		fl |= RECORD_FRESH_FUTURE;
	f->newest_ts = r->ts;
	f->seen = true;
	*flags = fl;
	return 0;
}
