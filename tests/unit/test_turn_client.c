/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TURN client (net/turn-client) against a TURN server played on loopback
 * (turn_sim.h): the 401 challenge and long-term and REST API credentials, refresh,
 * permission and channel per peer, ChannelData and Send/Data indications both ways, a
 * peer whose NAT moved it to another port, 438 stale nonces, forged answers ignored,
 * a restarted server (437) re-allocated with a new relayed address, an unreachable
 * server, wrong credentials as one clear error with a long backoff (no retry storm),
 * a refused permission, and the secret never in what is told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/turn-client.h"
#include "turn_sim.h"

struct ev {
	unsigned allocated, lost, ready, failed, data, data_end, unknown;
	union sm_addr relayed, mapped, unknown_from;
	int err;
	char why[512];
	uint16_t channel;
	char got[256];
	struct turn_peer *peer;
	struct turn_client *tc;
	bool move_on_unknown;
};

static void on_allocated(void *arg, const union sm_addr *relayed, const union sm_addr *mapped)
{
	struct ev *ev = arg;

	ev->allocated++;
	ev->relayed = *relayed;
	ev->mapped = *mapped;
}

static void on_lost(void *arg, int err, const char *why)
{
	struct ev *ev = arg;

	ev->lost++;
	ev->err = err;
	snprintf(ev->why, sizeof(ev->why), "%s", why);
}

static void on_ready(void *arg, struct turn_peer *p, void *peer_arg, uint16_t channel)
{
	struct ev *ev = arg;

	assert_ptr_equal(peer_arg, ev);
	ev->ready++;
	ev->channel = channel;
	ev->peer = p;
}

static void on_failed(void *arg, struct turn_peer *p, void *peer_arg, const char *why)
{
	struct ev *ev = arg;

	(void)p;
	(void)peer_arg;
	ev->failed++;
	snprintf(ev->why, sizeof(ev->why), "%s", why);
}

static void on_data(void *arg, struct turn_peer *p, void *peer_arg, uint8_t *data, size_t len)
{
	struct ev *ev = arg;

	(void)p;
	(void)peer_arg;
	ev->data++;
	snprintf(ev->got, sizeof(ev->got), "%.*s", (int)len, (const char *)data);
}

static void on_data_end(void *arg)
{
	((struct ev *)arg)->data_end++;
}

static void on_unknown(void *arg, const union sm_addr *from, const uint8_t *data, size_t len)
{
	struct ev *ev = arg;

	ev->unknown++;
	ev->unknown_from = *from;
	snprintf(ev->got, sizeof(ev->got), "%.*s", (int)len, (const char *)data);
	if (ev->move_on_unknown)
		assert_int_equal(turn_client_peer_move(ev->tc, ev->peer, from), 0);
}

static const struct turn_client_cbs cbs = {
	on_allocated, on_lost, on_ready, on_failed, on_data, on_data_end, on_unknown,
};

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

static int64_t run_until(struct loop *l, const unsigned *flag, unsigned want, int64_t ms)
{
	int64_t start, end;

	loop_update_now(l);
	start = loop_now(l);
	end = start + ms;
	while ((!flag || *flag < want) && loop_now(l) < end)
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
	return loop_now(l) - start;
}

static void params(struct turn_client_params *p, const struct turn_sim *s)
{
	turn_client_params_default(p);
	p->server = s->addr;
	p->username = "alice";
	p->password = "sim-password";
	p->rto_ms = 50;
	p->tries = 3;
	p->retry_ms = 100;
	p->retry_max_ms = 400;
	p->rcvbuf = p->sndbuf = 0;
}

static struct turn_client *start(struct loop *l, const struct turn_client_params *p, struct ev *ev)
{
	struct turn_client *tc = NULL;
	struct errbuf e = { "" };

	memset(ev, 0, sizeof(*ev));
	assert_int_equal(turn_client_new(l, p, &cbs, ev, &tc, &e), 0);
	ev->tc = tc;
	assert_int_equal(ev->allocated + ev->lost, 0); /* never from inside the call */
	return tc;
}

/* A UDP socket on loopback playing the relayed peer. */
static int peer_socket(union sm_addr *a)
{
	socklen_t sl = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, &a->sa, sizeof(a->in)), 0);
	assert_int_equal(getsockname(fd, &a->sa, &sl), 0);
	return fd;
}

