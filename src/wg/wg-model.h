/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The WireGuard device model, whatever drives it: a device with its peers, flags for
 * what a reading carried, and the pure helpers around it (allocation, lookup, key text).
 * No I/O: the parsers of both backends build it and `stunmesh show` prints it. */
#ifndef SM_WG_MODEL_H
#define SM_WG_MODEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h" /* enum wg_backend_kind */
#include "lib/addr.h"
#include "lib/util.h"

#define WG_KEY_LEN 32

enum wg_peer_flags {
	WG_PEER_HAS_ENDPOINT = 1U << 0,
	WG_PEER_HAS_KEEPALIVE = 1U << 1,
	WG_PEER_HAS_PSK = 1U << 2, /* a non-zero preshared key */
};

/* One allowed-IPs prefix: the address is stored masked or not, as the device gave it. */
struct wg_allowed_ip {
	sa_family_t family; /* AF_INET or AF_INET6 */
	uint8_t cidr;	    /* 0..32 or 0..128 */
	uint8_t addr[16];   /* 4 bytes used for AF_INET, network order */
};

/* A peer as read. allowed_ips belongs to the peer (freed and wiped with the device): a
 * struct wg_peer copied by value shares the array, so such a copy must not outlive the
 * device; wg_peer_copy makes an independent one. */
struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN]; /* secret: never print or log; zero = none */
	union sm_addr endpoint; /* sa_family AF_UNSPEC when none */
	uint16_t persistent_keepalive; /* seconds, 0 = off */
	int64_t last_handshake_sec;    /* unix time, 0 = never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	uint32_t flags;
	struct wg_allowed_ip *allowed_ips;
	size_t n_allowed_ips, cap_allowed_ips;
};

enum wg_device_flags {
	WG_DEV_HAS_PRIVATE_KEY = 1U << 0,
	WG_DEV_HAS_PUBLIC_KEY = 1U << 1,
};

struct wg_device {
	char name[IFNAMSIZ];
	enum wg_backend_kind backend; /* the one actually used */
	uint16_t listen_port;
	uint32_t fwmark; /* 0 = none */
	uint8_t private_key[WG_KEY_LEN]; /* secret: never print or log */
	uint8_t public_key[WG_KEY_LEN];
	uint32_t flags;
	struct wg_peer *peers;
	size_t n_peers;
};

/* Allocation helpers shared by both parsers. wg_device_add_peer appends a zeroed peer
 * and returns it (NULL on -ENOMEM); *cap tracks the array's capacity. Growing copies
 * and wipes the old array instead of realloc, which would leave preshared keys behind
 * in freed memory. */
struct wg_device *wg_device_new(void);
struct wg_peer *wg_device_add_peer(struct wg_device *dev, size_t *cap);
/* Frees the device, its peers and their allowed IPs, wiping the keys first. NULL is fine. */
void wg_device_free(struct wg_device *dev);
/* Appends one prefix to the peer's allowed IPs: 0, -EINVAL (family or cidr out of
 * range), -ENOMEM. */
int wg_peer_add_allowed_ip(struct wg_peer *p, const struct wg_allowed_ip *ip);
/* An independent copy of src (its own allowed IPs): 0 or -ENOMEM. Free with
 * wg_peer_clear, which also wipes the preshared key. */
int wg_peer_copy(struct wg_peer *dst, const struct wg_peer *src);
void wg_peer_clear(struct wg_peer *p);

/* "198.18.0.2/32", "2001:db8::/64". len of WG_ALLOWED_IP_STR_LEN is always enough. */
#define WG_ALLOWED_IP_STR_LEN 52
const char *wg_allowed_ip_format(const struct wg_allowed_ip *ip, char *buf, size_t len);
/* Parses "addr/cidr" over (s, n), numeric only: 0 or -EINVAL. */
int wg_allowed_ip_parse(const char *s, size_t n, struct wg_allowed_ip *out);
/* Plain decimal over (s, n): no sign, spaces or "+" (which strtoul would accept), at
 * most max. 0 or -EINVAL. */
int wg_parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out);

/* Finds a peer by key, NULL when absent. */
struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t pub[WG_KEY_LEN]);

const char *wg_backend_name(enum wg_backend_kind kind);

/* Standard base64 of a key, as wg(8) prints it: 44 characters and a NUL. */
#define WG_KEY_B64_LEN 45
void wg_key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);


#endif
