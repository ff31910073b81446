/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What wg.c needs from each WireGuard backend, and the pure parsers the unit tests and
 * fuzz targets reach directly. Only wg.c (and tests) include this; the rest of
 * stunmesh uses wg.h. */
#ifndef SM_WG_BACKEND_H
#define SM_WG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/util.h"
#include "wg/wg-model.h"

#define WG_UAPI_DIR "/var/run/wireguard"
/* One reply bounds memory: about 200 bytes per peer in UAPI text, so 16 MiB is far
 * beyond any real device and still finite. */
#define WG_UAPI_MAX_REPLY (16U << 20)
#define WG_IO_TIMEOUT_MS 5000

/* One change to one existing peer; fields left at their "unchanged" value are not sent. */
struct wg_peer_update {
	uint8_t public_key[WG_KEY_LEN];
	const union sm_addr *endpoint; /* NULL: unchanged */
	int keepalive;			   /* seconds 0..65535, -1: unchanged */
	bool known; /* the caller just saw the peer on the device: skip the lookup */
};

/* ---- UAPI (text: wg-uapi-text.c, socket: wg-uapi.c) ---- */

/* Parses the reply to "get=1": key=value lines up to the blank line, errno= last.
 * name is copied into the result. Returns 0 with *out set, the device's -errno when the
 * reply carries errno != 0, -EPROTO for a malformed or truncated reply, -ENOMEM. */
int wg_uapi_parse_get(const uint8_t *buf, size_t len, const char *name, struct wg_device **out,
		      struct errbuf *e);
/* Parses the reply to "set=1": only "errno=N" and the blank line. 0 or -errno. */
int wg_uapi_parse_set(const uint8_t *buf, size_t len, struct errbuf *e);
/* Formats the "set=1" request for one peer update into s. 0 or -ENOMEM / -EINVAL. */
int wg_uapi_format_set(struct strbuf *s, const struct wg_peer_update *u);

/* I/O against the socket at path (normally WG_UAPI_DIR "/<name>.sock"). */
int wg_uapi_get(const char *path, const char *name, struct wg_device **out, struct errbuf *e);
/* Checks the peer is on the device first (-ENOENT if not), then sends the update with
 * update_only=true so a peer removed in between is not re-created. */
int wg_uapi_set_peer(const char *path, const char *name, const struct wg_peer_update *u,
		     struct errbuf *e);

/* ---- Linux generic netlink (messages: wg-netlink-msg.c, socket: wg-netlink.c) ---- */

/* Accumulates a WG_CMD_GET_DEVICE dump that may arrive in many datagrams, each holding
 * several netlink messages. A peer whose allowed IPs overflow a message is continued in
 * the next one under the same public key; those parts are merged into one peer. */
struct wg_nl_dump {
	uint16_t family;  /* the "wireguard" genl family id */
	uint32_t seq;	  /* expected nlmsg_seq, 0 = any */
	struct wg_device *dev;
	size_t cap;	  /* capacity of dev->peers */
	bool done;	  /* NLMSG_DONE (or the final error) seen */
	bool interrupted; /* NLM_F_DUMP_INTR: the device changed mid-dump; read again */
	int error;	  /* -errno from NLMSG_ERROR/NLMSG_DONE, 0 if none */
};

int wg_nl_dump_init(struct wg_nl_dump *d, uint16_t family, uint32_t seq, const char *name);
/* Feeds one datagram. 0 when more is expected, 1 when the dump is complete (check
 * d->error), -EPROTO on a malformed message, -ENOMEM. */
int wg_nl_dump_feed(struct wg_nl_dump *d, const uint8_t *buf, size_t len, struct errbuf *e);
/* Hands over the device (only after feed returned 1 with d->error == 0). */
struct wg_device *wg_nl_dump_take(struct wg_nl_dump *d);
void wg_nl_dump_free(struct wg_nl_dump *d);

/* Parses the reply to CTRL_CMD_GETFAMILY: 0 with *id, -errno from an NLMSG_ERROR
 * (-ENOENT: no such family), -EPROTO when malformed. */
int wg_nl_parse_family(const uint8_t *buf, size_t len, uint16_t *id);

/* Looks for the ACK of request seq: 1 found, 0 not in buf, -errno the kernel's refusal,
 * -EPROTO malformed. */
int wg_nl_parse_ack(const uint8_t *buf, size_t len, uint32_t seq);

/* Builds the WG_CMD_SET_DEVICE message for one peer update into buf (size len) and
 * returns its length, or -ENOSPC / -EINVAL. */
int wg_nl_build_set(uint8_t *buf, size_t len, uint16_t family, uint32_t seq, const char *name,
		    const struct wg_peer_update *u);

int wg_nl_get(const char *name, struct wg_device **out, struct errbuf *e);
int wg_nl_set_peer(const char *name, const struct wg_peer_update *u, struct errbuf *e);

#endif
