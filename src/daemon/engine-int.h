/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's own state and the calls between its files; only src/daemon includes it.
 *
 *   engine.c          the engine's life: new, start, refresh, stop, free
 *   engine-deps.c     the default dependency table (WireGuard, raw STUN, clock, stores)
 *   engine-dev.c      one WireGuard handle per interface and its requests in flight
 *   engine-iface.c    interfaces: device readings, the device index, interface gone
 *   engine-disc.c     STUN discovery per family, the NAT check
 *   engine-publish.c  sealing and storing our record for each peer
 *   engine-fetch.c    reading and opening the peer's record
 *   engine-peer.c     a peer's life in the engine: new, bound to the device, timer, release
 *   engine-act.c      the state machine's actions, applied on the device
 *   engine-reload.c   SIGHUP: the new set built beside the running one, then swapped
 *   engine-oneshot.c  --oneshot: when it is done, what failed
 *   engine-status.c   status as text and JSON
 *   engine-control.c  the control socket's requests */
#ifndef SM_ENGINE_INT_H
#define SM_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "daemon/control.h"
#include "daemon/engine-deps.h"
#include "daemon/peer.h"
#include "net/discover.h"
#include "proto/record.h"
#include "store/store.h"
#include "wg/wg-model.h"

#define ENG_MSG_LEN 384
#define ENG_LABEL_LEN 96
#define PUNCH_SAMPLE_MS 200  /* device readings while a peer is being punched */
#define MISSING_RETRY_MS 1000 /* a missing interface is looked for this often */

struct engine;
struct eng_iface;
struct eng_peer;

/* The last result of a fetch or a publish: what it was, and words for status and logs. */
enum eng_fetch_result {
	FETCH_NOT_YET = 0,
	FETCH_OK,
	FETCH_NO_RECORD, /* the peer has not published for us yet */
	FETCH_FAILED,	 /* the store failed, or the record was rejected */
};

enum eng_publish_result {
	PUBLISH_NOT_YET = 0,
	PUBLISH_OK,
	PUBLISH_FAILED,
	PUBLISH_NO_STORE, /* the peer's store could not be set up */
};

struct eng_result {
	int kind; /* enum eng_fetch_result or enum eng_publish_result */
	char msg[ENG_MSG_LEN];
};

