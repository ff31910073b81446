/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peer state machine on a fake clock: every transition and the actions it asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "daemon/peer.h"

#define T0 1000000		/* monotonic ms */
#define U0 1760000000		/* unix s at T0 */
#define REFRESH 600000

struct clock {
	int64_t ms;
};

static int64_t unix_at(const struct clock *c)
{
	return U0 + (c->ms - T0) / 1000;
}

static union sm_addr ep(const char *ip, uint16_t port)
{
	union sm_addr a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.in.sin_addr);
	return a;
}

static struct wg_peer sample(const union sm_addr *e, int64_t hs, uint64_t rx, uint64_t tx,
			     uint16_t ka)
{
	struct wg_peer w;

	memset(&w, 0, sizeof(w));
	if (e)
		w.endpoint = *e;
	else
		w.endpoint.sa.sa_family = AF_UNSPEC;
	w.last_handshake_sec = hs;
	w.rx_bytes = rx;
	w.tx_bytes = tx;
	w.persistent_keepalive = ka;
	return w;
}

static void setup(struct peer_fsm *f, struct peer_params *p, struct clock *c, bool higher)
{
	c->ms = T0;
	peer_params_default(p, REFRESH, true);
	peer_init(f, c->ms, higher);
}

static void test_waiting_backoff(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	int64_t expect = 250;

	(void)state;
	setup(&f, &p, &c, false);
	assert_int_equal(f.state, PEER_WAITING);
	assert_string_equal(peer_state_name(f.state), "waiting-for-record");
	assert_true(peer_fetch_due(&f, c.ms));
	peer_fetch_started(&f);
	assert_false(peer_fetch_due(&f, c.ms + 1000000)); /* one fetch at a time */
	/* 250 ms doubling up to the refresh interval */
	for (int i = 0; i < 20; i++) {
		peer_on_fetch_failed(&f, &p, c.ms);
		assert_int_equal(f.fetch.next - c.ms, expect);
		assert_int_equal(peer_next_event(&f, &p), f.fetch.next);
		c.ms = f.fetch.next;
		peer_fetch_started(&f);
		expect = expect * 2 > REFRESH ? REFRESH : expect * 2;
	}
	assert_int_equal(f.fetch.backoff_ms, REFRESH);
	assert_int_equal(f.state, PEER_WAITING);
}

