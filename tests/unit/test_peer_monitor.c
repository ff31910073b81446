/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Path monitoring (peer-monitor.c) on its own: WireGuard's counters become events. */
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

static union sm_addr ep(const char *ip, uint16_t port)
{
	union sm_addr a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.in.sin_addr);
	return a;
}

static struct wg_peer sample(const union sm_addr *e, int64_t hs, uint64_t rx, uint64_t tx)
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
	return w;
}

/* Baseline, alive, lone keepalives, quiet, an answer, device resets, an expired session. */
static void test_monitor_events(void **state)
{
	struct peer_monitor m;
	struct peer_params p;
	union sm_addr e = ep("203.0.113.30", 40000);
	struct wg_peer w;
	int64_t now = T0, hs = U0;

	(void)state;
	memset(&m, 0, sizeof(m));
	peer_params_default(&p, REFRESH, true);
	/* the first reading is the baseline: a recent handshake counts, nothing is alive
	 * or quiet yet */
	w = sample(&e, hs, 100, 100);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0, &w, true, true),
			 PATH_EV_HANDSHAKE | PATH_EV_SESSION);
	assert_true(addr_equal(&m.dev_endpoint, &e));
	/* rx grows: alive */
	now += 1000;
	w = sample(&e, hs, 200, 100);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 1, &w, true, true),
			 PATH_EV_ALIVE | PATH_EV_SESSION);
	assert_int_equal(m.rx_moved_at, now);
	/* a lone keepalive out: nothing is owed */
	now += 1000;
	w = sample(&e, hs, 200, 132);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 2, &w, true, true), PATH_EV_SESSION);
	assert_int_equal(m.unanswered_since, 0);
	/* data out, no answer: quiet once quiet_ms have passed since the first of it */
	now += 1000;
	w = sample(&e, hs, 200, 400);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 3, &w, true, true), PATH_EV_SESSION);
	assert_int_equal(m.unanswered_since, now);
	now += p.quiet_ms - 1;
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 15, &w, true, true), PATH_EV_SESSION);
	now += 1;
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 15, &w, true, true),
			 PATH_EV_SESSION | PATH_EV_QUIET);
	/* an answer clears it */
	now += 1000;
	w = sample(&e, hs, 300, 400);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 16, &w, true, true),
			 PATH_EV_ALIVE | PATH_EV_SESSION);
	/* counters going back: a device reset, and the reading is the new baseline */
	now += 1000;
	w = sample(&e, hs, 10, 10);
	/* (not while nothing is watched for: then it is only a change) */
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 17, &w, false, true), PATH_EV_SESSION);
	w = sample(&e, hs, 5, 5);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 17, &w, true, true), PATH_EV_RESET);
	assert_int_equal(m.rx, 5);
	assert_int_equal(m.dev_endpoint.sa.sa_family, AF_UNSPEC);
	/* the endpoint we set vanished: a reset only when one was expected */
	now += 1000;
	w = sample(NULL, hs, 5, 5);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 18, &w, true, false), PATH_EV_SESSION);
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 18, &w, true, true), PATH_EV_RESET);
	/* an expired session we keep sending into is quiet after the margin */
	now += 1000;
	w = sample(&e, hs, 5, 5);
	peer_monitor_sample(&m, &p, now, U0 + 400, &w, true, true);
	w = sample(&e, hs, 5, 69);
	now += 1000;
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 401, &w, true, true), 0);
	now += 5000;
	assert_int_equal(peer_monitor_sample(&m, &p, now, U0 + 406, &w, true, true), PATH_EV_QUIET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monitor_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
