/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Port mapping (net/portmap) against a gateway played on loopback with the protocols'
 * own bytes: NAT-PMP preferred when both answer, PCP when the gateway speaks only PCP,
 * renewal at half the lease with the PCP nonce kept, a restart noticed from an
 * announcement and from a renewal's epoch, a mapping on an inner NAT not used, nothing
 * found (silence, closed port), refusals falling back to the next protocol, expiry,
 * the delete on stop and on free, and malformed answers ignored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "net/portmap.h"
#include "proto/natpmp.h"
#include "proto/pcp.h"

#define EXT "203.0.113.11"

struct gw {
	struct loop *loop;
	int fd;
	union sm_addr addr;
	bool natpmp, pcp, silent;
	int64_t boot;	     /* loop ms when the gateway (re)started */
	uint32_t grant;	     /* lifetime granted */
	uint16_t ext_port;   /* external port granted */
	unsigned refuse_natpmp, refuse_pcp; /* result codes for MAP, 0 = grant */
	unsigned n_pub, n_announce, n_natpmp_map, n_pcp_map, n_delete;
	uint8_t nonce[PCP_NONCE_LEN];
	bool nonce_changed;
	union sm_addr client;
	bool garbage_first; /* answer every request with junk first */
};

struct ev {
	unsigned mapped, lost;
	struct portmap_mapping m;
	enum portmap_why why;
	char text[256];
	bool done;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

static uint32_t epoch(struct gw *g)
{
	loop_update_now(g->loop);
	return (uint32_t)((loop_now(g->loop) - g->boot) / 1000) + 1000; /* up a while */
}

static void reply(struct gw *g, const uint8_t *b, size_t n)
{
	assert_int_equal(sendto(g->fd, b, n, 0, &g->client.sa, addr_len(&g->client)), (ssize_t)n);
}

static void natpmp_answer(struct gw *g, const uint8_t *q, size_t n)
{
	uint8_t b[16] = { 0, (uint8_t)(q[1] | 0x80) };
	struct in_addr ext;

	put32(b + 4, epoch(g));
	if (q[1] == 0) {
		g->n_pub++;
		inet_pton(AF_INET, EXT, &ext);
		memcpy(b + 8, &ext, 4);
		reply(g, b, 12);
		return;
	}
	assert_int_equal(n, 12);
	if (get32(q + 8) == 0) {
		g->n_delete++;
	} else {
		g->n_natpmp_map++;
	}
	if (g->refuse_natpmp) {
		put16(b + 2, (uint16_t)g->refuse_natpmp);
		reply(g, b, 8);
		return;
	}
	memcpy(b + 8, q + 4, 2);
	put16(b + 10, get32(q + 8) ? g->ext_port : 0);
	put32(b + 12, get32(q + 8) ? g->grant : 0);
	reply(g, b, 16);
}

static void pcp_answer(struct gw *g, const uint8_t *q, size_t n)
{
	uint8_t b[60] = { 2, (uint8_t)(q[1] | 0x80) };
	struct in_addr ext;

	put32(b + 8, epoch(g));
	if (q[1] == PCP_OP_ANNOUNCE) {
		g->n_announce++;
		reply(g, b, 24);
		return;
	}
	assert_int_equal(n, 60);
	if (get32(q + 4) == 0) {
		g->n_delete++;
	} else {
		if (g->n_pcp_map && memcmp(g->nonce, q + 24, PCP_NONCE_LEN))
			g->nonce_changed = true;
		g->n_pcp_map++;
	}
	memcpy(g->nonce, q + 24, PCP_NONCE_LEN);
	memcpy(b + 24, q + 24, 20); /* nonce, protocol, reserved, internal port */
	b[3] = (uint8_t)g->refuse_pcp;
	if (!g->refuse_pcp) {
		put32(b + 4, get32(q + 4) ? g->grant : 0);
		put16(b + 42, g->ext_port);
		inet_pton(AF_INET, EXT, &ext);
		b[54] = b[55] = 0xff;
		memcpy(b + 56, &ext, 4);
	}
	reply(g, b, 60);
}

static void gw_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct gw *g = arg;
	uint8_t q[1200];
	socklen_t sl = sizeof(g->client);
	ssize_t n;

