/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device model's allocation, lookup and text forms, shared by both backends and
 * by `stunmesh show`. No I/O. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct wg_device *wg_device_new(void)
{
	return calloc(1, sizeof(struct wg_device));
}

struct wg_peer *wg_device_add_peer(struct wg_device *dev, size_t *cap)
{
	struct wg_peer *p;

	if (dev->n_peers == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;

		if (ncap > SIZE_MAX / sizeof(*p))
			return NULL;
		p = realloc(dev->peers, ncap * sizeof(*p));
		if (!p)
			return NULL;
		dev->peers = p;
		*cap = ncap;
	}
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	return p;
}

void wg_device_free(struct wg_device *dev)
{
	if (!dev)
		return;
	free(dev->peers);
	secure_zero(dev, sizeof(*dev));
	free(dev);
}

struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t pub[WG_KEY_LEN])
{
	for (size_t i = 0; i < dev->n_peers; i++)
		if (!memcmp(dev->peers[i].public_key, pub, WG_KEY_LEN))
			return &dev->peers[i];
	return NULL;
}

const char *wg_backend_name(enum wg_backend_kind kind)
{
	switch (kind) {
	case WG_BACKEND_AUTO: return "auto";
	case WG_BACKEND_NETLINK: return "netlink";
	case WG_BACKEND_UAPI: return "uapi";
	}
	return "?";
}

void wg_key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(out, WG_KEY_B64_LEN, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

void wg_endpoint_format(const union wg_sockaddr *ep, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	switch (ep->sa.sa_family) {
	case AF_INET:
		inet_ntop(AF_INET, &ep->in.sin_addr, addr, sizeof(addr));
		snprintf(buf, len, "%s:%u", addr, ntohs(ep->in.sin_port));
		break;
	case AF_INET6:
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, addr, sizeof(addr));
		if (ep->in6.sin6_scope_id)
			snprintf(buf, len, "[%s%%%u]:%u", addr, ep->in6.sin6_scope_id,
				 ntohs(ep->in6.sin6_port));
		else
			snprintf(buf, len, "[%s]:%u", addr, ntohs(ep->in6.sin6_port));
		break;
	default:
		snprintf(buf, len, "(none)");
	}
}

int wg_parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int wg_endpoint_parse(const char *s, size_t n, union wg_sockaddr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	union wg_sockaddr sa;
	const char *host, *port;
	size_t hlen, plen, zlen = 0;
	uint64_t v, scope = 0;

	memset(&sa, 0, sizeof(sa));
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n), *pct;

		if (!close || (size_t)(close - s) + 1 >= n || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		port = close + 2;
		plen = n - (size_t)(port - s);
		pct = memchr(host, '%', hlen);
		if (pct) {
			/* Only numeric zones: a zone name would need an interface lookup. */
			zlen = hlen - (size_t)(pct - host) - 1;
			if (wg_parse_dec(pct + 1, zlen, UINT32_MAX, &scope))
				return -EINVAL;
			hlen = (size_t)(pct - host);
		}
		if (hlen == 0 || hlen >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, host, hlen);
		addr[hlen] = '\0';
		if (inet_pton(AF_INET6, addr, &sa.in6.sin6_addr) != 1)
			return -EINVAL;
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_scope_id = (uint32_t)scope;
	} else {
		const char *colon = NULL;

		for (size_t i = 0; i < n; i++)
			if (s[i] == ':')
				colon = s + i;
		if (!colon)
			return -EINVAL;
		host = s;
		hlen = (size_t)(colon - s);
		port = colon + 1;
		plen = n - hlen - 1;
		if (hlen == 0 || hlen >= sizeof(addr))
			return -EINVAL;
		memcpy(addr, host, hlen);
		addr[hlen] = '\0';
		if (inet_pton(AF_INET, addr, &sa.in.sin_addr) != 1)
			return -EINVAL;
		sa.in.sin_family = AF_INET;
	}
	if (wg_parse_dec(port, plen, 65535, &v))
		return -EINVAL;
	if (sa.sa.sa_family == AF_INET)
		sa.in.sin_port = htons((uint16_t)v);
	else
		sa.in6.sin6_port = htons((uint16_t)v);
	*out = sa;
	return 0;
}
