/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine end to end on a fake clock (fake_site.h): two or three sites behind
 * port-restricted NATs, fake WireGuard devices, fake STUN servers and a memory store.
 * Connecting, going stale and healing, an interface created again, a failing store,
 * --oneshot and stopping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_site.h"
#include "proto/record.h"

struct bench {
	struct fake_world w;
	struct fake_dev *a, *b, *c;
	struct fake_site sa, sb, sc;
};

static int setup(void **state)
{
	struct bench *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	world_init(&t->w);
	t->a = fake_net_add_dev(&t->w.net, "wgA", 51820, "203.0.113.11:40001");
	t->b = fake_net_add_dev(&t->w.net, "wgB", 51821, "203.0.113.12:40002");
	site_init(&t->sa, &t->w, t->a, "a");
	site_init(&t->sb, &t->w, t->b, "b");
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct bench *t = *state;

	site_stop(&t->sa);
	site_stop(&t->sb);
	site_stop(&t->sc);
	world_free(&t->w);
	free(t);
	return 0;
}

/* a and b know each other, both on the memory store */
static void pair(struct bench *t, int ka_a, int ka_b)
{
	fake_net_link(t->a, ka_a, t->b, ka_b);
	site_write_std(&t->sa, &t->b, NULL, 1, NULL);
	site_write_std(&t->sb, &t->a, NULL, 1, NULL);
}

static bool both_connected(void *arg)
{
	struct bench *t = arg;

	return site_connected(&t->sa, "wgB") && site_connected(&t->sb, "wgA");
}

