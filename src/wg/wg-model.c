/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The device model's allocation, lookup and text forms, shared by both backends and
 * by `stunmesh show`. No I/O. */
#include "wg/wg-model.h"

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
