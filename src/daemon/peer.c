/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/peer.h"

#include <string.h>

/* WireGuard constants (whitepaper section 6.1) */
#define REJECT_AFTER_TIME_S 180
#define HANDSHAKE_INIT_BYTES 148 /* a handshake initiation, as counted in tx_bytes */
#define KEEPALIVE_BYTES 32	  /* a keepalive: header and tag, no payload */
/* after the session expired, what we send must go unanswered this long: the rekey
 * handshake WireGuard starts then normally answers well within it */
#define SESSION_MARGIN_MS 5000
/* a CONNECTED peer whose traffic came in this recently keeps its endpoint, even when
 * a record says otherwise: the path demonstrably works (WireGuard roamed to it) */
#define ALIVE_MS 2500
/* a poke (see peer_on_record) holds the 1 s keepalive this long */
#define POKE_MS 3000

void peer_params_default(struct peer_params *p, int64_t refresh_ms, bool fast_punch)
{
	p->refresh_ms = refresh_ms;
	p->backoff_min_ms = 250;
	/* longer than WireGuard's own 10 s passive keepalive (a live peer that received
	 * data answers within it), plus a reading's worth of slack */
	p->quiet_ms = 12000;
	p->fast_punch = fast_punch;
	p->punch_delay_ms = 300;
	p->punch_max_ms = 60000;
	p->watch_ms = refresh_ms < 30000 ? refresh_ms : 30000;
}

void peer_init(struct peer_fsm *f, int64_t now, bool higher_key)
{
	memset(f, 0, sizeof(*f));
	f->state = PEER_WAITING;
	f->state_since = now;
	f->next_fetch = now;
	f->defer_punch = higher_key;
	f->endpoint.sa.sa_family = AF_UNSPEC;
	f->dev_endpoint.sa.sa_family = AF_UNSPEC;
	f->rx_moved_at = now;
}

static void enter(struct peer_fsm *f, enum peer_state s, int64_t now)
{
	if (f->state == s)
		return;
	f->state = s;
	f->state_since = now;
	if (s == PEER_CONNECTED)
		f->connects++;
}

/* The next fetch: fast (doubling) until connected, then the watch interval. */
static void schedule_fetch(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	if (f->state == PEER_CONNECTED) {
		f->backoff_ms = 0;
		f->next_fetch = now + p->watch_ms;
		return;
	}
	if (!f->backoff_ms)
		f->backoff_ms = p->backoff_min_ms;
	else if (f->backoff_ms < p->refresh_ms)
		f->backoff_ms = f->backoff_ms * 2 < p->refresh_ms ? f->backoff_ms * 2 : p->refresh_ms;
	f->next_fetch = now + f->backoff_ms;
}

static unsigned start_punch(struct peer_fsm *f, const struct peer_params *p)
{
	if (!p->fast_punch || f->fast_keepalive)
		return 0;
	if (f->defer_punch && p->punch_delay_ms > 0) {
		f->punch_due = true;
		return 0;
	}
	f->fast_keepalive = true;
	return PEER_ACT_KEEPALIVE_FAST;
}

static unsigned stop_punch(struct peer_fsm *f)
{
	f->punch_due = false;
	f->poke_until = 0;
	if (!f->fast_keepalive)
		return 0;
	f->fast_keepalive = false;
	return PEER_ACT_KEEPALIVE_RESTORE;
}

static unsigned on_endpoint(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			    int64_t now_unix, const union sm_addr *ep, int64_t ts)
{
	unsigned act = 0;
	bool changed = !addr_equal(ep, &f->endpoint), follow = true;

	f->fetching = false;
	if (changed && f->state == PEER_CONNECTED) {
		/* A connected peer whose device endpoint already is this one needs nothing.
		 * One whose traffic is arriving right now works where WireGuard roamed to:
		 * look again at the next read (not remembered, so a peer that did move is
		 * followed once its old path falls silent). A record no newer than our last
		 * handshake is old news against a session that works: remembered, not
		 * followed. Otherwise the peer moved: follow it. */
		if (addr_equal(ep, &f->dev_endpoint)) {
			f->endpoint = *ep;
			follow = false;
		} else if (now - f->rx_moved_at <= ALIVE_MS) {
			follow = false;
		} else if (ts && ts <= f->last_handshake) {
			f->endpoint = *ep;
			follow = false;
		}
	}
	if (changed && follow) {
		f->endpoint = *ep;
		act |= PEER_ACT_SET_ENDPOINT;
		f->endpoint_set_at = now;
		f->endpoint_set_unix = now_unix;
		enter(f, PEER_PUNCHING, now);
		f->backoff_ms = 0;
		act |= start_punch(f, p);
	} else if (!changed && f->state != PEER_CONNECTED && !addr_equal(ep, &f->dev_endpoint)) {
		/* the device lost it (interface recreated, someone ran wg set) */
		act |= PEER_ACT_SET_ENDPOINT;
		f->endpoint_set_at = now;
		f->endpoint_set_unix = now_unix;
		if (f->state == PEER_WAITING)
			enter(f, PEER_PUNCHING, now);
		act |= start_punch(f, p);
	}
	if (act & PEER_ACT_SET_ENDPOINT)
		f->dev_endpoint = *ep;
	schedule_fetch(f, p, now);
	return act;
}