static void test_endpoint_punch_connect(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.7", 40000);
	struct wg_peer w;
	unsigned act;

	(void)state;
	setup(&f, &p, &c, false);
	/* the device has the user's keepalive 25 s and no endpoint */
	w = sample(NULL, 0, 0, 0, 25);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	assert_int_equal(f.ka.user, 25);

	peer_fetch_started(&f);
	c.ms += 40;
	act = peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	assert_int_equal(act, PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.state, PEER_PUNCHING);
	assert_int_equal(f.ka.mode, PEER_KA_FAST);
	assert_int_equal(f.fetch.next - c.ms, 250); /* still fetching fast */

	/* while punching, the device shows our 1 s: not taken as the user's value */
	c.ms += 500;
	w = sample(&e, 0, 0, 148, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	assert_int_equal(f.ka.user, 25);
	assert_int_equal(f.state, PEER_PUNCHING);

	/* a handshake: connected, keepalive restored, fetches slow down to the watch */
	c.ms += 500;
	w = sample(&e, unix_at(&c), 92, 148 + 32, 1);
	act = peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(act, PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_CONNECTED);
	assert_string_equal(peer_state_name(f.state), "connected");
	assert_int_equal(f.connects, 1);
	assert_false(peer_keepalive_held(&f));
	assert_int_equal(f.fetch.next - c.ms, p.watch_ms);

	/* the same record read again changes nothing */
	peer_fetch_started(&f);
	c.ms += p.watch_ms;
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
}

static void test_higher_key_defers_punch(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.8", 51820);
	unsigned act;

	(void)state;
	setup(&f, &p, &c, true);
	peer_fetch_started(&f);
	act = peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	assert_int_equal(act, PEER_ACT_SET_ENDPOINT); /* not yet the keepalive */
	assert_int_equal(f.ka.mode, PEER_KA_DEFERRED);
	assert_int_equal(peer_next_event(&f, &p), c.ms + 250); /* the next fetch comes first */
	peer_fetch_started(&f);
	assert_int_equal(peer_next_event(&f, &p), c.ms + p.punch_delay_ms);
	assert_int_equal(peer_on_tick(&f, &p, c.ms + p.punch_delay_ms - 1), 0);
	c.ms += p.punch_delay_ms;
	assert_int_equal(peer_on_tick(&f, &p, c.ms), PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.ka.mode, PEER_KA_FAST);
	assert_int_not_equal(f.ka.mode, PEER_KA_DEFERRED);
}

static void test_punch_gives_up_keepalive(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.9", 1234);

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_true(peer_next_event(&f, &p) <= c.ms + p.punch_max_ms);
	assert_int_equal(peer_on_tick(&f, &p, c.ms + p.punch_max_ms - 1), 0);
	c.ms += p.punch_max_ms;
	assert_int_equal(peer_on_tick(&f, &p, c.ms), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_PUNCHING);
	/* a changed endpoint punches again */
	e = ep("203.0.113.9", 1235);
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
}

/* Connected, then our NAT (or theirs) moves: tx keeps growing, rx stops. */
static void test_connected_goes_stale_and_heals(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.10", 40000), e2 = ep("203.0.113.110", 40001);
	struct wg_peer w;
	uint64_t rx = 1000, tx = 1000;
	unsigned act;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	w = sample(&e, unix_at(&c), rx, tx, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_CONNECTED);

	/* traffic both ways: stays connected */
	for (int i = 0; i < 30; i++) {
		c.ms += 1000;
		rx += 100, tx += 100;
		w = sample(&e, f.mon.last_handshake, rx, tx, 25);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	}
	assert_int_equal(f.state, PEER_CONNECTED);
	/* one-sided keepalives alone are no sign of a dead path */
	for (int i = 0; i < 120; i++) {
		c.ms += 1000;
		tx += 32;
		w = sample(&e, f.mon.last_handshake, rx, tx, 25);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	}
	assert_int_equal(f.state, PEER_CONNECTED);
	rx += 32; /* the peer's keepalive */
	w = sample(&e, f.mon.last_handshake, rx, tx, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	/* now data goes out and nothing comes back (then WireGuard's handshake retries):
	 * the clock starts at the first unanswered sample */
	for (int i = 0; i < p.quiet_ms / 1000; i++) {
		c.ms += 1000;
		tx += 100;
		w = sample(&e, f.mon.last_handshake, rx, tx, 25);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
		assert_int_equal(f.state, PEER_CONNECTED);
	}
	c.ms += 1000;
	tx += 148;
	w = sample(&e, f.mon.last_handshake, rx, tx, 25);
	act = peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(act, PEER_ACT_REDISCOVER);
	assert_int_equal(f.state, PEER_STALE);
	assert_true(peer_fetch_due(&f, c.ms));

	/* the peer's new endpoint arrives: punch it */
	peer_fetch_started(&f);
	c.ms += 300;
	act = peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e2);
	assert_int_equal(act, PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.state, PEER_PUNCHING);
	c.ms += 1000;
	w = sample(&e2, unix_at(&c), rx + 92, tx + 148, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_CONNECTED);
	assert_int_equal(f.connects, 2);
	assert_int_equal(f.ka.user, 25);
}

/* An idle tunnel (nothing sent, no keepalive) is not a dead one. */
static void test_idle_is_not_stale(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.11", 40000);
	struct wg_peer w;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	w = sample(&e, unix_at(&c), 92, 148, 1);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(f.state, PEER_CONNECTED);
	for (int i = 0; i < 600; i++) {
		c.ms += 1000;
		w = sample(&e, f.mon.last_handshake, 92, 148, 0);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	}
	assert_int_equal(f.state, PEER_CONNECTED);
	/* but sending into an expired session, unanswered for a while, is */
	c.ms += 1000;
	w = sample(&e, f.mon.last_handshake, 92, 148 + 64, 0);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	for (int i = 0; i < 4; i++) {
		c.ms += 1000;
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	}
	c.ms += 1000;
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_REDISCOVER);
	assert_int_equal(f.state, PEER_STALE);
}

/* Idle, then one big packet: the answer takes a moment, which is not a dead path. */
static void test_idle_then_send(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.16", 40000);
	struct wg_peer w;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	hs = unix_at(&c);
	w = sample(&e, hs, 92, 148, 1);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	for (int i = 0; i < 60; i++) {
		c.ms += 1000;
		w = sample(&e, hs, 92, 148, 0);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	}
	c.ms += 1000;
	w = sample(&e, hs, 92, 148 + 1500, 0);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	c.ms += 1000;
	w = sample(&e, hs, 92 + 1500, 148 + 1500, 0);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
	assert_int_equal(f.mon.unanswered_since, 0);
}