	(void)l;
	(void)events;
	while ((n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT, &g->client.sa, &sl)) > 0) {
		if (g->silent || n < 2)
			continue;
		if (g->garbage_first) {
			static const uint8_t junk[][8] = { { 0 }, { 2, 0x81, 0, 0 }, { 0, 0x81, 0, 0, 1 },
							   { 9, 9, 9, 9, 9, 9, 9, 9 } };

			for (size_t i = 0; i < 4; i++)
				reply(g, junk[i], i + 4);
		}
		if (q[0] == 0) {
			if (g->natpmp) {
				natpmp_answer(g, q, (size_t)n);
			} else if (g->pcp) { /* a PCP-only gateway: UNSUPP_VERSION, PCP format */
				uint8_t b[24] = { 2, 0x80, 0, PCP_UNSUPP_VERSION };

				reply(g, b, sizeof(b));
			}
		} else if (q[0] == 2) {
			if (g->pcp) {
				pcp_answer(g, q, (size_t)n);
			} else if (g->natpmp) { /* NAT-PMP only: UNSUPP_VERSION, NAT-PMP format */
				uint8_t b[8] = { 0, (uint8_t)(0x80 | q[1]), 0, NATPMP_UNSUPP_VERSION };

				reply(g, b, sizeof(b));
			}
		}
	}
}

static void gw_open(struct gw *g, struct loop *l)
{
	socklen_t sl = sizeof(g->addr);

	memset(g, 0, sizeof(*g));
	g->loop = l;
	g->natpmp = g->pcp = true;
	g->grant = 7200;
	g->ext_port = 51820;
	g->boot = loop_now(l);
	g->addr.in.sin_family = AF_INET;
	g->addr.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(g->fd >= 0);
	assert_int_equal(bind(g->fd, &g->addr.sa, sizeof(g->addr.in)), 0);
	assert_int_equal(getsockname(g->fd, &g->addr.sa, &sl), 0);
	assert_int_equal(loop_fd_add(l, g->fd, LOOP_READ, gw_readable, g), 0);
}

static void gw_close(struct gw *g)
{
	loop_fd_remove(g->loop, g->fd);
	close(g->fd);
}

/* The gateway restarts: its epoch begins again. */
static void gw_reboot(struct gw *g)
{
	loop_update_now(g->loop);
	g->boot = loop_now(g->loop) + 1000 * 1000; /* epoch() then gives about 0 */
}

static void on_mapped(void *arg, const struct portmap_mapping *m)
{
	struct ev *ev = arg;

	ev->mapped++;
	ev->m = *m;
}

static void on_lost(void *arg, enum portmap_why why, const char *text)
{
	struct ev *ev = arg;

	ev->lost++;
	ev->why = why;
	snprintf(ev->text, sizeof(ev->text), "%s", text);
}

static void on_done(void *arg)
{
	((struct ev *)arg)->done = true;
}

static const struct portmap_cbs cbs = { on_mapped, on_lost };

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

/* Runs the loop until *flag is at least want or ms pass; returns the time taken. */
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

static void params(struct portmap_params *p, const struct gw *g)
{
	portmap_params_default(p);
	p->internal_port = 51820;
	p->gateway = g->addr;
	p->announce_port = 0;
	p->upnp = false;
	p->probe_ms = 20;
}

static struct portmap *start(struct loop *l, const struct portmap_params *p, struct ev *ev)
{
	struct portmap *pm = NULL;
	struct errbuf e = { "" };
	union sm_addr pub;

