/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and updating a WireGuard device, whatever drives it: the Linux kernel (generic
 * netlink, wg-netlink.c) or a userspace implementation such as wireguard-go (the UAPI
 * text protocol on /var/run/wireguard/<if>.sock, wg-uapi.c). stunmesh only reads the
 * device and updates existing peers; it never creates interfaces, peers or keys. The
 * model itself is in wg-model.h. */
#ifndef SM_WG_H
#define SM_WG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"
#include "wg/wg-model.h"

/* Reads the device. kind AUTO picks UAPI when /var/run/wireguard/<name>.sock exists,
 * netlink otherwise. On success *out is a new device (free with wg_device_free); on
 * failure -errno with a message naming the interface and, for EPERM, the missing
 * capability: -ENODEV no such interface, -EOPNOTSUPP not a WireGuard interface. */
int wg_device_get(const char *name, enum wg_backend_kind kind, struct wg_device **out,
		  struct errbuf *e);
void wg_device_free(struct wg_device *dev);

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

#endif
