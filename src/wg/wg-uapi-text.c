/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cross-platform userspace API of WireGuard (wireguard-go, boringtun, ...), the text
 * side without I/O: a request is "get=1" or "set=1" plus key=value lines, ended by a
 * blank line; the reply is key=value lines, "errno=N" last, and a blank line. Keys are
 * hex. wg-uapi.c does the socket. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

static bool key_is(const char *k, size_t klen, const char *want)
{
	return strlen(want) == klen && !memcmp(k, want, klen);
}

static void derive_public(struct wg_device *dev)
{
	/* crypto_scalarmult_base clamps the scalar as X25519 requires and fails only for
	 * a key that yields the all-zero point. */
	if (sodium_init() >= 0 && crypto_scalarmult_base(dev->public_key, dev->private_key) == 0)
		dev->flags |= WG_DEV_HAS_PUBLIC_KEY;
}

/* One line of a get reply. Device keys come before the first public_key=, peer keys
 * after it; anything else is ignored so newer implementations stay readable. */
static int get_line(struct wg_device *dev, size_t *cap, struct wg_peer **peer, const char *k,
		    size_t klen, const char *v, size_t vlen, struct errbuf *e)
{
	struct wg_peer *p = *peer;
	uint64_t n;

	if (key_is(k, klen, "public_key")) {
		p = wg_device_add_peer(dev, cap);
		if (!p)
			return err_set(e, -ENOMEM, "out of memory");
		if (hex_decode(p->public_key, WG_KEY_LEN, v, vlen))
			return err_set(e, -EPROTO, "bad peer public_key");
		*peer = p;
		return 0;
	}
	if (key_is(k, klen, "private_key") || key_is(k, klen, "listen_port") ||
	    key_is(k, klen, "fwmark")) {
		if (p)
			return err_set(e, -EPROTO, "device key after the first peer");
		if (key_is(k, klen, "private_key")) {
			if (hex_decode(dev->private_key, WG_KEY_LEN, v, vlen))
				return err_set(e, -EPROTO, "bad private_key");
			dev->flags |= WG_DEV_HAS_PRIVATE_KEY;
			derive_public(dev);
		} else if (key_is(k, klen, "listen_port")) {
			if (wg_parse_dec(v, vlen, UINT16_MAX, &n))
				return err_set(e, -EPROTO, "bad listen_port");
			dev->listen_port = (uint16_t)n;
		} else {
			if (wg_parse_dec(v, vlen, UINT32_MAX, &n))
				return err_set(e, -EPROTO, "bad fwmark");
			dev->fwmark = (uint32_t)n;
		}
		return 0;
	}
	if (key_is(k, klen, "endpoint")) {
		if (!p)
			return err_set(e, -EPROTO, "endpoint before any peer");
		if (addr_parse(v, vlen, AF_UNSPEC, ADDR_PORT0 | ADDR_ZONE, &p->endpoint, NULL))
			return err_set(e, -EPROTO, "bad endpoint");
		p->flags |= WG_PEER_HAS_ENDPOINT;
		return 0;
	}
	if (key_is(k, klen, "persistent_keepalive_interval")) {
		if (!p)
			return err_set(e, -EPROTO, "keepalive before any peer");
		if (wg_parse_dec(v, vlen, UINT16_MAX, &n))
			return err_set(e, -EPROTO, "bad persistent_keepalive_interval");
		p->persistent_keepalive = (uint16_t)n;
		p->flags |= WG_PEER_HAS_KEEPALIVE;
		return 0;
	}
	if (key_is(k, klen, "last_handshake_time_sec") ||
	    key_is(k, klen, "last_handshake_time_nsec") || key_is(k, klen, "rx_bytes") ||
	    key_is(k, klen, "tx_bytes")) {
		bool nsec = key_is(k, klen, "last_handshake_time_nsec");
		bool sec = key_is(k, klen, "last_handshake_time_sec");

		if (!p)
			return err_set(e, -EPROTO, "peer counter before any peer");
		if (wg_parse_dec(v, vlen, nsec ? 999999999 : sec ? INT64_MAX : UINT64_MAX, &n))
			return err_set(e, -EPROTO, "bad %.*s", (int)klen, k);
		if (sec)
			p->last_handshake_sec = (int64_t)n;
		else if (nsec)
			p->last_handshake_nsec = (int64_t)n;
		else if (key_is(k, klen, "rx_bytes"))
			p->rx_bytes = n;
		else
			p->tx_bytes = n;
		return 0;
	}
	return 0;
}

