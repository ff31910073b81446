/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: net/relay (and its TURN client) on the event loop, as the
 * daemon will run them, for the lab's coturn and wireguard-go.
 *   relay_run SERVER:PORT USER WG-PORT PEER:PORT... [--debug] [--dead MS]
 * The password is in $TURN_PASSWORD, or the REST API secret in $TURN_SECRET (never in
 * argv). One line per callback, flushed:
 *   "allocated RELAYED mapped MAPPED"     (again after every re-allocation)
 *   "ready N local 127.0.0.1:P channel 0x4000"  (peer N, counting from 1, as given)
 *   "moved N REMOTE"  "failed N WHY"  "lost ERR WHY"
 * SIGUSR1 prints "stats N to_relay T from_relay F dropped D" per peer; SIGTERM and
 * SIGINT release the allocation and exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "net/relay.h"

#define MAX_PEERS 16

struct app {
	struct loop *loop;
	struct relay *r;
	struct relay_peer *peers[MAX_PEERS];
	int n;
};

static int index_of(struct app *a, struct relay_peer *rp)
{
	for (int i = 0; i < a->n; i++)
		if (a->peers[i] == rp)
			return i + 1;
	return 0;
}

static void on_allocated(void *arg, const union sm_addr *relayed, const union sm_addr *mapped)
{
	char x[ADDR_STR_LEN], y[ADDR_STR_LEN];

	(void)arg;
	printf("allocated %s mapped %s\n", addr_format(relayed, x, sizeof(x)),
	       addr_format(mapped, y, sizeof(y)));
	fflush(stdout);
}

static void on_lost(void *arg, int err, const char *why)
{
	(void)arg;
	printf("lost %d %s\n", err, why);
	fflush(stdout);
}

static void on_ready(void *arg, struct relay_peer *rp, void *peer_arg)
{
	struct relay_peer_stats st;
	char x[ADDR_STR_LEN];

	(void)peer_arg;
	relay_peer_stats(rp, &st);
	printf("ready %d local %s channel 0x%04x\n", index_of(arg, rp),
	       addr_format(relay_peer_local(rp), x, sizeof(x)), st.channel);
	fflush(stdout);
}

static void on_failed(void *arg, struct relay_peer *rp, void *peer_arg, const char *why)
{
	(void)peer_arg;
	printf("failed %d %s\n", index_of(arg, rp), why);
	fflush(stdout);
}

static void on_moved(void *arg, struct relay_peer *rp, void *peer_arg, const union sm_addr *to)
{
	char x[ADDR_STR_LEN];

	(void)peer_arg;
	printf("moved %d %s\n", index_of(arg, rp), addr_format(to, x, sizeof(x)));
	fflush(stdout);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	struct app *a = arg;

	if (signo != SIGUSR1) {
		loop_stop(l);
		return;
	}
	for (int i = 0; i < a->n; i++) {
		struct relay_peer_stats st;

		relay_peer_stats(a->peers[i], &st);
		printf("stats %d to_relay %llu from_relay %llu dropped %llu\n", i + 1,
		       (unsigned long long)st.to_relay, (unsigned long long)st.from_relay,
		       (unsigned long long)st.dropped);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct relay_cbs cbs = { on_allocated, on_lost, on_ready, on_failed, on_moved };
	struct relay_params p;
	struct app a = { 0 };
	struct logger log;
	struct errbuf e = { "" };
	union sm_addr peers[MAX_PEERS];
	int np = 0, rc = 1;

	if (sodium_init() < 0)
		return 1;
	log_init(&log, stderr);
	relay_params_default(&p);
	p.turn.log = &log;
	if (argc < 5)
		goto usage;
	if (addr_parse(argv[1], strlen(argv[1]), AF_INET, 0, &p.turn.server, &e))
		goto bad;
	p.turn.server_name = argv[1];
	p.turn.username = argv[2];
	p.wg_port = (uint16_t)atoi(argv[3]);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--debug")) {
			log.level = LOG_DEBUG;
		} else if (!strcmp(argv[i], "--dead") && i + 1 < argc) {
			p.dead_ms = atoi(argv[++i]);
		} else if (np < MAX_PEERS) {
			if (addr_parse(argv[i], strlen(argv[i]), AF_INET, 0, &peers[np++], &e))
				goto bad;
		}
	}
	p.turn.password = getenv("TURN_PASSWORD");
	p.turn.secret = getenv("TURN_SECRET");
	if (!np || (!p.turn.password == !p.turn.secret))
		goto usage;
	if (loop_new(&a.loop, &e) || loop_signal_add(a.loop, SIGTERM, on_signal, &a) ||
	    loop_signal_add(a.loop, SIGINT, on_signal, &a) ||
	    loop_signal_add(a.loop, SIGUSR1, on_signal, &a) ||
	    relay_new(a.loop, &p, &cbs, &a, &a.r, &e))
		goto out;
	for (; a.n < np; a.n++)
		if (relay_peer_add(a.r, &peers[a.n], NULL, &a.peers[a.n], &e))
			goto out;
	rc = loop_run(a.loop) ? 1 : 0;
out:
	if (e.msg[0])
		fprintf(stderr, "relay_run: %s\n", e.msg);
	relay_free(a.r);
	loop_free(a.loop);
	return rc;
bad:
	fprintf(stderr, "relay_run: %s\n", e.msg);
	return 2;
usage:
	fprintf(stderr, "usage: TURN_PASSWORD=... relay_run SERVER:PORT USER WG-PORT PEER:PORT... "
			"[--debug] [--dead MS]\n");
	return 2;
}