/* WireGuard roamed to where the peer really is; an old record must not pull it back,
 * and the peer connecting to us before we read its record counts as connected. */
static void test_roaming_and_inbound(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr rec = ep("203.0.113.12", 40000), roamed = ep("203.0.113.112", 40000),
			  moved = ep("203.0.113.113", 40001);
	struct wg_peer w;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	/* inbound: the device already has a handshake with a roamed endpoint */
	hs = unix_at(&c);
	w = sample(&roamed, hs, 92, 92, 0);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
	/* a record pointing elsewhere while traffic is arriving: keep what works */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &rec), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
	/* the peer goes quiet, then publishes a new endpoint: follow it */
	c.ms += 5000;
	w = sample(&roamed, hs, 92, 92, 0);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &moved),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.state, PEER_PUNCHING);
	/* the session is still live, so WireGuard does not handshake again: traffic from
	 * the endpoint we set is the evidence */
	c.ms += 1000;
	w = sample(&moved, hs, 300, 300, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_CONNECTED);
	/* then WireGuard roams; the same record again leaves the device alone */
	c.ms += 1000;
	w = sample(&roamed, hs, 400, 400, 0);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &moved), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
}

/* The interface was recreated: the device has no endpoint any more. */
static void test_device_lost_endpoint(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.13", 40000);
	struct wg_peer w;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	c.ms += p.punch_max_ms;
	peer_on_tick(&f, &p, c.ms); /* gave up the fast keepalive */
	w = sample(NULL, 0, 0, 0, 0);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
}

/* The interface was deleted and created again between two readings: same key and
 * port, but the device forgot the endpoint and its counters restarted. */
static void test_device_reset_between_samples(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.15", 40000);
	struct wg_peer w;
	unsigned act;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	c.ms += 500;
	w = sample(&e, unix_at(&c), 500, 700, 1);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(f.state, PEER_CONNECTED);
	c.ms += 1000;
	w = sample(NULL, 0, 0, 0, 0);
	act = peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(act, PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.state, PEER_PUNCHING);
	/* and the next handshake on the new device connects it again */
	c.ms += 1000;
	w = sample(&e, unix_at(&c), 92, 148, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.state, PEER_CONNECTED);
	/* counters going backwards alone are a reset too */
	c.ms += 1000;
	w = sample(&e, f.mon.last_handshake, 10, 10, 0);
	assert_true(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w) & PEER_ACT_SET_ENDPOINT);
}

/* Stale, and nothing comes back: it stays stale (no flapping); traffic again, connected. */
static void test_stale_stays_until_traffic(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.17", 40000);
	struct wg_peer w;
	uint64_t rx = 500, tx = 500;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	hs = unix_at(&c);
	w = sample(&e, hs, rx, tx, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	for (int i = 0; i < 20 && f.state == PEER_CONNECTED; i++) {
		c.ms += 1000;
		tx += 200;
		w = sample(&e, hs, rx, tx, 25);
		peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	}
	assert_int_equal(f.state, PEER_STALE);
	for (int i = 0; i < 10; i++) {
		c.ms += 1000;
		tx += 32;
		w = sample(&e, hs, rx, tx, 25);
		assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
		assert_int_equal(f.state, PEER_STALE);
	}
	c.ms += 1000;
	w = sample(&e, hs, rx + 32, tx, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(f.state, PEER_CONNECTED);
}

/* Connected and idle; the peer publishes again (its packets die at our NAT): a short
 * keepalive burst from us, once per record, then the user's value back. */
static void test_newer_record_pokes(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.18", 40000);
	struct wg_peer w;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	assert_true(peer_on_record(&f, &p, c.ms, unix_at(&c), &e, unix_at(&c)) &
		    PEER_ACT_SET_ENDPOINT);
	hs = unix_at(&c);
	w = sample(&e, hs, 92, 148, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	c.ms += 60000;
	w = sample(&e, hs, 92, 148, 0);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	/* a record as old as the handshake: nothing */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms, unix_at(&c), &e, hs), 0);
	/* a newer one: poke */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms, unix_at(&c), &e, unix_at(&c)),
			 PEER_ACT_KEEPALIVE_FAST);
	c.ms += 1000;
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), 0);
	c.ms += 2500;
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w), PEER_ACT_KEEPALIVE_RESTORE);
	/* the same record again: no second burst */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms, unix_at(&c), &e, unix_at(&c) - 3), 0);
	assert_int_equal(f.state, PEER_CONNECTED);
}