/* Sets r; true when the kind or the words changed (what is worth a log line). */
bool eng_result_set(struct eng_result *r, int kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum eng_nat {
	NAT_UNKNOWN = 0,
	NAT_CONE,
	NAT_SYMMETRIC,
};

/* One family's discovery on one interface. */
struct eng_disc {
	struct eng_iface *ifc;
	int family;
	struct discover d;
	bool running;
	void *stun; /* the STUN transport while running (deps.stun) */
	struct loop_timer timer;
	bool have;		 /* mapped is valid */
	union sm_addr mapped;	 /* our public endpoint for this family */
	int64_t learned_unix;	 /* when it was last confirmed */
	char error[256];	 /* the last failure, "" after a success */
	int64_t next_ms;	 /* next periodic discovery, monotonic ms */
	/* After a mapping is learnt, one more server is asked once: a different port
	 * means the NAT maps per destination (symmetric) and hole punching with a peer
	 * behind another such NAT cannot work. */
	enum eng_nat nat;
	bool checking; /* the running discovery is that check */
	bool checked;  /* done (or impossible) for the current mapping */
};

/* A WireGuard handle (deps.wg) and the requests in flight on it. An interface that goes
 * away leaves its handle orphaned until the device has taken what was sent (a keepalive
 * given back), then it is closed. */
struct eng_dev {
	struct engine *eng;
	struct eng_dev *next; /* the engine's list */
	struct eng_iface *ifc; /* NULL once orphaned */
	char *ifname;
	enum wg_backend_kind backend;
	void *h; /* NULL until opened */
	struct eng_wg_req *reqs;
};

enum eng_req_kind {
	REQ_GET,
	REQ_SET,
};

struct eng_wg_req {
	struct eng_dev *dev;
	struct eng_wg_req *next; /* the device's list */
	enum eng_req_kind kind;
	struct eng_peer *peer;	 /* REQ_SET: NULL once the peer left (the result is only logged) */
	unsigned what;		 /* REQ_SET: the PEER_ACT_* it carries */
	union sm_addr endpoint;	 /* for the log */
	uint16_t keepalive;
	char label[ENG_LABEL_LEN];
};

struct eng_peer {
	struct eng_iface *ifc;
	struct engine *eng;
	char *name;
	uint8_t pub[WG_KEY_LEN];
	enum peer_family protocol;
	struct store *store; /* shared, owned by the engine's store table */
	char *store_name;
	char write_key[RECORD_KEY_HEX_LEN + 1], read_key[RECORD_KEY_HEX_LEN + 1];
	bool on_device;
	bool peer_symmetric; /* the peer's record says its NAT is symmetric */
	struct peer_fsm fsm;
	struct record_fresh fresh;
	struct loop_timer timer; /* fsm events, fetches, republishing */
	/* publishing to this peer */
	bool publishing;
	bool publish_again;	 /* our endpoint changed while a set was in flight */
	char *published;	 /* the content of the write in flight / last stored (JSON without ts) */
	int64_t published_unix;
	int64_t next_publish_ms; /* republish (retry after a failure, or refresh); 0 = none */
	int64_t publish_backoff_ms; /* after failed writes: doubles up to the refresh interval */
	struct eng_result fetch, publish;
	bool endpoint_ever_set;
};

struct eng_iface {
	struct engine *eng;
	char *name;
	enum iface_family protocol;
	enum wg_backend_kind backend;
	struct eng_dev *dev;
	bool reading; /* a device reading is in flight */
	bool present; /* the device was read successfully last time */
	char error[256];
	uint16_t listen_port;
	uint32_t fwmark;
	unsigned ifindex; /* a new index means the interface was created again */
	uint8_t pub[WG_KEY_LEN], priv[WG_KEY_LEN];
	struct eng_disc disc[2]; /* [0] IPv4, [1] IPv6 */
	struct loop_timer sample_timer;
	struct eng_peer **peers;
	size_t n_peers;
};

/* The stores, parallel to cfg->plugins; a slot is NULL when its store could not be set up. */
struct eng_stores {
	struct store **s;
	char **names;
	size_t n;
};

struct engine {
	struct loop *loop;
	struct logger *log;
	struct config *cfg;
	struct engine_opts opts;
	struct engine_deps deps;
	struct eng_stores stores;
	struct eng_iface **ifaces;
	size_t n_ifaces;
	struct eng_dev *devs;
	struct loop_timer oneshot_timer;
	struct loop_timer stop_timer;
	bool started;
	bool stopping;
	int exit_code;
	struct control *control;
	struct config_source src; /* for reloads */
	int64_t started_ms;
};

/* engine.c */
int64_t eng_now_ms(const struct engine *eng);
int64_t eng_unix_now(const struct engine *eng);
const struct peer_params *eng_peer_params(const struct eng_peer *p, struct peer_params *pp);
const char *eng_peer_label(const struct eng_peer *p, char *buf, size_t len);
struct store *eng_stores_find(const struct eng_stores *st, const char *name);
void eng_stores_free(struct eng_stores *st);
/* While stopping: the loop stops once no device request is in flight. */
void eng_check_stopped(struct engine *eng);

/* engine-dev.c */
struct eng_dev *eng_dev_new(struct engine *eng, struct eng_iface *ifc);
int eng_dev_open(struct eng_dev *dev, struct errbuf *e);
int eng_dev_get(struct eng_dev *dev);
/* One set carrying the PEER_ACT_* in what for peer p (its result is logged and, for an
 * endpoint, remembered). label names the peer in the log. */
int eng_dev_set(struct eng_dev *dev, struct eng_peer *p, const char *label, unsigned what,
		const struct engine_wg_update *u, size_t n);
/* The peer leaves: its requests in flight still reach the device, their results are
 * only logged. */
void eng_dev_forget_peer(struct eng_dev *dev, const struct eng_peer *p);
/* The interface goes away: a reading in flight is dropped, the handle closes once
 * the sets in flight are done. */
void eng_dev_orphan(struct eng_dev *dev);
bool eng_dev_busy(const struct eng_dev *dev);
void eng_dev_free(struct eng_dev *dev);

/* engine-iface.c */
int eng_iface_new(struct engine *eng, const struct config_iface *ci, const struct eng_stores *st,
		  struct eng_iface **out);
void eng_iface_free(struct eng_iface *ifc);
void eng_iface_start(struct eng_iface *ifc);
void eng_iface_halt(struct eng_iface *ifc);
/* A device reading came back (engine-dev.c); dev is ours to free, NULL on error. */
void eng_iface_reading(struct eng_iface *ifc, int err, const char *errmsg, struct wg_device *dev);
/* Read the device within delay_ms (sooner if already armed sooner). */
void eng_iface_sample_soon(struct eng_iface *ifc, int64_t delay_ms);

/* engine-disc.c */
void eng_disc_init(struct eng_disc *dc, struct eng_iface *ifc, int family);
void eng_disc_stop(struct eng_disc *dc);
/* The device is new (or changed): forget what was learnt. */
void eng_disc_forget(struct eng_disc *dc);
/* Starts discovery now (now=true) or arms the periodic one. */
void eng_iface_discover(struct eng_iface *ifc, bool now);
bool eng_iface_symmetric(const struct eng_iface *ifc);
bool eng_family_wanted(const struct eng_iface *ifc, int idx);

/* engine-publish.c */
void eng_peer_publish(struct eng_peer *p, bool force);

/* engine-fetch.c */
void eng_peer_fetch(struct eng_peer *p);

/* engine-peer.c */
int eng_peer_new(struct eng_iface *ifc, const struct config_peer *cp, const struct eng_stores *st,
		 struct eng_peer **out);
void eng_peer_free(struct eng_peer *p);
/* Leaves the engine: the keepalive it holds is given back, its store operations
 * abandoned (no callbacks), then it is freed. */
void eng_peer_release(struct eng_peer *p);
/* Gives back the keepalive we hold, if the device is there. */
void eng_peer_give_back(struct eng_peer *p);
/* Keys depend on our own public key, known once the device is read. */
void eng_peer_bind_device(struct eng_peer *p, bool same_device);
/* One device reading for this peer (wp NULL: not on the device). */
void eng_peer_sample(struct eng_peer *p, const struct wg_peer *wp);
void eng_peer_arm(struct eng_peer *p);
/* Its store was replaced (s NULL: none could be set up); name is taken over. */
void eng_peer_rebind_store(struct eng_peer *p, struct store *s, char *name);
void eng_peer_mark_no_store(struct eng_peer *p);

/* engine-act.c */
void eng_peer_act(struct eng_peer *p, unsigned act, enum peer_state before);
/* A set came back (engine-dev.c). */
void eng_set_done(struct eng_wg_req *req, int err, const char *errmsg);

/* engine-reload.c */
/* Builds the stores, interfaces and peers of cfg beside the running ones and swaps
 * them in; on failure nothing running was touched. prefix starts log lines. */
int eng_apply_config(struct engine *eng, struct config *cfg, const char *prefix);

/* engine-oneshot.c */
void eng_oneshot_init(struct engine *eng);
void eng_check_oneshot(struct engine *eng);

/* engine-control.c */
int eng_control_open(struct engine *eng, const char *path, struct errbuf *e);

#endif
