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

/* Moves n elements of size elem into a new array of ncap, wiping and freeing the old
 * one: both arrays may hold preshared keys. */
static int grow_wiped(void **arr, size_t n, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 8;
	void *p;

	if (ncap > SIZE_MAX / elem)
		return -ENOMEM;
	p = malloc(ncap * elem);
	if (!p)
		return -ENOMEM;
	if (*arr) {
		memcpy(p, *arr, n * elem);
		secure_zero(*arr, *cap * elem);
		free(*arr);
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

struct wg_peer *wg_device_add_peer(struct wg_device *dev, size_t *cap)
{
	struct wg_peer *p;

	if (dev->n_peers == *cap &&
	    grow_wiped((void **)&dev->peers, dev->n_peers, cap, sizeof(*p)))
		return NULL;
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	return p;
}

int wg_peer_add_allowed_ip(struct wg_peer *p, const struct wg_allowed_ip *ip)
{
	if (!((ip->family == AF_INET && ip->cidr <= 32) ||
	      (ip->family == AF_INET6 && ip->cidr <= 128)))
		return -EINVAL;
	if (p->n_allowed_ips == p->cap_allowed_ips) {
		void *arr = p->allowed_ips;
		int r = grow_wiped(&arr, p->n_allowed_ips, &p->cap_allowed_ips, sizeof(*ip));

		if (r)
			return r;
		p->allowed_ips = arr;
	}
	p->allowed_ips[p->n_allowed_ips++] = *ip;
	return 0;
}

void wg_peer_clear(struct wg_peer *p)
{
	if (p->allowed_ips) {
		secure_zero(p->allowed_ips, p->cap_allowed_ips * sizeof(*p->allowed_ips));
		free(p->allowed_ips);
	}
	secure_zero(p, sizeof(*p));
}

int wg_peer_copy(struct wg_peer *dst, const struct wg_peer *src)
{
	*dst = *src;
	dst->allowed_ips = NULL;
	dst->n_allowed_ips = dst->cap_allowed_ips = 0;
	for (size_t i = 0; i < src->n_allowed_ips; i++) {
		if (wg_peer_add_allowed_ip(dst, &src->allowed_ips[i])) {
			wg_peer_clear(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

void wg_device_free(struct wg_device *dev)
{
	if (!dev)
		return;
	for (size_t i = 0; i < dev->n_peers; i++)
		wg_peer_clear(&dev->peers[i]);
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

const char *wg_allowed_ip_format(const struct wg_allowed_ip *ip, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if ((ip->family != AF_INET && ip->family != AF_INET6) ||
	    !inet_ntop(ip->family, ip->addr, a, sizeof(a)))
		snprintf(buf, len, "(invalid)");
	else
		snprintf(buf, len, "%s/%u", a, ip->cidr);
	return buf;
}

int wg_allowed_ip_parse(const char *s, size_t n, struct wg_allowed_ip *out)
{
	const char *slash = memchr(s, '/', n);
	struct wg_allowed_ip ip = { 0 };
	union sm_addr a;
	uint64_t cidr;

	if (!slash)
		return -EINVAL;
	/* A bare literal; addr_parse also takes "[v6]", which no device prints here. */
	if (slash == s || *s == '[' ||
	    addr_parse(s, (size_t)(slash - s), AF_UNSPEC, ADDR_NO_PORT, &a, NULL))
		return -EINVAL;
	ip.family = a.sa.sa_family;
	if (wg_parse_dec(slash + 1, n - (size_t)(slash - s) - 1, ip.family == AF_INET ? 32 : 128,
			 &cidr))
		return -EINVAL;
	ip.cidr = (uint8_t)cidr;
	if (ip.family == AF_INET)
		memcpy(ip.addr, &a.in.sin_addr, 4);
	else
		memcpy(ip.addr, &a.in6.sin6_addr, 16);
	*out = ip;
	return 0;
}
