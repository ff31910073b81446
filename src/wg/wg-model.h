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
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	union sm_addr endpoint; /* sa_family AF_UNSPEC when none */
	uint16_t persistent_keepalive; /* seconds, 0 = off */
	int64_t last_handshake_sec;    /* unix time, 0 = never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	uint32_t flags;
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
 * and returns it (NULL on -ENOMEM); *cap tracks the array's capacity. */
struct wg_device *wg_device_new(void);
struct wg_peer *wg_device_add_peer(struct wg_device *dev, size_t *cap);
void wg_device_free(struct wg_device *dev);
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