static void start_pair(struct bench *t, const struct engine_opts *oa)
{
	assert_int_equal(site_start(&t->sa, oa), 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
}

/* Both sides' records -> endpoint set -> handshake seen -> connected, and the user's
 * keepalive given back. */
static void test_connect(void **state)
{
	struct bench *t = *state;
	struct fake_peer *ab, *ba;
	char key[RECORD_KEY_HEX_LEN + 1], buf[64];

	pair(t, 25, 0);
	start_pair(t, NULL);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	ab = fake_peer_of(t->a, t->b);
	ba = fake_peer_of(t->b, t->a);
	/* each side set the other's public address, and WireGuard shook hands on it */
	assert_true(addr_equal(&ab->endpoint, &t->b->public_addr));
	assert_true(addr_equal(&ba->endpoint, &t->a->public_addr));
	assert_true(fake_net_path_open(&t->w.net, t->a, t->b));
	assert_true(t->w.net.handshakes >= 1);
	assert_true(ab->last_handshake > 0);
	/* both records are in the store, under stunmesh-go's keys */
	record_write_key(t->a->pub, t->b->pub, key);
	assert_non_null(fake_stores_get(&t->w.stores, key));
	record_write_key(t->b->pub, t->a->pub, key);
	assert_non_null(fake_stores_get(&t->w.stores, key));
	assert_string_equal(site_peer_str(&t->sa, "wgB", "fetch", buf, sizeof(buf)), "ok");
	assert_string_equal(site_peer_str(&t->sa, "wgB", "publish", buf, sizeof(buf)), "ok");
	/* punched with 1 s (0 first, so WireGuard sends at once), then the user's value */
	world_run(&t->w, 2000);
	assert_int_equal(ab->keepalive, 25);
	assert_int_equal(ba->keepalive, 0);
	assert_true(ab->n_ka >= 3);
	assert_int_equal(ab->ka_history[0], 0);
	assert_int_equal(ab->ka_history[1], 1);
	assert_int_equal(ab->ka_history[ab->n_ka - 1], 25);
	assert_int_equal(ba->ka_history[ba->n_ka - 1], 0);
	/* and a connected, idle pair is left alone */
	{
		unsigned sets = t->a->sets, hs = t->w.net.handshakes;

		world_run(&t->w, 50000);
		assert_int_equal(t->a->sets, sets);
		assert_int_equal(t->w.net.handshakes, hs);
		assert_true(both_connected(t));
	}
}

struct watch_state {
	struct fake_site *s;
	const char *peer, *state;
	bool seen;
};

static bool state_seen(void *arg)
{
	struct watch_state *ws = arg;
	char buf[64];

	if (!strcmp(site_peer_str(ws->s, ws->peer, "state", buf, sizeof(buf)), ws->state))
		ws->seen = true;
	return ws->seen;
}

static bool path_open(void *arg)
{
	struct bench *t = arg;

	return fake_net_path_open(&t->w.net, t->a, t->b) && both_connected(t);
}

/* Our own NAT moves while we send: the traffic goes unanswered, the peer goes stale, we
 * re-discover (periodic discovery is off here, so only that finds the new address),
 * republish and read the peer's record fast; the peer follows our new record. */
static void test_stale_rediscovers(void **state)
{
	struct bench *t = *state;
	struct engine_opts oa = { .stun_ms = 3600000 };
	struct watch_state ws = { &t->sa, "wgB", "stale", false };
	char key[RECORD_KEY_HEX_LEN + 1], theirs[RECORD_KEY_HEX_LEN + 1], *before;
	unsigned stun_before, reads_before;

	pair(t, 0, 0);
	start_pair(t, &oa);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	fake_peer_of(t->a, t->b)->traffic = true;
	world_run(&t->w, 5000);
	assert_true(both_connected(t));
	record_write_key(t->a->pub, t->b->pub, key);
	before = strdup(fake_stores_get(&t->w.stores, key));
	stun_before = t->a->stun_requests;

	fake_net_move(t->a, "203.0.113.111:40011");
	/* not before quiet_ms (12 s) of unanswered traffic */
	world_run(&t->w, 10000);
	assert_true(site_connected(&t->sa, "wgB"));
	assert_int_equal(t->a->stun_requests, stun_before);
	record_read_key(t->a->pub, t->b->pub, theirs);
	reads_before = fake_stores_reads(&t->w.stores, theirs);
	assert_true(world_run_until(&t->w, 10000, state_seen, &ws));
	/* re-discovered and republished the new address */
	world_run(&t->w, 2000);
	assert_true(t->a->stun_requests > stun_before);
	assert_string_not_equal(fake_stores_get(&t->w.stores, key), before);
	/* fetching fast: several reads in 2 s, not one a minute */
	assert_true(fake_stores_reads(&t->w.stores, theirs) - reads_before >= 3);
	/* the peer reads our new record and follows: connected again */
	assert_true(world_run_until(&t->w, 90000, path_open, t));
	free(before);
}

/* The peer's NAT moves: its periodic discovery finds out and republishes, our traffic
 * goes unanswered, we go stale and read its record fast, and follow the new endpoint. */
static void test_heal_peer_moved(void **state)
{
	struct bench *t = *state;
	struct fake_peer *ab;
	int64_t moved;
	unsigned hs;

	pair(t, 0, 0);
	start_pair(t, NULL);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	ab = fake_peer_of(t->a, t->b);
	ab->traffic = true;
	world_run(&t->w, 3000);
	hs = t->w.net.handshakes;
	fake_net_move(t->b, "203.0.113.112:40012");
	assert_false(fake_net_path_open(&t->w.net, t->a, t->b));
	moved = t->w.clock.ms;
	assert_true(world_run_until(&t->w, 60000, path_open, t));
	/* our traffic goes stale after quiet_ms (12 s), then the fast read of b's record
	 * finds its new endpoint at once, not at the next one-a-minute read */
	assert_true(t->w.clock.ms - moved < 20000);
	assert_true(addr_equal(&ab->endpoint, &t->b->public_addr));
	assert_true(t->w.net.handshakes >= hs);
	/* and it stays up with the traffic flowing */
	world_run(&t->w, 30000);
	assert_true(path_open(t));
}

/* The peer's NAT moves while nothing flows: the record is read anyway (the watch
 * interval) and its new endpoint set on the device. */
static void test_idle_peer_moved_is_followed(void **state)
{
	struct bench *t = *state;
	struct fake_peer *ab;

	pair(t, 0, 0);
	start_pair(t, NULL);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	ab = fake_peer_of(t->a, t->b);
	world_run(&t->w, 5000);
	fake_net_move(t->b, "203.0.113.113:40013");
	world_run(&t->w, 15000); /* b's discovery (10 s) publishes it */
	assert_false(addr_equal(&ab->endpoint, &t->b->public_addr));
	world_run(&t->w, 65000); /* a reads b's record at least once a minute */
	assert_true(addr_equal(&ab->endpoint, &t->b->public_addr));
}

/* The same on a store whose reads are cheap: its record is read every 2 s, so the move
 * is followed within seconds of b publishing it. */
static void test_idle_peer_moved_cheap_store(void **state)
{
	struct bench *t = *state;
	struct fake_peer *ab;

	fake_stores_plugin(&t->w.stores, "mem")->cheap_reads = true;
	pair(t, 0, 0);
	start_pair(t, NULL);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	ab = fake_peer_of(t->a, t->b);
	world_run(&t->w, 5000);
	fake_net_move(t->b, "203.0.113.115:40015");
	world_run(&t->w, 14000); /* b's discovery (every 10 s) publishes it, a reads at 2 s */
	assert_true(addr_equal(&ab->endpoint, &t->b->public_addr));
}

/* b's interface is deleted and created again (new index, no endpoints, counters from
 * zero): b's engine starts over on it and the pair connects again. */
static void test_interface_recreated(void **state)
{
	struct bench *t = *state;
	static const int user_ka[] = { 0 };
	struct engine_opts ob = { .stun_ms = 3600000 };
	struct fake_peer *ba;
	unsigned hs, stun;

	pair(t, 0, 0);
	assert_int_equal(site_start(&t->sa, NULL), 0);
	assert_int_equal(site_start(&t->sb, &ob), 0);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	world_run(&t->w, 5000);
	hs = t->w.net.handshakes;
	stun = t->b->stun_requests;
	fake_net_recreate(&t->w.net, t->b, user_ka);
	ba = fake_peer_of(t->b, t->a);
	assert_int_equal(ba->endpoint.sa.sa_family, AF_UNSPEC);
	/* a new interface index: everything starts over, STUN at once (the periodic one
	 * is an hour away here) */
	world_run(&t->w, 1500);
	assert_true(t->b->stun_requests > stun);
	assert_true(world_run_until(&t->w, 20000, path_open, t));
	assert_true(addr_equal(&ba->endpoint, &t->a->public_addr));
	assert_true(t->w.net.handshakes > hs);
	assert_true(ba->last_handshake > 0);
	world_run(&t->w, 3000);
	assert_int_equal(ba->keepalive, 0); /* given back on the new device too */
}

/* a has two peers; c's store fails. b connects as usual, c's status says why. */
static void test_store_failure_isolated(void **state)
{
	struct bench *t = *state;
	struct fake_dev *peers[2];
	static const char *const two_stores[] = { "mem", "broken" };
	struct fake_plugin *broken;
	char buf[512];

	t->c = fake_net_add_dev(&t->w.net, "wgC", 51822, "203.0.113.13:40003");
	site_init(&t->sc, &t->w, t->c, "c");
	fake_net_link(t->a, 0, t->b, 0);
	fake_net_link(t->a, 0, t->c, 0);
	broken = fake_stores_plugin(&t->w.stores, "broken");
	snprintf(broken->fail, sizeof(broken->fail), "backend is down for maintenance");
	peers[0] = t->b;
	peers[1] = t->c;
	site_write_std(&t->sa, peers, two_stores, 2,
		       "  broken: {type: builtin, name: file, dir: /broken}\n");
	site_write_std(&t->sb, &t->a, NULL, 1, NULL);
	site_write_std(&t->sc, &t->a, NULL, 1, NULL);
	start_pair(t, NULL);
	assert_int_equal(site_start(&t->sc, NULL), 0);
	assert_true(world_run_until(&t->w, 15000, both_connected, t));
	world_run(&t->w, 10000);
	assert_true(both_connected(t));
	assert_non_null(strstr(site_peer_str(&t->sa, "wgC", "publish", buf, sizeof(buf)),
			       "backend is down for maintenance"));
	assert_non_null(strstr(site_peer_str(&t->sa, "wgC", "fetch", buf, sizeof(buf)),
			       "backend is down for maintenance"));
	assert_string_not_equal(site_peer_str(&t->sa, "wgC", "state", buf, sizeof(buf)),
				"connected");
	/* a failing store is not hammered: retries back off */
	{
		unsigned sets = broken->sets;

		world_run(&t->w, 60000);
		assert_true(broken->sets - sets <= 6);
	}
	assert_true(both_connected(t));
}

static bool stop_requested(void *arg)
{
	return loop_stop_requested(arg);
}

/* --oneshot: done (exit 0) once the endpoint is set and our record is published. */
static void test_oneshot_done(void **state)
{
	struct bench *t = *state;
	struct engine_opts oa = { .oneshot = true, .oneshot_timeout_ms = 20000 };

	pair(t, 0, 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	world_run(&t->w, 2000);
	assert_int_equal(site_start(&t->sa, &oa), 0);
	assert_false(engine_oneshot_done(t->sa.eng));
	assert_true(world_run_until(&t->w, 10000, stop_requested, t->w.loop));
	assert_true(engine_oneshot_done(t->sa.eng));
	assert_int_equal(engine_exit_code(t->sa.eng), 0);
	assert_true(addr_equal(&fake_peer_of(t->a, t->b)->endpoint, &t->b->public_addr));
}

/* --oneshot with a peer whose store fails: exit 1 at the timeout, and the report
 * names the peer and why. */
static void test_oneshot_fails(void **state)
{
	struct bench *t = *state;
	static const char *const one_broken[] = { "broken" };
	struct engine_opts oa = { .oneshot = true, .oneshot_timeout_ms = 5000 };
	struct fake_plugin *broken;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf;

	fake_net_link(t->a, 0, t->b, 0);
	broken = fake_stores_plugin(&t->w.stores, "broken");
	snprintf(broken->fail, sizeof(broken->fail), "backend is down for maintenance");
	site_write_std(&t->sa, &t->b, one_broken, 1,
		       "  broken: {type: builtin, name: file, dir: /broken}\n");
	logf = open_memstream(&logbuf, &loglen);
	assert_non_null(logf);
	t->w.log.out = logf;
	t->w.log.level = LOG_INFO;
	assert_int_equal(site_start(&t->sa, &oa), 0);
	world_run(&t->w, 4900);
	assert_false(loop_stop_requested(t->w.loop));
	world_run(&t->w, 200);
	assert_true(loop_stop_requested(t->w.loop));
	assert_int_equal(engine_exit_code(t->sa.eng), 1);
	engine_report_failures(t->sa.eng);
	fflush(logf);
	assert_non_null(strstr(logbuf, "peer wgA/wgB: our endpoint not published: backend is down for maintenance"));
	assert_non_null(strstr(logbuf, "peer wgA/wgB: no endpoint set: store broken: backend is down"));
	t->w.log.out = stderr;
	t->w.log.level = LOG_OFF;
	fclose(logf);
	free(logbuf);
}

/* --oneshot where the peer's record is read (its endpoint gets set) but our own write
 * fails: not done, exit 1, and the report says what is missing and nothing else. */
static void test_oneshot_publish_fails(void **state)
{
	struct bench *t = *state;
	static const char *const on_ro[] = { "ro" };
	struct engine_opts oa = { .oneshot = true, .oneshot_timeout_ms = 8000 };
	struct fake_plugin *ro;
	char *logbuf = NULL;
	size_t loglen = 0;
	FILE *logf;

	fake_net_link(t->a, 0, t->b, 0);
	ro = fake_stores_plugin(&t->w.stores, "ro");
	snprintf(ro->fail, sizeof(ro->fail), "read-only bucket");
	ro->fail_sets_only = true;
	site_write_std(&t->sa, &t->b, on_ro, 1, "  ro: {type: builtin, name: file, dir: /ro}\n");
	site_write_std(&t->sb, &t->a, NULL, 1, NULL);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	world_run(&t->w, 2000);
	logf = open_memstream(&logbuf, &loglen);
	assert_non_null(logf);
	t->w.log.out = logf;
	t->w.log.level = LOG_INFO;
	assert_int_equal(site_start(&t->sa, &oa), 0);
	world_run(&t->w, 7000);
	assert_true(addr_equal(&fake_peer_of(t->a, t->b)->endpoint, &t->b->public_addr));
	assert_false(engine_oneshot_done(t->sa.eng));
	assert_false(loop_stop_requested(t->w.loop));
	world_run(&t->w, 1100);
	assert_true(loop_stop_requested(t->w.loop));
	assert_int_equal(engine_exit_code(t->sa.eng), 1);
	engine_report_failures(t->sa.eng);
	fflush(logf);
	assert_non_null(strstr(logbuf, "peer wgA/wgB: our endpoint not published: read-only bucket"));
	assert_null(strstr(logbuf, "no endpoint set"));
	t->w.log.out = stderr;
	t->w.log.level = LOG_OFF;
	fclose(logf);
	free(logbuf);
}

struct punching {
	struct fake_peer *p;
};

static bool keepalive_fast(void *arg)
{
	return ((struct punching *)arg)->p->keepalive == 1;
}

/* Stopping while we hold the 1 s keepalive: it goes back to the user's value before
 * the loop is told to stop. */
static void test_stop_gives_keepalive_back(void **state)
{
	struct bench *t = *state;
	struct punching pu;

	pair(t, 25, 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	world_run(&t->w, 2000);
	site_stop(&t->sb);
	/* b is gone for good: a punches into the void */
	fake_net_move(t->b, "203.0.113.114:40014");
	assert_int_equal(site_start(&t->sa, NULL), 0);
	pu.p = fake_peer_of(t->a, t->b);
	assert_true(world_run_until(&t->w, 5000, keepalive_fast, &pu));
	engine_stop(t->sa.eng, 0);
	assert_true(world_run_until(&t->w, 3000, stop_requested, t->w.loop));
	assert_int_equal(pu.p->keepalive, 25);
	assert_int_equal(engine_exit_code(t->sa.eng), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_rediscovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heal_peer_moved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_peer_moved_is_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_peer_moved_cheap_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interface_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_failure_isolated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oneshot_done, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oneshot_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oneshot_publish_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_gives_keepalive_back, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