/* The peer's NAT moves while our side still sees its last packets: the first read of the
 * new record is too early to judge, the next one (its old path silent) follows it. A
 * record older than the last handshake never overrides a working session. */
static void test_moved_peer_followed_after_silence(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.20", 40000), e2 = ep("203.0.113.120", 40000),
			  old = ep("203.0.113.99", 40000);
	struct wg_peer w;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	peer_on_record(&f, &p, c.ms, unix_at(&c), &e, unix_at(&c));
	hs = unix_at(&c);
	w = sample(&e, hs, 100, 100, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(f.state, PEER_CONNECTED);
	c.ms += 5000;
	w = sample(&e, hs, 200, 200, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	/* an old record with another endpoint: remembered, not followed */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms + 3000, unix_at(&c), &old, hs - 10), 0);
	/* the peer moves; its record arrives a moment after its last packet */
	c.ms += 1000;
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms, unix_at(&c), &e2, unix_at(&c)), 0);
	/* two seconds later, nothing came in since: follow */
	c.ms += 2000;
	w = sample(&e, hs, 200, 300, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	c.ms += 1000;
	peer_fetch_started(&f);
	assert_int_equal(peer_on_record(&f, &p, c.ms, unix_at(&c), &e2, unix_at(&c) - 3),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(f.state, PEER_PUNCHING);
}

/* A stunmesh killed while punching left 1 s on the device: it is given back as off. */
static void test_leftover_keepalive(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.19", 40000);
	struct wg_peer w;

	(void)state;
	setup(&f, &p, &c, false);
	w = sample(&e, unix_at(&c), 92, 148, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w),
			 PEER_ACT_KEEPALIVE_RESTORE | PEER_ACT_NOTE_LEFTOVER);
	assert_int_equal(f.ka.user, 0);
	assert_int_equal(f.state, PEER_CONNECTED);
}

static void test_republished_fetches_now(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	for (int i = 0; i < 10; i++)
		peer_on_fetch_failed(&f, &p, c.ms);
	assert_true(f.fetch.next > c.ms + 60000);
	peer_on_republished(&f, &p, c.ms);
	assert_true(peer_fetch_due(&f, c.ms));
	assert_int_equal(f.fetch.backoff_ms, 0);
}

static void test_no_fast_punch(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.14", 40000);

	(void)state;
	setup(&f, &p, &c, false);
	p.fast_punch = false;
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e), PEER_ACT_SET_ENDPOINT);
	assert_false(peer_keepalive_held(&f));
	assert_int_equal(peer_on_tick(&f, &p, c.ms + 3600000), 0);
}

/* refresh, a new store, release: events, not field writes. */
static void test_refresh_store_release_events(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.31", 40000);

	(void)state;
	setup(&f, &p, &c, false);
	peer_fetch_started(&f);
	for (int i = 0; i < 6; i++)
		peer_on_fetch_failed(&f, &p, c.ms);
	assert_true(f.fetch.next > c.ms + 5000);
	/* refresh: the backoff starts over and a fetch is due now */
	peer_on_refresh(&f, c.ms);
	assert_true(peer_fetch_due(&f, c.ms));
	assert_int_equal(f.fetch.backoff_ms, 0);
	peer_on_fetch_failed(&f, &p, c.ms);
	assert_int_equal(f.fetch.next - c.ms, 250);
	/* with a fetch in flight, refresh does not start a second one */
	peer_fetch_started(&f);
	peer_on_refresh(&f, c.ms + 100);
	assert_false(peer_fetch_due(&f, c.ms + 100000));
	/* a new store: the fetch in flight on the old one is forgotten, read now */
	peer_on_store_changed(&f, c.ms + 100);
	assert_true(peer_fetch_due(&f, c.ms + 100));
	assert_int_equal(peer_next_event(&f, &p), c.ms + 100);
	/* release while punching: the keepalive goes back, once */
	peer_fetch_started(&f);
	assert_int_equal(peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e),
			 PEER_ACT_SET_ENDPOINT | PEER_ACT_KEEPALIVE_FAST);
	assert_int_equal(peer_on_release(&f), PEER_ACT_KEEPALIVE_RESTORE);
	assert_int_equal(f.ka.mode, PEER_KA_USER);
	assert_int_equal(peer_on_release(&f), 0);
	/* release with a deferred punch: nothing was set, nothing to give back */
	setup(&f, &p, &c, true);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	assert_int_equal(f.ka.mode, PEER_KA_DEFERRED);
	assert_true(peer_wants_fast_samples(&f));
	assert_int_equal(peer_on_release(&f), 0);
	assert_false(peer_wants_fast_samples(&f));
}