	memset(ev, 0, sizeof(*ev));
	assert_int_equal(portmap_new(l, p, &cbs, ev, &pm, &e), 0);
	assert_int_equal(addr_parse(EXT, strlen(EXT), AF_INET, ADDR_NO_PORT, &pub, NULL), 0);
	portmap_set_public(pm, &pub);
	assert_int_equal(ev->mapped + ev->lost, 0); /* never from inside a call */
	return pm;
}

static void assert_ext(const struct portmap_mapping *m, const char *want)
{
	char a[ADDR_STR_LEN];

	assert_string_equal(addr_format(&m->external, a, sizeof(a)), want);
}

static void test_natpmp_preferred(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap_status st;
	struct portmap *pm;
	struct gw g;
	struct ev ev;

	(void)state;
	gw_open(&g, l);
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.mapped, 1);
	assert_int_equal(ev.m.proto, PORTMAP_NATPMP);
	assert_ext(&ev.m, EXT ":51820");
	assert_int_equal(ev.m.lease_s, 7200);
	assert_int_equal(g.n_pcp_map, 0); /* PCP answered the probe too, but NAT-PMP wins */
	assert_int_equal(g.n_announce, 1);
	portmap_get_status(pm, &st);
	assert_int_equal(st.state, PORTMAP_MAPPED);
	assert_true(st.usable);
	assert_true(st.expires_in_ms > 7000 * 1000);
	/* stop: the delete (external 0, lifetime 0) goes out and is waited for */
	portmap_stop(pm, on_done, &ev);
	run_until(l, (unsigned *)NULL, 0, 100);
	assert_true(ev.done);
	assert_int_equal(g.n_delete, 1);
	assert_int_equal(ev.lost, 0);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_pcp_only_renewal(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	struct gw g;
	struct ev ev;
	int64_t t;

	(void)state;
	gw_open(&g, l);
	g.natpmp = false; /* answers NAT-PMP with PCP's UNSUPP_VERSION */
	g.grant = 2;	  /* short lease: renewed after 1 s */
	g.ext_port = 40001;
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.m.proto, PORTMAP_PCP);
	assert_ext(&ev.m, EXT ":40001");
	assert_int_equal(g.n_natpmp_map, 0);
	t = run_until(l, &ev.mapped, 2, 3000);
	assert_int_equal(ev.mapped, 2); /* renewed and told again */
	assert_true(t >= 800 && t <= 1500);
	assert_int_equal(g.n_pcp_map, 2);
	assert_false(g.nonce_changed); /* renewals repeat the mapping's nonce */
	/* free (no stop) still sends one delete with the nonce */
	portmap_free(pm);
	run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(g.n_delete, 1);
	assert_false(g.nonce_changed);
	gw_close(&g);
	loop_free(l);
}