unsigned peer_on_record(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const union sm_addr *ep, int64_t ts)
{
	unsigned act = on_endpoint(f, p, now, now_unix, ep, ts);

	/* The peer published again since our last handshake with it, and the endpoint did
	 * not change: it is probably trying to reach us and its packets die at our NAT
	 * (its mapping expired or was flushed while we were idle). A keepalive from us
	 * opens it again; WireGuard sends one as soon as the keepalive is set. */
	if (!act && f->state == PEER_CONNECTED && addr_equal(ep, &f->endpoint) &&
	    ts > f->last_handshake && ts > f->poked_ts && p->fast_punch) {
		f->poked_ts = ts;
		if (!f->fast_keepalive) {
			f->fast_keepalive = true;
			f->poke_until = now + POKE_MS;
			act |= PEER_ACT_KEEPALIVE_FAST;
		}
	}
	return act;
}

unsigned peer_on_endpoint(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			  int64_t now_unix, const union sm_addr *ep)
{
	return on_endpoint(f, p, now, now_unix, ep, 0);
}

void peer_on_fetch_failed(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	f->fetching = false;
	schedule_fetch(f, p, now);
}

unsigned peer_on_sample(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const struct wg_peer *wp)
{
	unsigned act = 0;
	bool new_handshake, session_live, session_live_margin;

	/* The device was reset under us (interface deleted and created again between two
	 * readings): counters went back, or the endpoint we set is gone. Start over with
	 * the endpoint we know. */
	/* (Not the handshake time going back: that also happens when the wall clock is
	 * stepped back, on routers without a real-time clock.) */
	if (f->sampled && f->state != PEER_WAITING &&
	    (wp->rx_bytes < f->rx || wp->tx_bytes < f->tx ||
	     (f->endpoint.sa.sa_family != AF_UNSPEC && wp->endpoint.sa.sa_family == AF_UNSPEC))) {
		bool was_fast = f->fast_keepalive;

		f->sampled = false;
		f->fast_keepalive = false;
		f->punch_due = false;
		f->dev_endpoint.sa.sa_family = AF_UNSPEC;
		f->rx = f->tx = 0;
		f->last_handshake = 0;
		if (f->endpoint.sa.sa_family != AF_UNSPEC) {
			enter(f, PEER_PUNCHING, now);
			f->endpoint_set_at = now;
			f->endpoint_set_unix = now_unix;
			f->dev_endpoint = f->endpoint;
			act |= PEER_ACT_SET_ENDPOINT | start_punch(f, p);
		} else {
			enter(f, PEER_WAITING, now);
		}
		f->backoff_ms = 0;
		if (!f->fetching)
			f->next_fetch = now;
		/* our own 1 s, still on a device that was not really recreated, is not the
		 * user's value */
		if (!(was_fast && wp->persistent_keepalive == 1))
			f->user_keepalive = wp->persistent_keepalive;
		f->rx_moved_at = now;
		f->unanswered_since = 0;
		f->unanswered_bytes = 0;
		f->tx_at_rx = wp->tx_bytes;
		f->rx = wp->rx_bytes;
		f->tx = wp->tx_bytes;
		f->last_handshake = wp->last_handshake_sec;
		f->sampled = true;
		return act;
	}
	/* A keepalive of exactly 1 s on the first reading is what a stunmesh that was
	 * killed while punching leaves behind: take it as ours, so it is given back as
	 * "off" once the peer is connected. (Who really wants a packet a second can set
	 * 2.) */
	if (!f->sampled && wp->persistent_keepalive == 1 && p->fast_punch && !f->fast_keepalive &&
	    !f->punch_due) {
		f->fast_keepalive = true;
		f->user_keepalive = 0;
		f->leftover_keepalive = true;
	}
	if (!f->fast_keepalive && !f->punch_due)
		f->user_keepalive = wp->persistent_keepalive;
	f->dev_endpoint = wp->endpoint;
	if (!f->sampled || wp->rx_bytes != f->rx) {
		if (!f->sampled || wp->rx_bytes > f->rx)
			f->rx_moved_at = now;
		f->tx_at_rx = wp->tx_bytes;
		f->unanswered_since = 0;
		f->unanswered_bytes = 0;
	} else if (wp->tx_bytes > f->tx && wp->tx_bytes - f->tx != KEEPALIVE_BYTES) {
		/* Something that wants an answer went out since the peer was last heard
		 * from: the clock for "no answer" starts at the first of it, not at the last
		 * rx (an idle tunnel is fine). A lone keepalive wants none, so one-sided
		 * persistent keepalives never make a path look dead. */
		if (!f->unanswered_since)
			f->unanswered_since = now;
		f->unanswered_bytes += wp->tx_bytes - f->tx;
	}
	new_handshake = wp->last_handshake_sec &&
			(f->sampled ? wp->last_handshake_sec > f->last_handshake
				    : now_unix - wp->last_handshake_sec < REJECT_AFTER_TIME_S);
	session_live = wp->last_handshake_sec &&
		       now_unix - wp->last_handshake_sec < REJECT_AFTER_TIME_S;
	session_live_margin = wp->last_handshake_sec &&
			      now_unix - wp->last_handshake_sec < REJECT_AFTER_TIME_S + SESSION_MARGIN_MS / 1000;
	f->rx = wp->rx_bytes;
	f->tx = wp->tx_bytes;
	f->last_handshake = wp->last_handshake_sec;
	f->sampled = true;

	switch (f->state) {
	case PEER_WAITING:
	case PEER_PUNCHING:
	case PEER_STALE:
		/* A new handshake, or (following a peer while a session is still live, when
		 * WireGuard keeps its keys and does not handshake again until the rekey)
		 * traffic from the endpoint we set. */
		if (new_handshake ||
		    (f->state == PEER_PUNCHING && session_live && f->rx_moved_at > f->endpoint_set_at &&
		     f->endpoint.sa.sa_family != AF_UNSPEC && addr_equal(&f->endpoint, &f->dev_endpoint)) ||
		    /* a stale path that carries traffic again */
		    (f->state == PEER_STALE && session_live && f->rx_moved_at > f->state_since)) {
			enter(f, PEER_CONNECTED, now);
			act |= stop_punch(f);
			schedule_fetch(f, p, now);
		}
		break;
	case PEER_CONNECTED:
		if (f->poke_until && now >= f->poke_until) {
			f->poke_until = 0;
			act |= stop_punch(f);
		}
		/* Unanswered: at least a handshake initiation's worth went out since the
		 * peer was last heard from (WireGuard retrying, or data with no reply), and
		 * no answer for longer than a live WireGuard ever takes. Or the session
		 * expired (with a margin) while we keep sending. */
		if ((f->unanswered_since && f->unanswered_bytes >= HANDSHAKE_INIT_BYTES &&
		     now - f->unanswered_since >= p->quiet_ms) ||
		    (!session_live_margin && f->unanswered_since &&
		     now - f->unanswered_since >= SESSION_MARGIN_MS)) {
			enter(f, PEER_STALE, now);
			act |= PEER_ACT_REDISCOVER;
			f->backoff_ms = 0;
			f->next_fetch = f->fetching ? f->next_fetch : now;
		}
		break;
	}
	return act;
}