/* The device read afresh: on the same device our 1 s stays ours (and the user's value
 * remembered); on another one it does not. */
static void test_restart_keeps_our_keepalive(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.32", 40000);
	struct wg_peer w;

	(void)state;
	setup(&f, &p, &c, false);
	w = sample(NULL, 0, 0, 0, 25);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	assert_int_equal(f.ka.mode, PEER_KA_FAST);
	peer_restart(&f, c.ms, false, true);
	assert_int_equal(f.state, PEER_WAITING);
	assert_int_equal(f.ka.mode, PEER_KA_FAST);
	assert_int_equal(f.ka.user, 25);
	/* the device shows our 1 s: still not taken as the user's */
	w = sample(NULL, 0, 0, 0, 1);
	assert_int_equal(peer_on_sample(&f, &p, c.ms, unix_at(&c), &w) & PEER_ACT_NOTE_LEFTOVER, 0);
	assert_int_equal(f.ka.user, 25);
	assert_int_equal(peer_on_release(&f), PEER_ACT_KEEPALIVE_RESTORE);
	/* another device: start clean */
	peer_fetch_started(&f);
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	peer_restart(&f, c.ms, false, false);
	assert_int_equal(f.ka.mode, PEER_KA_USER);
	assert_int_equal(f.ka.user, 0);
}

/* The direct path follows the state: trying when set, up when connected, quiet when
 * stale, and its remote is the endpoint the state machine sets. */
static void test_path_states(void **state)
{
	struct peer_fsm f;
	struct peer_params p;
	struct clock c;
	union sm_addr e = ep("203.0.113.33", 40000);
	struct wg_peer w;
	int64_t hs;

	(void)state;
	setup(&f, &p, &c, false);
	assert_int_equal(f.n_paths, 1);
	assert_int_equal(f.paths[0].kind, PEER_PATH_DIRECT);
	assert_string_equal(peer_path_kind_name(f.paths[0].kind), "direct");
	assert_int_equal(f.paths[0].state, PATH_NONE);
	peer_fetch_started(&f);
	c.ms += 10;
	peer_on_endpoint(&f, &p, c.ms, unix_at(&c), &e);
	assert_int_equal(f.paths[0].state, PATH_TRYING);
	assert_true(addr_equal(peer_endpoint(&f), &e));
	assert_int_equal(f.paths[0].set_at, c.ms);
	c.ms += 1000;
	hs = unix_at(&c);
	w = sample(&e, hs, 92, 148, 1);
	peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	assert_int_equal(f.paths[0].state, PATH_UP);
	assert_string_equal(peer_path_state_name(f.paths[0].state), "up");
	for (int i = 0; i < 20 && f.state == PEER_CONNECTED; i++) {
		c.ms += 1000;
		w.tx_bytes += 200;
		peer_on_sample(&f, &p, c.ms, unix_at(&c), &w);
	}
	assert_int_equal(f.state, PEER_STALE);
	assert_int_equal(f.paths[0].state, PATH_QUIET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waiting_backoff),
		cmocka_unit_test(test_endpoint_punch_connect),
		cmocka_unit_test(test_higher_key_defers_punch),
		cmocka_unit_test(test_punch_gives_up_keepalive),
		cmocka_unit_test(test_connected_goes_stale_and_heals),
		cmocka_unit_test(test_idle_is_not_stale),
		cmocka_unit_test(test_idle_then_send),
		cmocka_unit_test(test_roaming_and_inbound),
		cmocka_unit_test(test_device_lost_endpoint),
		cmocka_unit_test(test_device_reset_between_samples),
		cmocka_unit_test(test_stale_stays_until_traffic),
		cmocka_unit_test(test_newer_record_pokes),
		cmocka_unit_test(test_leftover_keepalive),
		cmocka_unit_test(test_moved_peer_followed_after_silence),
		cmocka_unit_test(test_republished_fetches_now),
		cmocka_unit_test(test_no_fast_punch),
		cmocka_unit_test(test_refresh_store_release_events),
		cmocka_unit_test(test_restart_keeps_our_keepalive),
		cmocka_unit_test(test_path_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
