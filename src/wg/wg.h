/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and updating a WireGuard device, whatever drives it: the Linux kernel (generic
 * netlink, wg-netlink.c) or a userspace implementation such as wireguard-go (the UAPI
 * text protocol on /var/run/wireguard/<if>.sock, wg-uapi.c). stunmesh reads the device
 * and updates existing peers; it never creates interfaces or keys, and creates a peer
 * only by re-adding one it has just read (wg_handle_replace). The model itself is in
 * wg-model.h.
 *
 * The daemon uses a struct wg_handle per interface, asynchronous on its event loop. The
 * synchronous calls at the end (for `stunmesh show`, `stunmesh stun` and test tools) run
 * one request on a handle with a private loop. */
#ifndef SM_WG_H
#define SM_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/loop.h"
#include "lib/util.h"
#include "wg/wg-model.h"

/* How long one request may take, from the moment it starts, unless changed with
 * wg_handle_set_timeout. */
#define WG_IO_TIMEOUT_MS 5000

/* One change to one existing peer; fields left at their "unchanged" value are not sent. */
struct wg_peer_update {
	uint8_t public_key[WG_KEY_LEN];
	const union sm_addr *endpoint; /* NULL: unchanged */
	int keepalive;		       /* seconds 0..65535, -1: unchanged */
	bool known; /* the caller just saw the peer on the device: skip the lookup */
};

/* ---- the asynchronous handle (one per interface) ---- */

struct wg_handle;

/* Opens a handle for ifname. No I/O happens here: the netlink socket or the UAPI
 * connection is made by the first request and then kept (the netlink socket with the
 * genl family resolved once and again after an error that may mean the module was
 * reloaded; the UAPI connection reconnected when wireguard-go restarts). kind AUTO
 * takes UAPI when /var/run/wireguard/<ifname>.sock exists, netlink otherwise, decided
 * again before each request that has no UAPI connection open (so a wireguard-go that
 * starts later is found). 0, or -EINVAL for a bad name, -ENOMEM. */
int wg_handle_open(struct loop *l, const char *ifname, enum wg_backend_kind kind,
		   struct wg_handle **out, struct errbuf *e);
/* Closes the connection and frees the handle; pending requests get no callback. Safe
 * from inside one of this handle's callbacks. NULL is fine. */
void wg_handle_close(struct wg_handle *h);
/* The backend in use (as of the latest request; for AUTO before any, the current guess). */
enum wg_backend_kind wg_handle_backend(const struct wg_handle *h);
/* The deadline of each request, in ms (default WG_IO_TIMEOUT_MS); for tests and tools. */
void wg_handle_set_timeout(struct wg_handle *h, int ms);

/* Requests are queued per handle and run one at a time in order. Each is bounded by the
 * deadline from the moment it starts; one that waited in the queue longer than the
 * deadline (behind a device that did not answer) fails with -ETIMEDOUT without being
 * sent, so every request is answered within about twice the deadline. The callback
 * comes exactly once, always from the loop, never from inside the call that queued it.
 * These calls return 0 when queued, or -EINVAL / -ENOMEM and then no callback comes.
 * errmsg is only valid during the callback; err 0 means done. */
typedef void (*wg_get_cb)(void *arg, int err, const char *errmsg, struct wg_device *dev);
/* dev is the callee's on success (wg_device_free it; its keys are wiped by free),
 * NULL on failure. */
typedef void (*wg_set_cb)(void *arg, int err, const char *errmsg);

int wg_handle_get(struct wg_handle *h, wg_get_cb cb, void *arg);
/* Several existing peers in one exchange (on netlink one WG_CMD_SET_DEVICE, split only
 * past 8 KiB as wg(8) does; on UAPI one set=1), applied in order; the same peer may
 * appear more than once (endpoint and keepalive 0, then keepalive 1: WireGuard sends a
 * keepalive at once only when the interval goes from 0 to non-zero). Update-only: a
 * peer that is not on the device is never created. When an update has known false the
 * device is read first and the request fails with -ENOENT, changing nothing, if that
 * peer is not there. */
int wg_handle_set(struct wg_handle *h, const struct wg_peer_update *u, size_t n, wg_set_cb cb,
		  void *arg);
/* Removes and re-adds one peer with all its settings (preshared key, allowed IPs,
 * keepalive) and a new endpoint, in one exchange, so that WireGuard's handshake state
 * and back-off are fresh and the re-created peer initiates a handshake at once (see
 * docs/ARCHITECTURE.md, "Replacing a peer"). Only full->public_key and
 * full->last_handshake_* are taken from full: the settings are read from the device in
 * the same sequence, just before the write, so a change the user made since full was
 * read is kept. endpoint NULL keeps the peer's; keepalive -1 keeps the peer's. With a
 * final keepalive of 0 the re-added peer gets 1 s and then 0 in the same exchange, so
 * it still initiates at once.
 * Fails, changing nothing, with -ENOENT when the peer is no longer on the device (the
 * user removed it: it is not re-created) and -EALREADY when the device shows a
 * handshake full did not (a session came up: replacing would throw its keys away).
 * Remaining race: a removal by someone else between our read and our write (a few
 * microseconds on netlink, one UAPI round trip) is undone by the re-add; WireGuard has
 * no compare-and-set. */
int wg_handle_replace(struct wg_handle *h, const struct wg_peer *full,
		      const union sm_addr *endpoint, int keepalive, wg_set_cb cb, void *arg);
/* Drops the requests queued with this arg: none of their callbacks will come. One that
 * is already on the wire finishes (or times out) silently, so the connection stays in
 * step; a multi-step request stops before its next step. */
void wg_handle_cancel(struct wg_handle *h, void *arg);

/* ---- synchronous calls: each one request on a handle with a private loop, so the caller
 * waits up to the deadline; a daemon uses its handle instead ---- */

/* Reads the device. kind as for wg_handle_open. On success *out is a new device (free
 * with wg_device_free); on failure -errno with a message naming the interface and, for
 * EPERM, the missing capability: -ENODEV no such interface, -EOPNOTSUPP not a WireGuard
 * interface, -ETIMEDOUT no answer within WG_IO_TIMEOUT_MS. */
int wg_device_get(const char *name, enum wg_backend_kind kind, struct wg_device **out,
		  struct errbuf *e);

/* Sets one existing peer's endpoint; a peer not on the device is not created: -ENOENT. */
int wg_set_endpoint(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		    const union sm_addr *endpoint, struct errbuf *e);
/* Sets one existing peer's persistent keepalive (seconds, 0 = off); -ENOENT as above. */
int wg_set_keepalive(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		     uint16_t seconds, struct errbuf *e);

/* Both at once (endpoint NULL or keepalive -1: unchanged). With known, the caller has
 * just read the device and seen the peer, so the lookup that turns a missing peer into
 * -ENOENT is skipped: a daemon updating many peers reads the device once, not once per
 * peer. The update stays update-only: a peer that vanished meanwhile is not created. */
int wg_update_peer(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		   const union sm_addr *endpoint, int keepalive, bool known, struct errbuf *e);

/* wg_handle_set and wg_handle_replace, synchronously (for tools and tests). */
int wg_set_peers(const char *name, enum wg_backend_kind kind, const struct wg_peer_update *u,
		 size_t n, struct errbuf *e);
int wg_replace_peer(const char *name, enum wg_backend_kind kind, const struct wg_peer *full,
		    const union sm_addr *endpoint, int keepalive, struct errbuf *e);

#endif