/* What the peer received (from the relayed address), "" if nothing within ms. */
static const char *peer_recv(struct loop *l, int fd, const union sm_addr *relayed, int64_t ms)
{
	static char buf[256];
	union sm_addr from;
	socklen_t sl = sizeof(from);
	ssize_t n = -1;
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + ms;
	while (loop_now(l) < end) {
		n = recvfrom(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT, &from.sa, &sl);
		if (n >= 0)
			break;
		assert_int_equal(loop_run_once(l, 10), 0);
	}
	if (n < 0)
		return "";
	assert_true(addr_equal(&from, relayed));
	buf[n] = '\0';
	return buf;
}

static void test_allocate_and_relay(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client_status st;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	union sm_addr pa;
	int pfd = peer_socket(&pa);
	struct turn_peer *peer;
	struct errbuf e;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(ev.allocated, 1);
	assert_true(addr_equal(&ev.relayed, &s.relayed));
	assert_int_equal(s.n_unauth, 1); /* the challenge */
	assert_int_equal(s.n_auth, 1);
	assert_string_equal(s.last_user, "alice");
	turn_client_status(tc, &st);
	assert_int_equal(st.state, TURN_CLIENT_READY);
	assert_true(st.lifetime_left_ms > 590000);
	assert_true(turn_client_fd(tc) >= 0);

	/* a peer: permission and channel, then ChannelData both ways */
	assert_int_equal(turn_client_peer_add(tc, &pa, &ev, &peer, &e), 0);
	assert_int_equal(turn_peer_channel(peer), 0);
	run_until(l, &ev.ready, 1, 2000);
	assert_int_equal(ev.channel, 0x4000);
	assert_int_equal(turn_peer_channel(peer), 0x4000);
	assert_int_equal(s.n_perm, 1);
	assert_int_equal(s.n_bind, 1);
	assert_int_equal(turn_client_send(tc, peer, (const uint8_t *)"to-peer", 7), 0);
	assert_string_equal(peer_recv(l, pfd, &s.relayed, 1000), "to-peer");
	assert_int_equal(s.n_chdata_in, 1);
	assert_int_equal(s.n_send_ind, 0);
	sendto(pfd, "from-peer", 9, 0, &s.relayed.sa, sizeof(s.relayed.in));
	run_until(l, &ev.data, 1, 1000);
	assert_string_equal(ev.got, "from-peer");
	assert_true(ev.data_end >= 1);
	turn_client_status(tc, &st);
	assert_int_equal(st.peers_ready, 1);
	assert_int_equal(st.rx_datagrams, 1);

	/* free releases the allocation (a Refresh with lifetime 0) */
	turn_client_free(tc);
	run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(s.n_delete, 1);
	assert_false(s.has_alloc);
	assert_int_equal(ev.lost, 0);
	close(pfd);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_indications_and_move(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	union sm_addr pa, pb;
	int pfd = peer_socket(&pa), pfd2 = peer_socket(&pb);
	struct turn_peer *peer;
	struct errbuf e;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	s.ignore_bind = true; /* no channel yet: Send and Data indications */
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(turn_client_peer_add(tc, &pa, &ev, &peer, &e), 0);
	ev.peer = peer;
	run_until(l, &s.n_perm, 1, 1000);
	run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(turn_client_send(tc, peer, (const uint8_t *)"by-send", 7), 0);
	assert_string_equal(peer_recv(l, pfd, &s.relayed, 1000), "by-send");
	assert_int_equal(s.n_send_ind, 1);
	sendto(pfd, "by-data", 7, 0, &s.relayed.sa, sizeof(s.relayed.in));
	run_until(l, &ev.data, 1, 1000);
	assert_string_equal(ev.got, "by-data");

	/* The peer's NAT moves it to another port (same IP, so the permission holds):
	 * told as an unknown peer, and a move binds a new channel there. */
	s.ignore_bind = false;
	ev.move_on_unknown = true;
	sendto(pfd2, "moved", 5, 0, &s.relayed.sa, sizeof(s.relayed.in));
	run_until(l, &ev.unknown, 1, 1000);
	assert_true(addr_equal(&ev.unknown_from, &pb));
	assert_string_equal(ev.got, "moved");
	run_until(l, &ev.ready, 1, 2000);
	assert_true(addr_equal(turn_peer_addr(peer), &pb));
	assert_int_not_equal(turn_peer_channel(peer), 0);
	assert_int_equal(turn_client_send(tc, peer, (const uint8_t *)"to-new", 6), 0);
	assert_string_equal(peer_recv(l, pfd2, &s.relayed, 1000), "to-new");
	turn_client_peer_remove(tc, peer);
	turn_client_free(tc);
	close(pfd);
	close(pfd2);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_rest_credentials(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client_status st;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	uint64_t exp;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	s.secret = "sim-rest-secret";
	params(&p, &s);
	p.password = NULL;
	p.secret = "sim-rest-secret";
	p.credential_ttl_s = 3600;
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(ev.allocated, 1);
	/* the username is "<expiry>:alice", an hour from now */
	exp = strtoull(s.last_user, NULL, 10);
	assert_non_null(strstr(s.last_user, ":alice"));
	assert_true(exp >= (uint64_t)time(NULL) + 3590 && exp <= (uint64_t)time(NULL) + 3600);
	turn_client_status(tc, &st);
	assert_true(st.rest);
	assert_true(st.credentials_expire_in_s > 3500);
	turn_client_free(tc);
	/* another secret: one clear error, the secret in no text */
	p.secret = "not-the-secret";
	tc = start(l, &p, &ev);
	run_until(l, &ev.lost, 1, 2000);
	assert_int_equal(ev.err, -EACCES);
	assert_non_null(strstr(ev.why, "wrong REST API secret"));
	assert_null(strstr(ev.why, "not-the-secret"));
	turn_client_status(tc, &st);
	assert_null(strstr(st.why, "not-the-secret"));
	turn_client_free(tc);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_wrong_password_no_storm(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client_status st;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	params(&p, &s);
	p.password = "wrong-password";
	tc = start(l, &p, &ev);
	run_until(l, &ev.lost, 1, 2000);
	assert_int_equal(ev.err, -EACCES);
	assert_non_null(strstr(ev.why, "401"));
	assert_non_null(strstr(ev.why, "wrong username or password"));
	assert_non_null(strstr(ev.why, "next try in 10m"));
	assert_null(strstr(ev.why, "wrong-password"));
	/* Two requests (the challenge and the authenticated one), then quiet: the next
	 * try is 10 minutes away, whatever the short retry_ms for other errors. */
	run_until(l, (unsigned *)NULL, 0, 700);
	assert_int_equal(s.n_unauth + s.n_auth, 2);
	assert_int_equal(ev.lost, 1);
	turn_client_status(tc, &st);
	assert_int_equal(st.state, TURN_CLIENT_WAITING);
	assert_true(st.retry_in_ms > 590000 && st.retry_in_ms <= 600000);
	/* retry on request (a reload): two more, and the backoff doubled */
	turn_client_retry(tc);
	run_until(l, &ev.lost, 2, 2000);
	assert_int_equal(s.n_unauth + s.n_auth, 4);
	assert_non_null(strstr(ev.why, "next try in 20m"));
	turn_client_free(tc);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_stale_nonce_and_refresh(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	s.grant = 2; /* refreshed after 1 s */
	s.forge_first = true; /* every success preceded by one with a wrong integrity */
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(ev.allocated, 1);
	s.stale_next = true;
	run_until(l, &s.n_refresh, 1, 3000);
	assert_int_equal(s.n_438, 1);	   /* the first Refresh got a 438 ... */
	assert_int_equal(s.n_refresh, 1); /* ... and the one with the new nonce was taken */
	run_until(l, &s.n_refresh, 2, 3000);
	assert_int_equal(ev.lost, 0);
	assert_int_equal(ev.allocated, 1);
	turn_client_free(tc);
	run_until(l, (unsigned *)NULL, 0, 50); /* the release reaches the server */
	/* a server that answers every nonce with 438: one retry, then an error (no loop) */
	s.stale_always = true;
	s.n_438 = 0;
	tc = start(l, &p, &ev);
	run_until(l, &ev.lost, 1, 2000);
	assert_int_equal(ev.lost, 1);
	assert_non_null(strstr(ev.why, "438"));
	run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(s.n_438, 2);
	turn_client_free(tc);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_server_restart(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	union sm_addr pa, first;
	int pfd = peer_socket(&pa);
	struct turn_peer *peer;
	struct errbuf e;
	int64_t t;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(turn_client_peer_add(tc, &pa, &ev, &peer, &e), 0);
	run_until(l, &ev.ready, 1, 2000);
	first = ev.relayed;
	/* The server restarts (allocation forgotten, a new relay port next time); the
	 * path looks dead to the owner, who asks for a check: 437, allocated again at
	 * once, told with the new relayed address, the peer bound again. */
	turn_sim_restart(&s);
	turn_client_check(tc);
	t = run_until(l, &ev.allocated, 2, 3000);
	assert_int_equal(ev.allocated, 2);
	assert_true(t < 500);
	assert_int_equal(ev.lost, 1);
	assert_int_equal(ev.err, -ENOENT);
	assert_non_null(strstr(ev.why, "437"));
	assert_false(addr_equal(&ev.relayed, &first));
	assert_true(addr_equal(&ev.relayed, &s.relayed));
	run_until(l, &ev.ready, 2, 2000);
	assert_int_equal(ev.ready, 2);
	assert_int_equal(turn_client_send(tc, peer, (const uint8_t *)"after", 5), 0);
	assert_string_equal(peer_recv(l, pfd, &s.relayed, 1000), "after");
	turn_client_free(tc);
	close(pfd);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_mismatch_no_storm(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	union sm_addr pa;
	int pfd = peer_socket(&pa);
	struct turn_peer *peer;
	struct errbuf e;

	(void)state;
	/* A broken server: allocations succeed, every request on them gets a 437. The
	 * first re-allocation goes at once, the rest wait out the backoff (100 ms
	 * doubling to 400 ms here): a handful of allocations in a second, not hundreds. */
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(turn_client_peer_add(tc, &pa, &ev, &peer, &e), 0);
	s.mismatch_always = true;
	run_until(l, &ev.allocated, 2, 3000); /* re-allocated at all (slowly under qemu) */
	assert_true(ev.allocated >= 2);
	run_until(l, (unsigned *)NULL, 0, 1000);
	/* a storm would be hundreds; the backoff gives 4-5 in this time */
	assert_true(ev.allocated <= 8);
	turn_client_free(tc);
	close(pfd);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_unreachable(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	uint16_t port;
	int64_t t;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	/* silent: no answer to 3 Refreshes (50 + 100 + 200 ms) */
	s.silent = true;
	turn_client_check(tc);
	t = run_until(l, &ev.lost, 1, 2000);
	assert_int_equal(ev.err, -ETIMEDOUT);
	assert_true(t >= 300 && t < 800);
	/* back (its allocation lost meanwhile): allocated again after the backoff */
	s.silent = false;
	turn_sim_restart(&s);
	run_until(l, &ev.allocated, 2, 2000);
	assert_int_equal(ev.allocated, 2);
	/* the port closed: the ICMP error ends it at once */
	port = ntohs(s.addr.in.sin_port);
	turn_sim_close(&s);
	turn_client_check(tc);
	run_until(l, &ev.lost, 2, 2000);
	assert_int_equal(ev.err, -ECONNREFUSED);
	/* and it comes back on the same port */
	assert_int_equal(turn_sim_open(&s, l, port), 0);
	run_until(l, &ev.allocated, 3, 3000);
	assert_int_equal(ev.allocated, 3);
	turn_client_free(tc);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_peer_refused(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc;
	struct turn_sim s;
	struct ev ev;
	union sm_addr pa;
	int pfd = peer_socket(&pa);
	struct turn_peer *peer;
	struct errbuf e;

	(void)state;
	assert_int_equal(turn_sim_open(&s, l, 0), 0);
	s.forbid_perm = true;
	params(&p, &s);
	tc = start(l, &p, &ev);
	run_until(l, &ev.allocated, 1, 2000);
	assert_int_equal(turn_client_peer_add(tc, &pa, &ev, &peer, &e), 0);
	run_until(l, &ev.failed, 1, 2000);
	assert_int_equal(ev.failed, 1);
	assert_non_null(strstr(ev.why, "403"));
	assert_int_equal(ev.lost, 0); /* the allocation is fine */
	turn_client_free(tc);
	close(pfd);
	turn_sim_close(&s);
	loop_free(l);
}

static void test_params(void **state)
{
	struct loop *l = new_loop();
	struct turn_client_params p;
	struct turn_client *tc = NULL;
	struct errbuf e;

	(void)state;
	turn_client_params_default(&p);
	assert_int_equal(turn_client_new(l, &p, &cbs, NULL, &tc, &e), -EINVAL);
	assert_int_equal(addr_parse("127.0.0.1:3478", 14, AF_INET, 0, &p.server, NULL), 0);
	p.username = "u";
	assert_int_equal(turn_client_new(l, &p, &cbs, NULL, &tc, &e), -EINVAL); /* no password */
	p.password = "pw-7f3a";
	p.secret = "sec-91bd";
	assert_int_equal(turn_client_new(l, &p, &cbs, NULL, &tc, &e), -EINVAL); /* both */
	assert_null(strstr(e.msg, "pw-7f3a"));
	assert_null(strstr(e.msg, "sec-91bd"));
	assert_null(tc);
	turn_client_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocate_and_relay),
		cmocka_unit_test(test_indications_and_move),
		cmocka_unit_test(test_rest_credentials),
		cmocka_unit_test(test_wrong_password_no_storm),
		cmocka_unit_test(test_stale_nonce_and_refresh),
		cmocka_unit_test(test_server_restart),
		cmocka_unit_test(test_mismatch_no_storm),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_peer_refused),
		cmocka_unit_test(test_params),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