static void test_restart_announced(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	union sm_addr to = { .in = { .sin_family = AF_INET } };
	int probe = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = sizeof(to);
	uint8_t ann[12] = { 0, 0x80 };
	struct in_addr ext;
	struct gw g;
	struct ev ev;
	int64_t t;

	(void)state;
	/* a free port for the announcements */
	to.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(probe, &to.sa, sizeof(to.in)), 0);
	assert_int_equal(getsockname(probe, &to.sa, &sl), 0);
	close(probe);
	gw_open(&g, l);
	params(&p, &g);
	p.announce_port = ntohs(to.in.sin_port);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.m.proto, PORTMAP_NATPMP);
	/* The gateway reboots and announces its new epoch (RFC 6886 3.2.1): mapped again
	 * at once, long before the renewal (an hour away). */
	gw_reboot(&g);
	inet_pton(AF_INET, EXT, &ext);
	memcpy(ann + 8, &ext, 4);
	put32(ann + 4, epoch(&g));
	assert_int_equal(sendto(g.fd, ann, sizeof(ann), 0, &to.sa, sizeof(to.in)), 12);
	t = run_until(l, &ev.mapped, 2, 2000);
	assert_int_equal(ev.mapped, 2);
	assert_true(t < 500);
	assert_int_equal(g.n_natpmp_map, 2);
	/* An announcement with an epoch that goes on as expected changes nothing. */
	put32(ann + 4, epoch(&g));
	assert_int_equal(sendto(g.fd, ann, sizeof(ann), 0, &to.sa, sizeof(to.in)), 12);
	run_until(l, (unsigned *)NULL, 0, 100);
	assert_int_equal(g.n_natpmp_map, 2);
	portmap_free(pm);

	/* PCP not asked at all; the gateway restarts and multicasts only a PCP ANNOUNCE
	 * (what miniupnpd does): judged by the NAT-PMP epoch, it still counts. */
	p.pcp = false;
	g.boot = loop_now(l) - 500 * 1000; /* up for a while again */
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.m.proto, PORTMAP_NATPMP);
	g.n_natpmp_map = 0;
	gw_reboot(&g);
	{
		uint8_t pa[24] = { 2, 0x80 | PCP_OP_ANNOUNCE };

		put32(pa + 8, epoch(&g));
		assert_int_equal(sendto(g.fd, pa, sizeof(pa), 0, &to.sa, sizeof(to.in)), 24);
	}
	t = run_until(l, &ev.mapped, 2, 2000);
	assert_int_equal(ev.mapped, 2);
	assert_true(t < 500);
	assert_int_equal(g.n_natpmp_map, 1);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_restart_at_renewal(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	struct gw g;
	struct ev ev;

	(void)state;
	gw_open(&g, l);
	g.natpmp = false;
	g.grant = 2;
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	gw_reboot(&g); /* silently: no announcement */
	g.ext_port = 40002; /* and the new mapping gets another port */
	run_until(l, &ev.mapped, 2, 3000);
	assert_int_equal(ev.mapped, 2);
	assert_ext(&ev.m, EXT ":40002");
	assert_int_equal(ev.lost, 0);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_inner_nat(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap_status st;
	struct portmap *pm = NULL;
	struct errbuf e;
	union sm_addr other, pub;
	struct gw g;
	struct ev ev = { 0 };

	(void)state;
	gw_open(&g, l);
	params(&p, &g);
	assert_int_equal(portmap_new(l, &p, &cbs, &ev, &pm, &e), 0);
	/* Mapped, but STUN has not said anything yet: nothing reported. */
	run_until(l, &g.n_natpmp_map, 1, 2000);
	run_until(l, (unsigned *)NULL, 0, 50);
	assert_int_equal(ev.mapped + ev.lost, 0);
	/* STUN sees another address: the gateway is behind another NAT */
	addr_parse("198.51.100.7", 12, AF_INET, ADDR_NO_PORT, &other, NULL);
	portmap_set_public(pm, &other);
	run_until(l, &ev.lost, 1, 500);
	assert_int_equal(ev.mapped, 0);
	assert_int_equal(ev.why, PORTMAP_WHY_INNER_NAT);
	assert_non_null(strstr(ev.text, "inner NAT"));
	assert_non_null(strstr(ev.text, "198.51.100.7"));
	portmap_get_status(pm, &st);
	assert_false(st.usable);
	/* STUN agrees after all: now it counts */
	addr_parse(EXT ":9", strlen(EXT ":9"), AF_INET, 0, &pub, NULL); /* port ignored */
	portmap_set_public(pm, &pub);
	run_until(l, &ev.mapped, 1, 500);
	assert_int_equal(ev.mapped, 1);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_none_found(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap_status st;
	struct portmap *pm;
	struct gw g;
	struct ev ev;
	int64_t t;

	(void)state;
	gw_open(&g, l);
	g.silent = true;
	params(&p, &g);
	pm = start(l, &p, &ev);
	t = run_until(l, &ev.lost, 1, 3000);
	assert_int_equal(ev.why, PORTMAP_WHY_NONE_FOUND);
	assert_non_null(strstr(ev.text, "NAT-PMP no answer to 4 requests"));
	assert_non_null(strstr(ev.text, "PCP no answer to 4 requests"));
	/* 20 + 40 + 80 + 160 ms of retransmissions */
	assert_true(t >= 280 && t < 1000);
	portmap_get_status(pm, &st);
	assert_int_equal(st.state, PORTMAP_NONE);
	/* a re-probe finding the same nothing is not told again */
	portmap_reprobe(pm);
	run_until(l, (unsigned *)NULL, 0, 500);
	assert_int_equal(ev.lost, 1);
	portmap_free(pm);
	/* nothing listening on the port at all: the ICMP error ends the probe at once */
	gw_close(&g);
	pm = start(l, &p, &ev);
	t = run_until(l, &ev.lost, 1, 3000);
	assert_int_equal(ev.why, PORTMAP_WHY_NONE_FOUND);
	assert_non_null(strstr(ev.text, "port 5351 closed"));
	assert_true(t < 200);
	portmap_free(pm);
	loop_free(l);
}

static void test_refusals(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	struct gw g;
	struct ev ev;

	(void)state;
	gw_open(&g, l);
	g.refuse_natpmp = NATPMP_NOT_AUTHORIZED; /* NAT-PMP refuses: PCP is next */
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.m.proto, PORTMAP_PCP);
	assert_int_equal(g.n_natpmp_map, 1);
	portmap_free(pm);
	/* both refuse: told once, with the reason */
	g.refuse_pcp = PCP_NOT_AUTHORIZED;
	g.n_natpmp_map = g.n_pcp_map = 0;
	pm = start(l, &p, &ev);
	run_until(l, &ev.lost, 1, 2000);
	assert_int_equal(ev.mapped, 0);
	assert_int_equal(ev.why, PORTMAP_WHY_REFUSED);
	assert_non_null(strstr(ev.text, "not authorized"));
	assert_int_equal(g.n_natpmp_map, 1);
	assert_int_equal(g.n_pcp_map, 1);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_expiry(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	struct gw g;
	struct ev ev;
	int64_t t;

	(void)state;
	gw_open(&g, l);
	g.grant = 3;
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	g.silent = true; /* the gateway goes away */
	t = run_until(l, &ev.lost, 1, 6000);
	assert_int_equal(ev.lost, 1);
	assert_int_equal(ev.why, PORTMAP_WHY_EXPIRED);
	/* renewals from 1.5 s on, given up when the lease has under 2 s left */
	assert_true(t >= 1400 && t <= 3200);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_garbage(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm;
	struct gw g;
	struct ev ev;

	(void)state;
	gw_open(&g, l);
	g.garbage_first = true; /* junk before every real answer */
	g.natpmp = false;
	params(&p, &g);
	pm = start(l, &p, &ev);
	run_until(l, &ev.mapped, 1, 2000);
	assert_int_equal(ev.mapped, 1);
	assert_int_equal(ev.m.proto, PORTMAP_PCP);
	portmap_free(pm);
	gw_close(&g);
	loop_free(l);
}

static void test_params(void **state)
{
	struct loop *l = new_loop();
	struct portmap_params p;
	struct portmap *pm = NULL;
	struct errbuf e;

	(void)state;
	portmap_params_default(&p);
	assert_int_equal(portmap_new(l, &p, &cbs, NULL, &pm, &e), -EINVAL); /* port 0 */
	p.internal_port = 51820;
	p.tries = 0;
	assert_int_equal(portmap_new(l, &p, &cbs, NULL, &pm, &e), -EINVAL);
	assert_null(pm);
	portmap_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_natpmp_preferred),
		cmocka_unit_test(test_pcp_only_renewal),
		cmocka_unit_test(test_restart_announced),
		cmocka_unit_test(test_restart_at_renewal),
		cmocka_unit_test(test_inner_nat),
		cmocka_unit_test(test_none_found),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_params),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
