/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peer state machine (peer.h): transitions, fetch scheduling, keepalive control.
 * Path monitoring, which turns the device's counters into events, is in peer-monitor.c. */
#include "daemon/peer.h"

#include <string.h>

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
	f->higher_key = higher_key;
	f->fetch.next = now;
	f->mon.dev_endpoint.sa.sa_family = AF_UNSPEC;
	f->mon.rx_moved_at = now;
	f->n_paths = 1;
	f->active = 0;
	f->paths[0].kind = PEER_PATH_DIRECT;
	f->paths[0].remote.sa.sa_family = AF_UNSPEC;
	f->paths[0].state = PATH_NONE;
}

void peer_restart(struct peer_fsm *f, int64_t now, bool higher_key, bool keep_keepalive)
{
	bool held = peer_keepalive_held(f);
	uint16_t user = f->ka.user;

	peer_init(f, now, higher_key);
	/* A device we merely failed to read once still has our 1 s keepalive: remember
	 * the user's value, or "restore" would make the 1 s permanent. */
	if (keep_keepalive && held) {
		f->ka.mode = PEER_KA_FAST;
		f->ka.user = user;
	}
}

static struct peer_path *active_path(struct peer_fsm *f)
{
	return &f->paths[f->active];
}

const union sm_addr *peer_endpoint(const struct peer_fsm *f)
{
	return &f->paths[f->active].remote;
}

bool peer_keepalive_held(const struct peer_fsm *f)
{
	return f->ka.mode == PEER_KA_FAST || f->ka.mode == PEER_KA_POKE;
}

bool peer_wants_fast_samples(const struct peer_fsm *f)
{
	return f->ka.mode != PEER_KA_USER;
}

static void enter(struct peer_fsm *f, enum peer_state s, int64_t now)
{
	static const enum peer_path_state path_in[] = {
		[PEER_WAITING] = PATH_NONE,
		[PEER_PUNCHING] = PATH_TRYING,
		[PEER_CONNECTED] = PATH_UP,
		[PEER_STALE] = PATH_QUIET,
	};

	if (f->state == s)
		return;
	f->state = s;
	f->state_since = now;
	active_path(f)->state = path_in[s];
	if (s == PEER_CONNECTED)
		f->connects++;
}

/* ---- fetch scheduling ---------------------------------------------------------------- */

/* The next fetch: fast (doubling) until connected, then the watch interval. */
static void schedule_fetch(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	struct peer_fetch *ft = &f->fetch;

	if (f->state == PEER_CONNECTED) {
		ft->backoff_ms = 0;
		ft->next = now + p->watch_ms;
		return;
	}
	if (!ft->backoff_ms)
		ft->backoff_ms = p->backoff_min_ms;
	else if (ft->backoff_ms < p->refresh_ms)
		ft->backoff_ms = ft->backoff_ms * 2 < p->refresh_ms ? ft->backoff_ms * 2 : p->refresh_ms;
	ft->next = now + ft->backoff_ms;
}

/* Fetch now (unless one is in flight), with the backoff starting over. */
static void fetch_soon(struct peer_fsm *f, int64_t now)
{
	f->fetch.backoff_ms = 0;
	if (!f->fetch.in_flight)
		f->fetch.next = now;
}

bool peer_fetch_due(const struct peer_fsm *f, int64_t now)
{
	return !f->fetch.in_flight && now >= f->fetch.next;
}

void peer_fetch_started(struct peer_fsm *f)
{
	f->fetch.in_flight = true;
}

void peer_on_fetch_failed(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	f->fetch.in_flight = false;
	schedule_fetch(f, p, now);
}

void peer_on_refresh(struct peer_fsm *f, int64_t now)
{
	fetch_soon(f, now);
}

void peer_on_store_changed(struct peer_fsm *f, int64_t now)
{
	f->fetch.in_flight = false;
	f->fetch.next = now;
}

void peer_on_republished(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	(void)p;
	if (f->state == PEER_CONNECTED)
		return;
	fetch_soon(f, now);
}

/* ---- keepalive control ---------------------------------------------------------------- */

