/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon: one event loop driving, per configured interface, STUN discovery from the
 * WireGuard port, publishing our endpoint for each peer, and, per peer, the state
 * machine of peer.h fed by the peer's records and by WireGuard's counters. Every
 * interface, peer and store progresses on its own: a failing store or a missing
 * interface holds up nothing else. */
#ifndef SM_ENGINE_H
#define SM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "net/discover.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "daemon/peer.h"
#include "proto/record.h"
#include "store/store.h"
#include "wg/wg.h"

struct engine;
struct eng_iface;

/* One family's discovery on one interface. */
struct eng_disc {
	struct eng_iface *ifc;
	int family;
	struct discover d;
	bool running;
	int fd; /* registered with the loop, -1 when none */
	struct loop_timer timer;
	bool have;			 /* mapped is valid */
	union sm_addr mapped;	 /* our public endpoint for this family */
	int64_t learned_unix;		 /* when it was last confirmed */
	char error[256];		 /* the last failure, "" after a success */
	int64_t next_ms;		 /* next periodic discovery, monotonic ms */
	/* After a mapping is learnt, one more server is asked once: a different port
	 * means the NAT maps per destination (symmetric) and hole punching with a peer
	 * behind another such NAT cannot work. */
	enum { NAT_UNKNOWN = 0, NAT_CONE, NAT_SYMMETRIC } nat;
	bool checking;			 /* the running discovery is that check */
	bool checked;			 /* done (or impossible) for the current mapping */
	union sm_addr check_mapped;
};

struct eng_peer {
	struct eng_iface *ifc;
	struct engine *eng;
	char *name;
	uint8_t pub[WG_KEY_LEN];
	enum peer_family protocol;
	struct store *store; /* shared, owned by the engine */
	char *store_name;
	char write_key[RECORD_KEY_HEX_LEN + 1], read_key[RECORD_KEY_HEX_LEN + 1];
	bool on_device;
	bool peer_symmetric; /* the peer's record says its NAT is symmetric */
	struct peer_fsm fsm;
	struct record_fresh fresh;
	struct loop_timer timer; /* fsm events */
	/* publishing to this peer */
	bool publishing;
	bool publish_again;	/* our endpoint changed while a set was in flight */
	char *published;	/* the content last stored (JSON without ts) */
	int64_t published_unix;
	int64_t next_publish_ms; /* republish (retry after a failure, or refresh) */
	/* for status */
	char fetch_result[384];
	char publish_result[384];
	bool endpoint_ever_set;
	int64_t publish_backoff_ms; /* after failed writes: doubles up to the refresh interval */
};

struct eng_iface {
	struct engine *eng;
	char *name;
	enum iface_family protocol;
	enum wg_backend_kind backend;
	bool present; /* the device was read successfully last time */
	char error[256];
	uint16_t listen_port;
	uint32_t fwmark;
	unsigned ifindex; /* a new index means the interface was created again */
	unsigned old_ifindex;
	uint8_t pub[WG_KEY_LEN], priv[WG_KEY_LEN];
	struct eng_disc disc[2]; /* [0] IPv4, [1] IPv6 */
	struct loop_timer sample_timer;
	struct eng_peer **peers;
	size_t n_peers;
	int64_t samples;
};

struct engine_opts {
	bool oneshot;
	int64_t oneshot_timeout_ms;
	int64_t sample_ms;    /* how often WireGuard is read; default 1000 */
	int64_t stun_ms;      /* periodic re-discovery; default 10000 */
	const char *control_path; /* NULL: the config's control_socket; "" none */
};

struct engine {
	struct loop *loop;
	struct logger *log;
	struct config *cfg;
	struct engine_opts opts;
	struct store **stores; /* parallel to cfg->plugins */
	char **store_names;
	size_t n_stores;
	struct eng_iface **ifaces;
	size_t n_ifaces;
	struct loop_timer oneshot_timer;
	int exit_code;
	int control_fd;
	char *control_path;
	struct config_source src; /* for reloads */
	int64_t started_ms;
};

/* Builds the engine for cfg (taken over) on loop. Interfaces that do not exist yet are
 * retried; only resource errors fail. */
int engine_new(struct loop *loop, struct logger *log, struct config *cfg,
	       const struct engine_opts *opts, const struct config_source *src,
	       struct engine **out, struct errbuf *e);
/* Starts everything (discovery, fetches, sampling, the control socket). */
int engine_start(struct engine *eng, struct errbuf *e);
/* Re-reads the configuration and applies the difference; a config with errors is
 * reported and the running one stays. */
void engine_reload(struct engine *eng);
/* Re-discovers and re-fetches now: all peers, or the peers named `peer` (NULL = all).
 * Returns the number of peers affected. */
size_t engine_refresh(struct engine *eng, const char *peer);
/* Gives back what we hold (the user's keepalive values), closes everything. */
void engine_free(struct engine *eng);

/* Status as JSON (malloc'd string) or text. */
char *engine_status_json(struct engine *eng);
void engine_status_text(struct engine *eng, FILE *f);

/* For --oneshot: true when every peer on a present device has had an endpoint set and
 * every publish has succeeded. */
bool engine_oneshot_done(const struct engine *eng);
/* Prints which peers did not make it and why (for --oneshot). */
void engine_report_failures(const struct engine *eng);

#endif
