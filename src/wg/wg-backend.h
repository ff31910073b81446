/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the wg layer: the pure encoders and parsers of both backends (which the unit
 * tests and fuzz targets reach directly), the peer operations both encode, and the two
 * asynchronous transports the handle (wg-handle.c) drives. The rest of stunmesh uses
 * wg.h. */
#ifndef SM_WG_BACKEND_H
#define SM_WG_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"
#include "lib/loop.h"
#include "lib/util.h"
#include "wg/wg-model.h"
#include "wg/wg.h"

#define WG_UAPI_DIR "/var/run/wireguard"
/* One reply bounds memory: about 200 bytes per peer in UAPI text, so 16 MiB is far
 * beyond any real device and still finite. */
#define WG_UAPI_MAX_REPLY (16U << 20)
/* sizeof(WG_UAPI_DIR "/") + IFNAMSIZ + sizeof(".sock") with room to spare. */
#define WG_UAPI_PATH_LEN 64

/* The kernel's dev_valid_name() rules; they also keep the name safe in a socket path.
 * 0 or -EINVAL with why. */
int wg_check_name(const char *name, struct errbuf *e);

/* Points a handle's UAPI backend at another socket (tests run a fake daemon in a
 * temporary directory). 0 or -ENAMETOOLONG. */
int wg_handle_set_uapi_path(struct wg_handle *h, const char *path);

/* ---- a buffer for secrets: grows by copy-and-wipe, wiped when freed ---- */

struct secbuf {
	uint8_t *p;
	size_t len, cap;
};