unsigned peer_on_tick(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	unsigned act = 0;

	if (f->punch_due && now >= f->endpoint_set_at + p->punch_delay_ms) {
		f->punch_due = false;
		f->fast_keepalive = true;
		act |= PEER_ACT_KEEPALIVE_FAST;
	}
	if (f->fast_keepalive && f->state != PEER_CONNECTED &&
	    now >= f->endpoint_set_at + p->punch_max_ms)
		act |= stop_punch(f);
	return act;
}

int64_t peer_next_event(const struct peer_fsm *f, const struct peer_params *p)
{
	int64_t t = f->fetching ? INT64_MAX : f->next_fetch;

	if (f->punch_due && f->endpoint_set_at + p->punch_delay_ms < t)
		t = f->endpoint_set_at + p->punch_delay_ms;
	if (f->fast_keepalive && f->state != PEER_CONNECTED &&
	    f->endpoint_set_at + p->punch_max_ms < t)
		t = f->endpoint_set_at + p->punch_max_ms;
	return t;
}

bool peer_fetch_due(const struct peer_fsm *f, int64_t now)
{
	return !f->fetching && now >= f->next_fetch;
}

void peer_fetch_started(struct peer_fsm *f)
{
	f->fetching = true;
}

void peer_on_republished(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	(void)p;
	if (f->state == PEER_CONNECTED)
		return;
	f->backoff_ms = 0;
	if (!f->fetching)
		f->next_fetch = now;
}

const char *peer_state_name(enum peer_state s)
{
	static const char *names[] = { "waiting-for-record", "punching", "connected", "stale" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
