/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One peer's connection state, driven by evidence: the record the peer published
 * (fetched from its store) and WireGuard's own counters for it (last handshake, rx, tx).
 * Pure logic over a clock passed in, so every transition is unit-tested on a fake clock;
 * the engine feeds it events and performs the actions it returns.
 *
 *   WAITING    no usable record yet: fetch with a fast backoff (250 ms doubling up to
 *              the refresh interval)
 *   PUNCHING   endpoint set, no handshake since: keep fetching fast (the peer may not
 *              have our record yet, or may move), and with fast_punch hold the peer's
 *              persistent keepalive at 1 s so WireGuard initiates at once and keeps the
 *              NAT holes open
 *   CONNECTED  a handshake happened after the endpoint was set: restore the keepalive
 *              the user configured, fetch at the watch interval
 *   STALE      was connected, but what we sent went unanswered for quiet_ms (at least
 *              a handshake initiation's worth), or the session expired while we send:
 *              re-discover our own endpoint, republish, fetch fast again; a new
 *              handshake makes it CONNECTED again
 *
 * Also: a CONNECTED peer keeps an endpoint WireGuard roamed to while its traffic
 * arrives, whatever a record says; a device whose counters go back (the interface was
 * created again) starts the peer over with the endpoint we know.
 *
 * Inside, three parts the state machine combines:
 *   fetch scheduling   when the peer's record is read next (struct peer_fetch)
 *   keepalive control  who decides the device's persistent keepalive (enum peer_keepalive)
 *   path monitoring    WireGuard's counters turned into events (peer_monitor_sample)
 * and the paths a peer can be reached by (struct peer_path; only the direct one, the
 * endpoint the peer published, exists so far).
 *
 * WireGuard timings used (from the protocol paper): a session is rekeyed after 120 s of
 * use and rejected after 180 s; a sender that hears nothing for 10 s + 5 s starts a new
 * handshake. */
#ifndef SM_PEER_H
#define SM_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/addr.h"
#include "wg/wg-model.h"

enum peer_state {
	PEER_WAITING = 0,
	PEER_PUNCHING,
	PEER_CONNECTED,
	PEER_STALE,
};

/* What the engine should do after an event; a bit set. */
enum peer_action {
	PEER_ACT_SET_ENDPOINT = 1U << 0,      /* set peer_endpoint() on the device */
	PEER_ACT_KEEPALIVE_FAST = 1U << 1,    /* set persistent keepalive to 1 s */
	PEER_ACT_KEEPALIVE_RESTORE = 1U << 2, /* set it back to the user's value (ka.user) */
	PEER_ACT_REDISCOVER = 1U << 3,	      /* our own path looks dead: STUN again, republish */
	/* tell the user: a 1 s keepalive found on the device was taken as ours (what a
	 * stunmesh killed while punching leaves), so it goes back to off once connected */
	PEER_ACT_NOTE_LEFTOVER = 1U << 4,
};

struct peer_params {
	int64_t refresh_ms;	/* refresh_interval */
	int64_t backoff_min_ms; /* first fast retry, doubles up to refresh_ms */
	int64_t quiet_ms;	/* tx grew and rx did not for this long: the path is suspect */
	bool fast_punch;
	/* The side with the higher public key waits this long before its first punch, so
	 * the two sides do not send handshake initiations at the same instant (both would
	 * then be rejected and WireGuard waits 5 s to retry). */
	int64_t punch_delay_ms;
	/* Hold the 1 s keepalive at most this long without a handshake; then give the
	 * user's value back (a peer that is offline should not cost a packet a second). */
	int64_t punch_max_ms;
	/* How often a CONNECTED peer's record is read anyway, so that a peer whose NAT
	 * moved is followed before our own traffic notices; at most refresh_ms. */
	int64_t watch_ms;
};

/* Fetch scheduling: one read at a time; fast (doubling) until connected, then the
 * watch interval; "now" on a refresh, a republish or a new store. */
struct peer_fetch {
	int64_t next;	    /* monotonic ms */
	int64_t backoff_ms; /* 0: the next failure waits backoff_min_ms */
	bool in_flight;
};

/* Keepalive control: who decides the device's persistent keepalive right now. */
enum peer_keepalive {
	PEER_KA_USER = 0, /* the user's value (ka.user) is on the device */
	PEER_KA_DEFERRED, /* we are the higher key: the fast keepalive is due punch_delay_ms
			   * after the endpoint was set */
	PEER_KA_FAST,	  /* we hold 1 s until a handshake (at most punch_max_ms) */
	PEER_KA_POKE,	  /* connected: we hold 1 s for a short burst, until ka.until */
};

struct peer_keepalive_ctl {
	enum peer_keepalive mode;
	uint16_t user;	  /* what the device had before we touched it */
	int64_t until;	  /* PEER_KA_POKE: end of the burst, monotonic ms */
	int64_t poked_ts; /* the record ts that caused the last burst */
};

/* Path monitoring: WireGuard's counters for the peer, turned into events. */
enum peer_path_event {
	PATH_EV_RESET = 1U << 0,     /* DEVICE_RESET: counters went back, or the endpoint we
				      * set is gone (the interface was created again) */
	PATH_EV_HANDSHAKE = 1U << 1, /* a handshake newer than the last one seen */
	PATH_EV_ALIVE = 1U << 2,     /* rx grew since the last reading */
	PATH_EV_QUIET = 1U << 3,     /* what we sent wants an answer and got none for
				      * quiet_ms (or went into an expired session) */
	PATH_EV_SESSION = 1U << 4,   /* not an event but a condition: the session is live
				      * (a handshake less than 180 s ago) */
};

struct peer_monitor {
	bool sampled;
	union sm_addr dev_endpoint; /* the device's current endpoint (roaming moves it) */
	int64_t last_handshake;	    /* unix s, 0 = never */
	uint64_t rx, tx;
	int64_t rx_moved_at;	   /* monotonic ms of the last rx growth */
	uint64_t tx_at_rx;	   /* tx when rx last moved */
	int64_t unanswered_since;  /* monotonic ms of the first tx after rx last moved, 0 */
	uint64_t unanswered_bytes; /* sent since then, lone keepalives not counted */
};

/* The ways a peer can be reached. Only the direct path exists so far (the endpoint
 * the peer published); the array leaves room for more kinds without changing the
 * state machine's callers. */
enum peer_path_kind {
	PEER_PATH_DIRECT = 0,
};
#define PEER_PATHS_MAX 3

enum peer_path_state {
	PATH_NONE = 0, /* no remote address known */
	PATH_TRYING,   /* set on the device, nothing proves it works yet */
	PATH_UP,       /* a handshake or traffic through it */
	PATH_QUIET,    /* what we sent through it went unanswered */
};

struct peer_path {
	enum peer_path_kind kind;
	union sm_addr remote; /* AF_UNSPEC = none yet */
	enum peer_path_state state;
	int64_t set_at;	  /* monotonic ms: when remote was last set on the device */
	int64_t set_unix; /* unix s, the same moment */
};

struct peer_fsm {
	enum peer_state state;
	int64_t state_since; /* monotonic ms */
	bool higher_key;     /* we defer our punch (see punch_delay_ms) */
	unsigned connects;   /* times CONNECTED was entered, for status */
	struct peer_fetch fetch;
	struct peer_keepalive_ctl ka;
	struct peer_monitor mon;
	struct peer_path paths[PEER_PATHS_MAX];
	unsigned n_paths;
	unsigned active; /* index into paths: the one on the device */
};

void peer_params_default(struct peer_params *p, int64_t refresh_ms, bool fast_punch);

/* Starts in WAITING with a fetch due now. higher_key: our public key sorts after the
 * peer's (memcmp), which makes us the one who waits before punching. */
void peer_init(struct peer_fsm *f, int64_t now, bool higher_key);
/* The device was read afresh (first reading, or the interface changed): start over.
 * keep_keepalive: it is the same device, so a 1 s keepalive we hold there is still
 * ours and the user's value is remembered. */
void peer_restart(struct peer_fsm *f, int64_t now, bool higher_key, bool keep_keepalive);

/* A record was fetched and selected: ep is the endpoint the peer published for us, ts
 * the record's (0 when it has none): a CONNECTED peer that published again since the
 * last handshake gets a short keepalive burst from us. Returns actions. */
unsigned peer_on_record(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const union sm_addr *ep, int64_t ts);
/* The same without a ts. */
unsigned peer_on_endpoint(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			  int64_t now_unix, const union sm_addr *ep);
/* The fetch found no record, or the store or record failed: try again soon. */
void peer_on_fetch_failed(struct peer_fsm *f, const struct peer_params *p, int64_t now);

/* A fresh reading of the peer from the device. Returns actions. */
unsigned peer_on_sample(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const struct wg_peer *wp);

/* Time has passed (the engine calls this when peer_next_event() is due). */
unsigned peer_on_tick(struct peer_fsm *f, const struct peer_params *p, int64_t now);

/* The user asked for a refresh: fetch now, the backoff starts over. */
void peer_on_refresh(struct peer_fsm *f, int64_t now);
/* The peer's store was replaced: a fetch in flight on the old one is abandoned, the
 * new one is read now. */
void peer_on_store_changed(struct peer_fsm *f, int64_t now);
/* Our own public endpoint changed (or was re-published): the peer needs to fetch it,
 * and until it does, fetching theirs fast helps when both moved. */
void peer_on_republished(struct peer_fsm *f, const struct peer_params *p, int64_t now);
/* The peer leaves (or the daemon stops): returns PEER_ACT_KEEPALIVE_RESTORE when we
 * hold the keepalive, which is then the user's again. */
unsigned peer_on_release(struct peer_fsm *f);

/* The earliest time something is due for this peer: a fetch or a keepalive change. */
int64_t peer_next_event(const struct peer_fsm *f, const struct peer_params *p);
bool peer_fetch_due(const struct peer_fsm *f, int64_t now);
/* The fetch was started: do not start another until it completes. */
void peer_fetch_started(struct peer_fsm *f);

/* The endpoint we set (or mean to set) on the device: the active path's remote. */
const union sm_addr *peer_endpoint(const struct peer_fsm *f);
/* We hold the device's keepalive at 1 s (punching or poking). */
bool peer_keepalive_held(const struct peer_fsm *f);
/* The device is read often while this is true: a handshake is the news. */
bool peer_wants_fast_samples(const struct peer_fsm *f);

/* Path monitoring on its own: feeds one reading, returns enum peer_path_event bits.
 * watch_reset: look for a device reset; expect_endpoint: an endpoint was set, so a
 * device without one was reset. After PATH_EV_RESET the reading is the new baseline. */
unsigned peer_monitor_sample(struct peer_monitor *m, const struct peer_params *p, int64_t now,
			     int64_t now_unix, const struct wg_peer *wp, bool watch_reset,
			     bool expect_endpoint);

const char *peer_state_name(enum peer_state s);
const char *peer_path_kind_name(enum peer_path_kind k);
const char *peer_path_state_name(enum peer_path_state s);

#endif
