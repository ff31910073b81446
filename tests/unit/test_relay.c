/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The relay's data path (net/relay) between a socket playing WireGuard and sockets
 * playing the peers, through a TURN server played on loopback (turn_sim.h): a local
 * endpoint per peer, bursts relayed whole and in order both ways, two peers kept
 * apart by their channels, Send/Data indications before a channel is bound, a peer
 * whose NAT sends from another port followed, and a restarted server found by the
 * dead-path check and re-allocated with traffic flowing again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net/relay.h"
#include "turn_sim.h"

struct ev {
	unsigned allocated, lost, ready, moved;
	union sm_addr relayed, moved_to;
};

static void on_allocated(void *arg, const union sm_addr *relayed, const union sm_addr *mapped)
{
	struct ev *ev = arg;

	(void)mapped;
	ev->allocated++;
	ev->relayed = *relayed;
}

static void on_lost(void *arg, int err, const char *why)
{
	(void)err;
	(void)why;
	((struct ev *)arg)->lost++;
}

static void on_ready(void *arg, struct relay_peer *rp, void *peer_arg)
{
	(void)rp;
	(void)peer_arg;
	((struct ev *)arg)->ready++;
}

static void on_moved(void *arg, struct relay_peer *rp, void *peer_arg, const union sm_addr *to)
{
	struct ev *ev = arg;

	(void)rp;
	(void)peer_arg;
	ev->moved++;
	ev->moved_to = *to;
}

static const struct relay_cbs cbs = { on_allocated, on_lost, on_ready, NULL, on_moved };

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

static void run_until(struct loop *l, const unsigned *flag, unsigned want, int64_t ms)
{
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + ms;
	while ((!flag || *flag < want) && loop_now(l) < end)
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
}

static int udp(union sm_addr *a)
{
	socklen_t sl = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), big = 4 << 20;

	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	assert_int_equal(bind(fd, &a->sa, sizeof(a->in)), 0);
	assert_int_equal(getsockname(fd, &a->sa, &sl), 0);
	return fd;
}

/* Receives up to want datagrams within ms (running the loop), checking each came from
 * `from` and is "<tag> <seq>" with seq counting up from 0; the count received. */
static unsigned expect(struct loop *l, int fd, const union sm_addr *from, const char *tag,
		       unsigned want, int64_t ms)
{
	unsigned got = 0;
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + ms;
	while (got < want && loop_now(l) < end) {
		char buf[1600], exp[64];
		union sm_addr src;
		socklen_t sl = sizeof(src);
		ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT, &src.sa, &sl);

		if (n < 0) {
			assert_int_equal(loop_run_once(l, 5), 0);
			continue;
		}
		buf[n] = '\0';
		assert_true(addr_equal(&src, from));
		snprintf(exp, sizeof(exp), "%s %u", tag, got);
		assert_int_equal(strncmp(buf, exp, strlen(exp)), 0);
		got++;
	}
	return got;
}

static void burst(int fd, const union sm_addr *to, const char *tag, unsigned n)
{
	char buf[1400];

	memset(buf, 'x', sizeof(buf));
	for (unsigned i = 0; i < n; i++) {
		int k = snprintf(buf, sizeof(buf), "%s %u ", tag, i);

		buf[k] = 'x';
		assert_int_equal(sendto(fd, buf, 1200, 0, &to->sa, addr_len(to)), 1200);
	}
}

struct rig {
	struct loop *l;
	struct turn_sim s;
	struct relay *r;
	struct ev ev;
	int wg, p1;
	union sm_addr wga, p1a;
	struct relay_peer *rp1;
};

