/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the engine is given: its options, and what it needs from the world as one table: WireGuard devices, STUN I/O from
 * the WireGuard port, the wall clock, and the store factory. engine_new takes it (NULL:
 * engine_default_deps()); the unit tests pass a fake device, a fake STUN server and a
 * memory store, and run the loop on a fake clock (loop_set_clock), so every behaviour
 * of the daemon is tested without root, namespaces or real time.
 *
 * WireGuard has the shapes of the asynchronous device handle (wg_handle in wg.h): one
 * handle per interface, requests queued in order, each callback exactly once, always
 * from the loop and never from inside the call. Handles are void * because each
 * implementation has its own. */
#ifndef SM_ENGINE_DEPS_H
#define SM_ENGINE_DEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config/config.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"
#include "store/store.h"
#include "wg/wg-model.h"

struct engine_opts {
	bool oneshot;
	int64_t oneshot_timeout_ms;
	int64_t sample_ms;	  /* how often WireGuard is read; default 1000 */
	int64_t stun_ms;	  /* periodic re-discovery; default 10000 */
	const char *control_path; /* NULL: the config's control_socket; "" none */
};

/* One entry of a device update: an existing peer's endpoint and/or keepalive (a peer
 * that is not on the device is never created). Entries of one set apply in order. */
struct engine_wg_update {
	uint8_t pub[WG_KEY_LEN];
	bool set_endpoint;
	union sm_addr endpoint;
	int keepalive; /* seconds; -1 = unchanged */
};

/* dev belongs to the callback (wg_device_free it; wipe the private key first). */
typedef void (*engine_wg_get_cb)(void *arg, int err, const char *errmsg, struct wg_device *dev);
typedef void (*engine_wg_set_cb)(void *arg, int err, const char *errmsg);

struct engine_wg_ops {
	int (*open)(void *ctx, struct loop *l, const char *ifname, enum wg_backend_kind kind,
		    void **h, struct errbuf *e);
	/* Requests still queued get no callback. */
	void (*close)(void *h);
	int (*get)(void *h, engine_wg_get_cb cb, void *arg);
	int (*set)(void *h, const struct engine_wg_update *u, size_t n, engine_wg_set_cb cb,
		   void *arg);
	/* Removes and re-adds one peer with all its settings and a new endpoint. */
	int (*replace)(void *h, const struct wg_peer *full, const union sm_addr *endpoint,
		       int keepalive, engine_wg_set_cb cb, void *arg);
	/* Drops the queued requests whose callback argument is arg. */
	void (*cancel)(void *h, void *arg);
	/* The interface's index, 0 when there is none: a new index means the interface
	 * was created again. */
	unsigned (*ifindex)(void *ctx, const char *ifname);
};

/* One received datagram's payload and sender. */
typedef void (*engine_stun_recv_cb)(void *arg, const union sm_addr *from, const uint8_t *buf,
				    size_t len);

/* STUN transport: datagrams from the WireGuard port (raw socket by default), replies
 * delivered from the loop through recv until close. */
struct engine_stun_ops {
	int (*open)(void *ctx, struct loop *l, const struct logger *log, int family, uint16_t port,
		    uint32_t fwmark, engine_stun_recv_cb recv, void *arg, void **t, struct errbuf *e);
	int (*send)(void *t, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		    struct errbuf *e);
	/* Safe from inside recv. */
	void (*close)(void *t);
};

struct engine_deps {
	const struct engine_wg_ops *wg;
	void *wg_ctx;
	const struct engine_stun_ops *stun;
	void *stun_ctx;
	int64_t (*unix_now)(void *ctx); /* wall clock, unix seconds */
	void *clock_ctx;
	int (*store_new)(void *ctx, const struct config_plugin *cfg, const struct store_env *env,
			 struct store **out, struct errbuf *e);
	void *store_ctx;
};

/* The real world: wg.h's device calls completed from the loop (engine-deps.c), raw
 * sockets, time(), store_new. */
const struct engine_deps *engine_default_deps(void);

#endif
