/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One model of a WireGuard device, whatever drives it: the Linux kernel (generic
 * netlink, wg-netlink.c) or a userspace implementation such as wireguard-go (the UAPI
 * text protocol on /var/run/wireguard/<if>.sock, wg-uapi.c). stunmesh only reads the
 * device and updates existing peers; it never creates interfaces, peers or keys. */
#ifndef SM_WG_H
#define SM_WG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h" /* enum wg_backend_kind */
#include "lib/util.h"

#define WG_KEY_LEN 32

union wg_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

enum wg_peer_flags {
	WG_PEER_HAS_ENDPOINT = 1U << 0,
	WG_PEER_HAS_KEEPALIVE = 1U << 1,
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	union wg_sockaddr endpoint; /* sa_family AF_UNSPEC when none */
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

/* Reads the device. kind AUTO picks UAPI when /var/run/wireguard/<name>.sock exists,
 * netlink otherwise. On success *out is a new device (free with wg_device_free); on
 * failure -errno with a message naming the interface and, for EPERM, the missing
 * capability: -ENODEV no such interface, -EOPNOTSUPP not a WireGuard interface. */
int wg_device_get(const char *name, enum wg_backend_kind kind, struct wg_device **out,
		  struct errbuf *e);
void wg_device_free(struct wg_device *dev);

/* Sets one existing peer's endpoint; a peer not on the device is not created: -ENOENT. */
int wg_set_endpoint(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		    const union wg_sockaddr *endpoint, struct errbuf *e);
/* Sets one existing peer's persistent keepalive (seconds, 0 = off); -ENOENT as above. */
int wg_set_keepalive(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		     uint16_t seconds, struct errbuf *e);

/* Both at once (endpoint NULL or keepalive -1: unchanged). With known, the caller has
 * just read the device and seen the peer, so the lookup that turns a missing peer into
 * -ENOENT is skipped: a daemon updating many peers reads the device once, not once per
 * peer. The update stays update-only: a peer that vanished meanwhile is not created. */
int wg_update_peer(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		   const union wg_sockaddr *endpoint, int keepalive, bool known, struct errbuf *e);

/* Finds a peer by key, NULL when absent. */
struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t pub[WG_KEY_LEN]);

const char *wg_backend_name(enum wg_backend_kind kind);

/* Standard base64 of a key, as wg(8) prints it: 44 characters and a NUL. */
#define WG_KEY_B64_LEN 45
void wg_key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);

/* "192.0.2.1:51820" or "[2001:db8::1]:51820" (with "%scope" when set); "(none)" for
 * AF_UNSPEC. 64 bytes are always enough. */
#define WG_ENDPOINT_STR_LEN 64
void wg_endpoint_format(const union wg_sockaddr *ep, char *buf, size_t len);
/* Parses the same forms (numeric addresses only, no DNS) from (s, n), not relying on NUL
 * termination. 0 or -EINVAL. */
int wg_endpoint_parse(const char *s, size_t n, union wg_sockaddr *out);

#endif