static void rig_up(struct rig *g, bool bind_channels)
{
	struct relay_params p;
	struct errbuf e = { "" };

	memset(g, 0, sizeof(*g));
	g->l = new_loop();
	assert_int_equal(turn_sim_open(&g->s, g->l, 0), 0);
	g->s.ignore_bind = !bind_channels;
	g->wg = udp(&g->wga);
	g->p1 = udp(&g->p1a);
	relay_params_default(&p);
	p.turn.server = g->s.addr;
	p.turn.username = "alice";
	p.turn.password = "sim-password";
	p.turn.rto_ms = 50;
	p.turn.tries = 3;
	p.turn.retry_ms = 100;
	p.wg_port = addr_port(&g->wga);
	p.dead_ms = 200;
	assert_int_equal(relay_new(g->l, &p, &cbs, &g->ev, &g->r, &e), 0);
	run_until(g->l, &g->ev.allocated, 1, 2000);
	assert_int_equal(g->ev.allocated, 1);
	assert_int_equal(relay_peer_add(g->r, &g->p1a, NULL, &g->rp1, &e), 0);
	if (bind_channels) {
		run_until(g->l, &g->ev.ready, 1, 2000);
		assert_true(relay_peer_ready(g->rp1));
	} else {
		run_until(g->l, &g->s.n_perm, 1, 2000);
		run_until(g->l, (unsigned *)NULL, 0, 30);
	}
}

static void rig_down(struct rig *g)
{
	relay_free(g->r);
	close(g->wg);
	close(g->p1);
	turn_sim_close(&g->s);
	loop_free(g->l);
}

static void test_both_ways(void **state)
{
	struct rig g;
	struct relay_peer_stats st;
	char a[ADDR_STR_LEN];
	const union sm_addr *local;

	(void)state;
	rig_up(&g, true);
	local = relay_peer_local(g.rp1);
	assert_non_null(strstr(addr_format(local, a, sizeof(a)), "127.0.0.1:"));
	assert_int_equal(local->in.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_not_equal(addr_port(local), 0);
	/* WireGuard -> peer: 300 packets of 1200 bytes, all there, in order, from the
	 * relayed address */
	burst(g.wg, local, "out", 300);
	assert_int_equal(expect(g.l, g.p1, &g.s.relayed, "out", 300, 3000), 300);
	/* peer -> WireGuard: they come from the peer's local endpoint */
	burst(g.p1, &g.s.relayed, "in", 300);
	assert_int_equal(expect(g.l, g.wg, local, "in", 300, 3000), 300);
	relay_peer_stats(g.rp1, &st);
	assert_int_equal(st.to_relay, 300);
	assert_int_equal(st.from_relay, 300);
	assert_int_equal(st.to_relay_bytes, 300 * 1200);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.channel, 0x4000);
	assert_int_equal(g.s.n_send_ind, 0); /* all as ChannelData */
	rig_down(&g);
}

static void test_two_peers(void **state)
{
	struct rig g;
	union sm_addr p2a;
	int p2;
	struct relay_peer *rp2;
	struct errbuf e;

	(void)state;
	rig_up(&g, true);
	p2 = udp(&p2a);
	assert_int_equal(relay_peer_add(g.r, &p2a, NULL, &rp2, &e), 0);
	run_until(g.l, &g.ev.ready, 2, 2000);
	assert_false(addr_equal(relay_peer_local(rp2), relay_peer_local(g.rp1)));
	/* interleaved from both peers: each reaches WireGuard from its own endpoint */
	for (unsigned i = 0; i < 50; i++) {
		char b[32];
		int n = snprintf(b, sizeof(b), "one %u", i);

		sendto(g.p1, b, (size_t)n, 0, &g.s.relayed.sa, sizeof(g.s.relayed.in));
		n = snprintf(b, sizeof(b), "two %u", i);
		sendto(p2, b, (size_t)n, 0, &g.s.relayed.sa, sizeof(g.s.relayed.in));
	}
	/* one stream at a time, the other waits in the socket */
	{
		unsigned one = 0, two = 0;
		int64_t end;

		loop_update_now(g.l);
		end = loop_now(g.l) + 3000;
		while ((one < 50 || two < 50) && loop_now(g.l) < end) {
			char buf[64];
			union sm_addr src;
			socklen_t sl = sizeof(src);
			ssize_t n = recvfrom(g.wg, buf, sizeof(buf) - 1, MSG_DONTWAIT, &src.sa, &sl);
			char exp[32];

			if (n < 0) {
				assert_int_equal(loop_run_once(g.l, 5), 0);
				continue;
			}
			buf[n] = '\0';
			if (addr_equal(&src, relay_peer_local(g.rp1))) {
				snprintf(exp, sizeof(exp), "one %u", one++);
			} else {
				assert_true(addr_equal(&src, relay_peer_local(rp2)));
				snprintf(exp, sizeof(exp), "two %u", two++);
			}
			assert_string_equal(buf, exp);
		}
		assert_int_equal(one, 50);
		assert_int_equal(two, 50);
	}
	/* and WireGuard's answers to each endpoint go to the right peer */
	burst(g.wg, relay_peer_local(rp2), "to-two", 20);
	assert_int_equal(expect(g.l, p2, &g.s.relayed, "to-two", 20, 2000), 20);
	relay_peer_remove(g.r, rp2);
	close(p2);
	rig_down(&g);
}