static unsigned start_punch(struct peer_fsm *f, const struct peer_params *p)
{
	if (!p->fast_punch)
		return 0;
	if (peer_keepalive_held(f)) {
		f->ka.mode = PEER_KA_FAST; /* a poke in progress now serves the punch */
		return 0;
	}
	if (f->higher_key && p->punch_delay_ms > 0) {
		f->ka.mode = PEER_KA_DEFERRED;
		return 0;
	}
	f->ka.mode = PEER_KA_FAST;
	return PEER_ACT_KEEPALIVE_FAST;
}

static unsigned stop_punch(struct peer_fsm *f)
{
	bool held = peer_keepalive_held(f);

	f->ka.mode = PEER_KA_USER;
	f->ka.until = 0;
	return held ? PEER_ACT_KEEPALIVE_RESTORE : 0;
}

unsigned peer_on_release(struct peer_fsm *f)
{
	return stop_punch(f);
}

/* ---- records --------------------------------------------------------------------------- */

static void path_set(struct peer_path *pa, int64_t now, int64_t now_unix)
{
	pa->set_at = now;
	pa->set_unix = now_unix;
	pa->state = PATH_TRYING;
}

static unsigned on_endpoint(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			    int64_t now_unix, const union sm_addr *ep, int64_t ts)
{
	struct peer_path *pa = active_path(f);
	unsigned act = 0;
	bool changed = !addr_equal(ep, &pa->remote), follow = true;

	f->fetch.in_flight = false;
	if (changed && f->state == PEER_CONNECTED) {
		/* A connected peer whose device endpoint already is this one needs nothing.
		 * One whose traffic is arriving right now works where WireGuard roamed to:
		 * look again at the next read (not remembered, so a peer that did move is
		 * followed once its old path falls silent). A record no newer than our last
		 * handshake is old news against a session that works: remembered, not
		 * followed. Otherwise the peer moved: follow it. */
		if (addr_equal(ep, &f->mon.dev_endpoint)) {
			pa->remote = *ep;
			follow = false;
		} else if (now - f->mon.rx_moved_at <= ALIVE_MS) {
			follow = false;
		} else if (ts && ts <= f->mon.last_handshake) {
			pa->remote = *ep;
			follow = false;
		}
	}
	if (changed && follow) {
		pa->remote = *ep;
		act |= PEER_ACT_SET_ENDPOINT;
		path_set(pa, now, now_unix);
		enter(f, PEER_PUNCHING, now);
		f->fetch.backoff_ms = 0;
		act |= start_punch(f, p);
	} else if (!changed && f->state != PEER_CONNECTED && !addr_equal(ep, &f->mon.dev_endpoint)) {
		/* the device lost it (interface recreated, someone ran wg set) */
		act |= PEER_ACT_SET_ENDPOINT;
		path_set(pa, now, now_unix);
		if (f->state == PEER_WAITING)
			enter(f, PEER_PUNCHING, now);
		act |= start_punch(f, p);
	}
	if (act & PEER_ACT_SET_ENDPOINT)
		f->mon.dev_endpoint = *ep;
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
	if (!act && f->state == PEER_CONNECTED && addr_equal(ep, peer_endpoint(f)) &&
	    ts > f->mon.last_handshake && ts > f->ka.poked_ts && p->fast_punch) {
		f->ka.poked_ts = ts;
		if (!peer_keepalive_held(f)) {
			f->ka.mode = PEER_KA_POKE;
			f->ka.until = now + POKE_MS;
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

/* ---- device readings ------------------------------------------------------------------- */

/* The device was reset: start over with the endpoint we know. */
static unsigned on_reset(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			 int64_t now_unix, const struct wg_peer *wp)
{
	struct peer_path *pa = active_path(f);
	bool was_held = peer_keepalive_held(f);
	unsigned act = 0;

	f->ka.mode = PEER_KA_USER;
	f->ka.until = 0;
	if (pa->remote.sa.sa_family != AF_UNSPEC) {
		enter(f, PEER_PUNCHING, now);
		path_set(pa, now, now_unix);
		f->mon.dev_endpoint = pa->remote;
		act |= PEER_ACT_SET_ENDPOINT | start_punch(f, p);
	} else {
		enter(f, PEER_WAITING, now);
	}
	fetch_soon(f, now);
	/* our own 1 s, still on a device that was not really recreated, is not the user's
	 * value */
	if (!(was_held && wp->persistent_keepalive == 1))
		f->ka.user = wp->persistent_keepalive;
	return act;
}

/* Not yet connected (or stale): what proves the path works now. */
static bool connected_now(const struct peer_fsm *f, unsigned ev)
{
	const struct peer_path *pa = &f->paths[f->active];
	bool session = ev & PATH_EV_SESSION;

	if (ev & PATH_EV_HANDSHAKE)
		return true;
	/* following a peer while a session is still live (WireGuard keeps its keys and
	 * does not handshake again until the rekey): traffic from the endpoint we set */
	if (f->state == PEER_PUNCHING && session && f->mon.rx_moved_at > pa->set_at &&
	    pa->remote.sa.sa_family != AF_UNSPEC && addr_equal(&pa->remote, &f->mon.dev_endpoint))
		return true;
	/* a stale path that carries traffic again */
	return f->state == PEER_STALE && session && f->mon.rx_moved_at > f->state_since;
}

unsigned peer_on_sample(struct peer_fsm *f, const struct peer_params *p, int64_t now,
			int64_t now_unix, const struct wg_peer *wp)
{
	bool first = !f->mon.sampled;
	unsigned act = 0, ev;

	ev = peer_monitor_sample(&f->mon, p, now, now_unix, wp, f->state != PEER_WAITING,
				 peer_endpoint(f)->sa.sa_family != AF_UNSPEC);
	if (ev & PATH_EV_RESET)
		return on_reset(f, p, now, now_unix, wp);
	/* A keepalive of exactly 1 s on the first reading is what a stunmesh that was
	 * killed while punching leaves behind: take it as ours, so it is given back as
	 * "off" once the peer is connected. (Who really wants a packet a second can set
	 * 2.) */
	if (first && wp->persistent_keepalive == 1 && p->fast_punch && f->ka.mode == PEER_KA_USER) {
		f->ka.mode = PEER_KA_FAST;
		f->ka.user = 0;
		act |= PEER_ACT_NOTE_LEFTOVER;
	}
	if (f->ka.mode == PEER_KA_USER)
		f->ka.user = wp->persistent_keepalive;

	switch (f->state) {
	case PEER_WAITING:
	case PEER_PUNCHING:
	case PEER_STALE:
		if (connected_now(f, ev)) {
			enter(f, PEER_CONNECTED, now);
			act |= stop_punch(f);
			schedule_fetch(f, p, now);
		}
		break;
	case PEER_CONNECTED:
		if (f->ka.mode == PEER_KA_POKE && now >= f->ka.until)
			act |= stop_punch(f);
		if (ev & PATH_EV_QUIET) {
			enter(f, PEER_STALE, now);
			act |= PEER_ACT_REDISCOVER;
			fetch_soon(f, now);
		}
		break;
	}
	return act;
}

unsigned peer_on_tick(struct peer_fsm *f, const struct peer_params *p, int64_t now)
{
	const struct peer_path *pa = active_path(f);
	unsigned act = 0;

	if (f->ka.mode == PEER_KA_DEFERRED && now >= pa->set_at + p->punch_delay_ms) {
		f->ka.mode = PEER_KA_FAST;
		act |= PEER_ACT_KEEPALIVE_FAST;
	}
	if (peer_keepalive_held(f) && f->state != PEER_CONNECTED && now >= pa->set_at + p->punch_max_ms)
		act |= stop_punch(f);
	return act;
}

int64_t peer_next_event(const struct peer_fsm *f, const struct peer_params *p)
{
	const struct peer_path *pa = &f->paths[f->active];
	int64_t t = f->fetch.in_flight ? INT64_MAX : f->fetch.next;

	if (f->ka.mode == PEER_KA_DEFERRED && pa->set_at + p->punch_delay_ms < t)
		t = pa->set_at + p->punch_delay_ms;
	if (peer_keepalive_held(f) && f->state != PEER_CONNECTED && pa->set_at + p->punch_max_ms < t)
		t = pa->set_at + p->punch_max_ms;
	return t;
}

const char *peer_state_name(enum peer_state s)
{
	static const char *names[] = { "waiting-for-record", "punching", "connected", "stale" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
