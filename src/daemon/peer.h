/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One peer's connection state, driven by evidence: the record the peer published
 * (fetched from its store) and WireGuard's own counters for it (last handshake, rx, tx).
 * Pure logic over a clock passed in, so every transition is unit-tested on a fake clock;
 * the engine performs the actions it returns.
 *
 *   WAITING    no usable record yet: fetch with a fast backoff (250 ms doubling up to
 *              the refresh interval)
 *   PUNCHING   endpoint set, no handshake since: keep fetching fast (the peer may not
 *              have our record yet, or may move), and with fast_punch hold the peer's
 *              persistent keepalive at 1 s so WireGuard initiates at once and keeps the
 *              NAT holes open
 *   CONNECTED  a handshake happened after the endpoint was set: restore the keepalive
 *              the user configured, fetch at the refresh interval
 *   STALE      was connected, but what we sent went unanswered for quiet_ms (at least
 *              a handshake initiation's worth), or the session expired while we send:
 *              re-discover our own endpoint, republish, fetch fast again; a new
 *              handshake makes it CONNECTED again
 *
 * Also: a CONNECTED peer keeps an endpoint WireGuard roamed to while its traffic
 * arrives, whatever a record says; a device whose counters go back (the interface was
 * created again) starts the peer over with the endpoint we know.
 *
 * WireGuard timings used (from the protocol paper): a session is rekeyed after 120 s of
 * use and rejected after 180 s; a sender that hears nothing for 10 s + 5 s starts a new
 * handshake. */
#ifndef SM_PEER_H
#define SM_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "wg/wg.h"

enum peer_state {
	PEER_WAITING = 0,
	PEER_PUNCHING,
	PEER_CONNECTED,
	PEER_STALE,
};

/* What the engine should do after an event; a bit set. */
enum peer_action {
	PEER_ACT_SET_ENDPOINT = 1U << 0,      /* set fsm.endpoint on the device */
	PEER_ACT_KEEPALIVE_FAST = 1U << 1,    /* set persistent keepalive to 1 s */
	PEER_ACT_KEEPALIVE_RESTORE = 1U << 2, /* set it back to fsm.user_keepalive */
	PEER_ACT_REDISCOVER = 1U << 3,	      /* our own path looks dead: STUN again, republish */
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

struct peer_fsm {
	enum peer_state state;
	int64_t state_since; /* monotonic ms */
	int64_t next_fetch;  /* monotonic ms */
	int64_t backoff_ms;
	bool defer_punch; /* we are the higher key: punch punch_delay_ms after the endpoint */

	union sm_addr endpoint; /* what we set from the record; AF_UNSPEC = none yet */
	int64_t endpoint_set_at;    /* monotonic ms */
	int64_t endpoint_set_unix;  /* unix s, to compare with WireGuard's handshake time */

	/* WireGuard's view, from the latest sample */
	bool sampled;
	union sm_addr dev_endpoint; /* the device's current endpoint (roaming moves it) */
	int64_t last_handshake; /* unix s, 0 = never */
	uint64_t rx, tx;
	int64_t rx_moved_at;  /* monotonic ms of the last rx growth */
	uint64_t tx_at_rx;    /* tx when rx last moved: what went out unanswered since */
	int64_t unanswered_since; /* monotonic ms of the first tx after rx last moved, 0 */
	uint64_t unanswered_bytes; /* sent since then, lone keepalives not counted */
	bool fetching;

	bool fast_keepalive;	 /* we hold keepalive at 1 s */
	int64_t poke_until;	 /* monotonic ms: end of a keepalive burst while connected */
	int64_t poked_ts;	 /* the record ts that caused the last burst */
	bool leftover_keepalive; /* a 1 s keepalive found at start was taken as ours */
	bool punch_due;		 /* deferred punch not yet done */
	uint16_t user_keepalive; /* what the device had before we touched it */
	unsigned connects;	 /* times CONNECTED was entered, for status */
};

void peer_params_default(struct peer_params *p, int64_t refresh_ms, bool fast_punch);

/* Starts in WAITING with a fetch due now. higher_key: our public key sorts after the
 * peer's (memcmp), which makes us the one who waits before punching. */
void peer_init(struct peer_fsm *f, int64_t now, bool higher_key);

/* A record was fetched and selected: ep is the endpoint the peer published for us.
 * Returns actions. */
unsigned peer_on_endpoint(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			  int64_t now_unix, const union sm_addr *ep);
/* The same with the record's ts (0 when it has none): a CONNECTED peer that published
 * again since the last handshake gets a short keepalive burst from us. */
unsigned peer_on_record(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const union sm_addr *ep, int64_t ts);
/* The fetch found no record, or the store or record failed: try again soon. */
void peer_on_fetch_failed(struct peer_fsm *f, const struct peer_params *p, int64_t now);

/* A fresh reading of the peer from the device. Returns actions. */
unsigned peer_on_sample(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const struct wg_peer *wp);

/* Time has passed (the engine calls this when peer_next_event() is due). */
unsigned peer_on_tick(struct peer_fsm *f, const struct peer_params *p, int64_t now);

/* The earliest time something is due for this peer: a fetch or a deferred punch. */
int64_t peer_next_event(const struct peer_fsm *f, const struct peer_params *p);
bool peer_fetch_due(const struct peer_fsm *f, int64_t now);
/* The fetch was started: do not start another until it completes. */
void peer_fetch_started(struct peer_fsm *f);

/* Our own public endpoint changed (or was re-published): the peer needs to fetch it,
 * and until it does, fetching theirs fast helps when both moved. */
void peer_on_republished(struct peer_fsm *f, const struct peer_params *p, int64_t now);

const char *peer_state_name(enum peer_state s);

#endif