static void test_before_channel_and_moved(void **state)
{
	struct rig g;
	union sm_addr p1b;
	int p1b_fd;

	(void)state;
	rig_up(&g, false); /* the server leaves ChannelBind unanswered */
	burst(g.wg, relay_peer_local(g.rp1), "ind", 10);
	assert_int_equal(expect(g.l, g.p1, &g.s.relayed, "ind", 10, 2000), 10);
	assert_int_equal(g.s.n_send_ind, 10);
	burst(g.p1, &g.s.relayed, "data", 10);
	assert_int_equal(expect(g.l, g.wg, relay_peer_local(g.rp1), "data", 10, 2000), 10);
	/* the peer's NAT gives it another port towards the relay (symmetric): followed */
	g.s.ignore_bind = false;
	p1b_fd = udp(&p1b);
	burst(p1b_fd, &g.s.relayed, "sym", 1);
	run_until(g.l, &g.ev.moved, 1, 2000);
	assert_int_equal(g.ev.moved, 1);
	assert_true(addr_equal(&g.ev.moved_to, &p1b));
	assert_true(addr_equal(relay_peer_remote(g.rp1), &p1b));
	assert_int_equal(expect(g.l, g.wg, relay_peer_local(g.rp1), "sym", 1, 2000), 1);
	run_until(g.l, &g.ev.ready, 1, 2000);
	burst(g.wg, relay_peer_local(g.rp1), "back", 5);
	assert_int_equal(expect(g.l, p1b_fd, &g.s.relayed, "back", 5, 2000), 5);
	close(p1b_fd);
	rig_down(&g);
}

static void test_server_restart(void **state)
{
	struct rig g;
	union sm_addr first;

	(void)state;
	rig_up(&g, true);
	first = g.s.relayed;
	/* the server restarts; WireGuard keeps sending, nothing comes back: after
	 * dead_ms the allocation is checked, found gone, made again */
	turn_sim_restart(&g.s);
	for (int i = 0; i < 30 && g.ev.allocated < 2; i++) {
		burst(g.wg, relay_peer_local(g.rp1), "keepalive", 1);
		run_until(g.l, &g.ev.allocated, 2, 50);
	}
	assert_int_equal(g.ev.allocated, 2);
	assert_int_equal(g.ev.lost, 1);
	assert_false(addr_equal(&g.ev.relayed, &first));
	run_until(g.l, &g.ev.ready, 2, 2000);
	while (recv(g.p1, (char[2048]){ 0 }, 2048, MSG_DONTWAIT) >= 0)
		;
	burst(g.p1, &g.s.relayed, "again", 5);
	assert_int_equal(expect(g.l, g.wg, relay_peer_local(g.rp1), "again", 5, 2000), 5);
	burst(g.wg, relay_peer_local(g.rp1), "again-out", 5);
	assert_int_equal(expect(g.l, g.p1, &g.s.relayed, "again-out", 5, 2000), 5);
	rig_down(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_ways),
		cmocka_unit_test(test_two_peers),
		cmocka_unit_test(test_before_channel_and_moved),
		cmocka_unit_test(test_server_restart),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