/* Walks the lines of a reply up to the blank line. For each line before errno= it calls
 * get_line when dev is given; errno= must be the last line. Returns 0 with *err set to
 * the reported errno, or -EPROTO / -ENOMEM. */
static int walk_reply(const uint8_t *buf, size_t len, struct wg_device *dev, struct errbuf *e,
		      int *err)
{
	const char *s = (const char *)buf;
	struct wg_peer *peer = NULL;
	size_t pos = 0, cap = 0;
	bool have_errno = false;
	uint64_t code = 0;
	int r;

	for (;;) {
		const char *line = s + pos, *nl, *eq;
		size_t llen;

		nl = pos < len ? memchr(line, '\n', len - pos) : NULL;
		if (!nl)
			return err_set(e, -EPROTO, "reply truncated (no blank line at the end)");
		llen = (size_t)(nl - line);
		pos += llen + 1;
		if (llen == 0)
			break;
		if (have_errno)
			return err_set(e, -EPROTO, "reply continues after errno=");
		eq = memchr(line, '=', llen);
		if (!eq)
			return err_set(e, -EPROTO, "reply line without '='");
		if (key_is(line, (size_t)(eq - line), "errno")) {
			const char *v = eq + 1;
			size_t vlen = llen - (size_t)(eq - line) - 1;

			/* The protocol text says a positive errno, but wireguard-go sends its
			 * codes negated ("errno=-22"): accept either sign. */
			if (vlen > 0 && v[0] == '-') {
				v++;
				vlen--;
			}
			if (wg_parse_dec(v, vlen, 4095, &code))
				return err_set(e, -EPROTO, "bad errno= value");
			have_errno = true;
			continue;
		}
		if (!dev)
			continue;
		r = get_line(dev, &cap, &peer, line, (size_t)(eq - line), eq + 1,
			     llen - (size_t)(eq - line) - 1, e);
		if (r)
			return r;
	}
	if (!have_errno)
		return err_set(e, -EPROTO, "reply has no errno= line");
	*err = (int)code;
	return 0;
}

int wg_uapi_parse_get(const uint8_t *buf, size_t len, const char *name, struct wg_device **out,
		      struct errbuf *e)
{
	struct wg_device *dev = wg_device_new();
	int r, code = 0;

	if (!dev)
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->backend = WG_BACKEND_UAPI;
	r = walk_reply(buf, len, dev, e, &code);
	if (r)
		goto out;
	if (code) {
		r = err_set(e, -code, "the device answered errno %d (%s)", code, strerror(code));
		goto out;
	}
	*out = dev;
	dev = NULL;
out:
	wg_device_free(dev);
	return r;
}

int wg_uapi_parse_set(const uint8_t *buf, size_t len, struct errbuf *e)
{
	int r, code = 0;

	r = walk_reply(buf, len, NULL, e, &code);
	if (r)
		return r;
	if (code)
		return err_set(e, -code, "the device refused the change: errno %d (%s)", code,
			       strerror(code));
	return 0;
}

int wg_uapi_format_set(struct strbuf *s, const struct wg_peer_update *u)
{
	char hex[2 * WG_KEY_LEN + 1], ep[ADDR_STR_LEN];
	int r;

	if (u->keepalive < -1 || u->keepalive > UINT16_MAX)
		return -EINVAL;
	hex_encode(hex, u->public_key, WG_KEY_LEN);
	/* update_only: wireguard-go then never creates the peer, even if it disappeared
	 * between our get and this set. */
	r = sb_printf(s, "set=1\npublic_key=%s\nupdate_only=true\n", hex);
	if (!r && u->endpoint) {
		if (u->endpoint->sa.sa_family != AF_INET && u->endpoint->sa.sa_family != AF_INET6)
			return -EINVAL;
		addr_format(u->endpoint, ep, sizeof(ep));
		r = sb_printf(s, "endpoint=%s\n", ep);
	}
	if (!r && u->keepalive >= 0)
		r = sb_printf(s, "persistent_keepalive_interval=%d\n", u->keepalive);
	if (!r)
		r = sb_puts(s, "\n");
	return r;
}
