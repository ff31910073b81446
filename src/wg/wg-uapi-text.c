/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cross-platform userspace API of WireGuard (wireguard-go, boringtun, ...), the text
 * side without I/O: a request is "get=1" or "set=1" plus key=value lines, ended by a
 * blank line; the reply is key=value lines, "errno=N" last, and a blank line. Keys are
 * hex. wg-uapi.c does the socket. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
	if (key_is(k, klen, "preshared_key")) {
		static const uint8_t zero[WG_KEY_LEN];

		if (!p)
			return err_set(e, -EPROTO, "preshared_key before any peer");
		if (hex_decode(p->preshared_key, WG_KEY_LEN, v, vlen))
			return err_set(e, -EPROTO, "bad preshared_key");
		if (memcmp(p->preshared_key, zero, WG_KEY_LEN))
			p->flags |= WG_PEER_HAS_PSK;
		else
			p->flags &= ~(uint32_t)WG_PEER_HAS_PSK;
		return 0;
	}
	if (key_is(k, klen, "allowed_ip")) {
		struct wg_allowed_ip ip;
		int r;

		if (!p)
			return err_set(e, -EPROTO, "allowed_ip before any peer");
		if (wg_allowed_ip_parse(v, vlen, &ip))
			return err_set(e, -EPROTO, "bad allowed_ip");
		r = wg_peer_add_allowed_ip(p, &ip);
		if (r)
			return err_set(e, r, "out of memory");
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

size_t wg_uapi_reply_end(const uint8_t *buf, size_t len, size_t from)
{
	/* A reply is lines ending in '\n' and then an empty line: the end is the first
	 * "\n\n", or a '\n' at the very start (an empty reply, which the parsers refuse). */
	if (len && buf[0] == '\n')
		return 1;
	for (size_t i = from ? from : 1; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\n')
			return i + 1;
	return 0;
}

static int format_op(struct secbuf *out, const struct wg_peer_op *op)
{
	char hex[2 * WG_KEY_LEN + 1], txt[ADDR_STR_LEN];
	int r;

	hex_encode(hex, op->public_key, WG_KEY_LEN);
	r = secbuf_printf(out, "public_key=%s\n", hex);
	if (!r && (op->flags & WG_OP_REMOVE))
		return secbuf_printf(out, "remove=true\n");
	/* First after the key: wireguard-go removes a peer this section just created. */
	if (!r && (op->flags & WG_OP_UPDATE_ONLY))
		r = secbuf_printf(out, "update_only=true\n");
	if (!r && op->preshared_key) {
		hex_encode(hex, op->preshared_key, WG_KEY_LEN);
		r = secbuf_printf(out, "preshared_key=%s\n", hex);
		secure_zero(hex, sizeof(hex));
	}
	if (!r && op->endpoint)
		r = secbuf_printf(out, "endpoint=%s\n", addr_format(op->endpoint, txt, sizeof(txt)));
	if (!r && op->keepalive >= 0)
		r = secbuf_printf(out, "persistent_keepalive_interval=%d\n", op->keepalive);
	if (!r && (op->flags & WG_OP_REPLACE_IPS))
		r = secbuf_printf(out, "replace_allowed_ips=true\n");
	for (size_t i = 0; !r && i < op->n_allowed_ips; i++) {
		char ip[WG_ALLOWED_IP_STR_LEN];

		r = secbuf_printf(out, "allowed_ip=%s\n",
				  wg_allowed_ip_format(&op->allowed_ips[i], ip, sizeof(ip)));
	}
	return r;
}

/* wireguard-go keeps one "keepalive was just turned on" flag for a whole set=1 and sets
 * it only on a persistent_keepalive_interval line, so a section without that line
 * inherits the previous section's flag and sends a keepalive (a handshake initiation
 * when there is no session) to a peer nobody asked to disturb. So sections without a
 * keepalive go first; a section never moves ahead of an earlier one for the same peer,
 * and the final state is the same as in the given order. */
static bool late(const struct wg_peer_op *ops, size_t i, const bool *is_late)
{
	if (ops[i].keepalive >= 0 && !(ops[i].flags & WG_OP_REMOVE))
		return true;
	for (size_t j = 0; j < i; j++)
		if (is_late[j] && !memcmp(ops[j].public_key, ops[i].public_key, WG_KEY_LEN))
			return true;
	return false;
}

int wg_uapi_format_ops(struct secbuf *out, const struct wg_peer_op *ops, size_t n)
{
	bool *is_late;
	int r;

	r = wg_ops_check(ops, n);
	if (r)
		return r;
	is_late = calloc(n ? n : 1, sizeof(*is_late));
	if (!is_late)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		is_late[i] = late(ops, i, is_late);
	r = secbuf_printf(out, "set=1\n");
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; !r && i < n; i++)
			if (is_late[i] == (pass == 1))
				r = format_op(out, &ops[i]);
	if (!r)
		r = secbuf_printf(out, "\n");
	free(is_late);
	return r;
}