int secbuf_reserve(struct secbuf *b, size_t extra);
int secbuf_append(struct secbuf *b, const void *data, size_t n);
int secbuf_printf(struct secbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void secbuf_reset(struct secbuf *b); /* wipes, keeps the memory */
void secbuf_free(struct secbuf *b);

/* ---- what a write does to peers, whichever backend carries it ---- */

enum wg_op_flags {
	WG_OP_REMOVE = 1U << 0,	     /* remove the peer; nothing else in this op is sent */
	WG_OP_UPDATE_ONLY = 1U << 1, /* never create the peer */
	WG_OP_REPLACE_IPS = 1U << 2, /* allowed IPs become exactly the listed ones */
};

/* One peer entry of a write; pointers are borrowed for the time of the encoding. */
struct wg_peer_op {
	uint8_t public_key[WG_KEY_LEN];
	unsigned flags;
	const union sm_addr *endpoint; /* NULL: unchanged */
	int keepalive;		       /* -1: unchanged */
	const uint8_t *preshared_key;  /* NULL: unchanged; secret */
	const struct wg_allowed_ip *allowed_ips; /* added (after the reset with REPLACE_IPS) */
	size_t n_allowed_ips;
};

/* Checks what both encoders rely on: keepalive in -1..65535, endpoints IPv4 or IPv6,
 * valid allowed IPs. 0 or -EINVAL. */
int wg_ops_check(const struct wg_peer_op *ops, size_t n);

/* ---- UAPI text (wg-uapi-text.c) ---- */

/* Parses the reply to "get=1": key=value lines up to the blank line, errno= last.
 * name is copied into the result. Returns 0 with *out set, the device's -errno when the
 * reply carries errno != 0, -EPROTO for a malformed or truncated reply, -ENOMEM. */
int wg_uapi_parse_get(const uint8_t *buf, size_t len, const char *name, struct wg_device **out,
		      struct errbuf *e);
/* Parses the reply to "set=1": only "errno=N" and the blank line. 0 or -errno. */
int wg_uapi_parse_set(const uint8_t *buf, size_t len, struct errbuf *e);
/* Where a reply in buf ends: the length up to and including its blank line, or 0 when
 * the blank line has not arrived yet. The bytes before from were searched already (a
 * reply read piece by piece is scanned once). */
size_t wg_uapi_reply_end(const uint8_t *buf, size_t len, size_t from);
/* Formats "set=1" with one section per op into out (appended). 0, -EINVAL, -ENOMEM. */
int wg_uapi_format_ops(struct secbuf *out, const struct wg_peer_op *ops, size_t n);

/* ---- Linux generic netlink messages (parsers: wg-netlink-msg.c, builders:
 * wg-netlink-build.c) ---- */

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

/* Looks in one datagram for the reply to CTRL_CMD_GETFAMILY request seq (0: any):
 * 1 with *id, 0 not in this datagram, -errno from an NLMSG_ERROR (-ENOENT: no such
 * family), -EPROTO when malformed. */
int wg_nl_parse_family(const uint8_t *buf, size_t len, uint32_t seq, uint16_t *id);

/* Looks for the ACK of request seq: 1 found, 0 not in buf, -errno the kernel's refusal,
 * -EPROTO malformed. */
int wg_nl_parse_ack(const uint8_t *buf, size_t len, uint32_t seq);

/* The requests. Each returns the message length or -ENOSPC / -EINVAL. */
int wg_nl_build_family(uint8_t *buf, size_t len, uint32_t seq);
int wg_nl_build_get(uint8_t *buf, size_t len, uint16_t family, uint32_t seq, const char *name);

/* Ops become WG_CMD_SET_DEVICE messages of at most len bytes each, built one at a time
 * from a cursor. An op whose allowed IPs do not fit is continued in the next message as
 * an update-only entry carrying the rest; a remove is kept in the same message as the
 * entry after it, so a replace is atomic unless its allowed IPs overflow. */
#define WG_NL_SET_MSG_MAX 8192
struct wg_nl_set_cursor {
	size_t op, ip; /* next op, and next allowed IP of that op when ip > 0 */
};
/* Builds the next message into buf: its length, 0 when every op is out, -EINVAL,
 * -ENOSPC (len too small for one entry). */
int wg_nl_build_set(uint8_t *buf, size_t len, uint16_t family, uint32_t seq, const char *name,
		    const struct wg_peer_op *ops, size_t n, struct wg_nl_set_cursor *cur);

/* ---- the transports (wg-uapi.c, wg-netlink.c) ----
 * Each runs one exchange at a time for the handle, on the handle's loop. A start call
 * returns 0 and later calls done exactly once from a loop callback, or returns -errno
 * at once (the words in e) and never calls done. abort drops the exchange under way
 * (done is not called) and closes the connection, whose state is then unknown. */
typedef void (*wg_io_done)(void *arg, int err, const char *msg, struct wg_device *dev);

struct wg_uapi_conn {
	struct loop *loop;
	char path[WG_UAPI_PATH_LEN];
	char name[IFNAMSIZ];
	int fd;		/* -1: not connected */
	int phase;	/* wg-uapi.c */
	bool used;	/* completed an exchange: a failure before any reply byte may be a
			   wireguard-go that restarted, so reconnect and send once more */
	bool retried;
	bool get;	/* the exchange is a get=1 */
	struct secbuf out, in;
	size_t out_off;
	struct errbuf e;
	wg_io_done done;
	void *done_arg;
};

void wg_uapi_conn_init(struct wg_uapi_conn *c, struct loop *l, const char *path,
		       const char *name);
int wg_uapi_conn_get(struct wg_uapi_conn *c, wg_io_done done, void *arg, struct errbuf *e);
int wg_uapi_conn_set(struct wg_uapi_conn *c, const struct wg_peer_op *ops, size_t n,
		     wg_io_done done, void *arg, struct errbuf *e);
bool wg_uapi_conn_open(const struct wg_uapi_conn *c);
void wg_uapi_conn_abort(struct wg_uapi_conn *c);

struct mnl_socket;
struct wg_nl_conn {
	struct loop *loop;
	char name[IFNAMSIZ];
	struct mnl_socket *nl; /* NULL: not open */
	uint8_t *buf;	       /* receive buffer (held the private key: wiped) */
	uint32_t seq;
	uint16_t family;
	bool have_family;
	int phase;	       /* wg-netlink.c */
	int next;	       /* what runs once the family is known */
	bool reresolved;
	int attempts;	       /* dumps read again after NLM_F_DUMP_INTR */
	struct wg_nl_dump dump;
	bool dump_live;
	const struct wg_peer_op *ops; /* borrowed until done */
	size_t n_ops;
	struct wg_nl_set_cursor cur, cur_msg;
	uint8_t *msg;	       /* the set message in flight (may hold a preshared key) */
	int saved_err;	       /* the error that made us look the family up again */
	struct errbuf e;
	wg_io_done done;
	void *done_arg;
};

void wg_nl_conn_init(struct wg_nl_conn *c, struct loop *l, const char *name);
int wg_nl_conn_get(struct wg_nl_conn *c, wg_io_done done, void *arg, struct errbuf *e);
int wg_nl_conn_set(struct wg_nl_conn *c, const struct wg_peer_op *ops, size_t n,
		   wg_io_done done, void *arg, struct errbuf *e);
void wg_nl_conn_abort(struct wg_nl_conn *c);

#endif
