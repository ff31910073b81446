/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Benchmark, not installed: packets per second through net/relay on one core.
 *
 *   relay_bench local [--size N] [--seconds S] [--window W]
 *       the relay (pinned to CPU 0) against a TURN server played in a second process
 *       (tests/unit/turn_sim.h, pinned to CPU 1) that sends every ChannelData straight
 *       back, so the server is not what is measured; the second process also plays
 *       WireGuard, keeping W packets in flight through the relay's local endpoint.
 *   relay_bench turn SERVER:PORT USER PEER:PORT [--size N] [--seconds S] [--window W]
 *       the same through a real TURN server (password in $TURN_PASSWORD) to PEER, an
 *       echo (relay_bench echo) behind it.
 *   relay_bench echo ADDR:PORT
 *       a UDP echo with recvmmsg/sendmmsg, until killed.
 *
 * Every packet crosses the relay twice (WireGuard -> server, server -> WireGuard).
 * Prints one line: "size N window W seconds S round_trips/s R relayed_pkts/s P
 * relay_cpu C% pkts_per_cpu_s K in_flight F", where relay_cpu is the relay process's
 * CPU time over the window (from /proc/PID/schedstat), pkts_per_cpu_s what one
 * fully busy core would forward at that cost, and in_flight the packets still out at
 * the end (the window less what was lost). On a 2-core machine the second process
 * (server and WireGuard in one) is as busy as the relay per packet, so the relay is
 * not driven to a full core: relay_cpu says how much of one it took. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../unit/turn_sim.h"
#include "net/relay.h"

#define B 64

struct opts {
	size_t size;
	int seconds;
	unsigned window;
};

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* CPU seconds of pid, at nanosecond resolution (schedstat; /proc/PID/stat counts in
 * 10 ms ticks). */
static double cpu_seconds(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return (double)ns / 1e9;
}

static int udp_bound(const char *ip, uint16_t port, union sm_addr *a)
{
	socklen_t sl = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), big = 8 << 20;

	memset(a, 0, sizeof(*a));
	a->in.sin_family = AF_INET;
	a->in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->in.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind(fd, &a->sa, sizeof(a->in)) || getsockname(fd, &a->sa, &sl)) {
		perror("bind");
		exit(1);
	}
	return fd;
}

/* --- the relay process --- */

struct rstate {
	int report; /* pipe: the local endpoint's port once the peer is ready */
	struct relay_peer *rp;
	bool told;
};

static void r_ready(void *arg, struct relay_peer *rp, void *peer_arg)
{
	struct rstate *s = arg;
	uint16_t port = addr_port(relay_peer_local(rp));

	(void)peer_arg;
	if (!s->told && write(s->report, &port, sizeof(port)) == (ssize_t)sizeof(port))
		s->told = true;
}

static void r_lost(void *arg, int err, const char *why)
{
	(void)arg;
	(void)err;
	fprintf(stderr, "relay_bench: %s\n", why);
}

static void run_relay(const union sm_addr *server, const char *user, const char *pass,
		      const union sm_addr *peer, uint16_t wg_port, int report)
{
	static const struct relay_cbs cbs = { NULL, r_lost, r_ready, NULL, NULL };
	struct relay_params p;
	struct rstate s = { .report = report };
	struct loop *l;
	struct relay *r;
	struct errbuf e = { "" };

	pin(0);
	relay_params_default(&p);
	p.turn.server = *server;
	p.turn.username = user;
	p.turn.password = pass;
	p.wg_port = wg_port;
	p.local_buf = 8 << 20;
	p.dead_ms = 1000000; /* the echo never goes quiet; no checks in the numbers */
	if (loop_new(&l, &e) || relay_new(l, &p, &cbs, &s, &r, &e) ||
	    relay_peer_add(r, peer, NULL, &s.rp, &e)) {
		fprintf(stderr, "relay_bench: %s\n", e.msg);
		_exit(1);
	}
	loop_run(l);
	_exit(0);
}

/* --- the WireGuard side: W packets in flight, one more per one back --- */

struct gen {
	int fd;
	union sm_addr to;
	struct mmsghdr in[B], out[B];
	struct iovec iin[B], iout[B];
	uint8_t rbuf[B][2048];
	uint8_t pkt[2048];
	uint64_t got, sent;
	bool counting;
};

static void gen_send(struct gen *g, unsigned n)
{
	while (n) {
		unsigned k = n > B ? B : n;
		int s = sendmmsg(g->fd, g->out, k, 0);

		if (s <= 0)
			return;
		g->sent += (unsigned)s;
		n -= (unsigned)s;
	}
}

static void gen_init(struct gen *g, int fd, uint16_t port, size_t size)
{
	memset(g->pkt, 0xab, sizeof(g->pkt));
	g->fd = fd;
	g->to.in.sin_family = AF_INET;
	g->to.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	g->to.in.sin_port = htons(port);
	connect(fd, &g->to.sa, sizeof(g->to.in));
	for (size_t i = 0; i < B; i++) {
		g->iin[i] = (struct iovec){ g->rbuf[i], sizeof(g->rbuf[i]) };
		g->in[i].msg_hdr.msg_iov = &g->iin[i];
		g->in[i].msg_hdr.msg_iovlen = 1;
		g->iout[i] = (struct iovec){ g->pkt, size };
		g->out[i].msg_hdr.msg_iov = &g->iout[i];
		g->out[i].msg_hdr.msg_iovlen = 1;
	}
}

static void gen_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct gen *g = arg;
	int n = recvmmsg(fd, g->in, B, MSG_DONTWAIT, NULL);

	(void)l;
	(void)events;
	if (n <= 0)
		return;
	g->got += (unsigned)n;
	gen_send(g, (unsigned)n);
}

static void stop_cb(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

/* Runs the generator (and, in local mode, the server) for the window; prints. */
static int measure(struct loop *l, struct gen *g, pid_t relay, const struct opts *o)
{
	struct loop_timer warm, end;
	uint64_t got0;
	double t0, c0, dt, cpu;

	loop_timer_init(&warm, stop_cb, NULL);
	loop_timer_init(&end, stop_cb, NULL);
	loop_fd_add(l, g->fd, LOOP_READ, gen_readable, g);
	gen_send(g, o->window);
	loop_timer_arm(l, &warm, 1000); /* warm up: buffers, caches, the window filling */
	loop_run(l);
	/* a window that drained (losses) is topped up */
	if (g->sent - g->got < o->window / 2)
		gen_send(g, o->window - (unsigned)(g->sent - g->got));
	got0 = g->got;
	t0 = mono();
	c0 = cpu_seconds(relay);
	loop_timer_arm(l, &end, (int64_t)o->seconds * 1000);
	loop_run(l);
	dt = mono() - t0;
	cpu = cpu_seconds(relay) - c0;
	printf("size %zu window %u seconds %.1f round_trips/s %.0f relayed_pkts/s %.0f "
	       "relay_cpu %.0f%% pkts_per_cpu_s %.0f in_flight %llu\n",
	       o->size, o->window, dt, (double)(g->got - got0) / dt,
	       2.0 * (double)(g->got - got0) / dt, 100.0 * cpu / dt,
	       cpu > 0 ? 2.0 * (double)(g->got - got0) / cpu : 0.0,
	       (unsigned long long)(g->sent - g->got));
	fflush(stdout);
	return g->got > got0 ? 0 : 1;
}

static int parse_opts(int argc, char **argv, int first, struct opts *o)
{
	*o = (struct opts){ .size = 1452, .seconds = 5, .window = 256 };
	for (int i = first; i < argc; i++) {
		if (i + 1 >= argc)
			return -1;
		if (!strcmp(argv[i], "--size"))
			o->size = (size_t)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--seconds"))
			o->seconds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--window"))
			o->window = (unsigned)atoi(argv[++i]);
		else
			return -1;
	}
	return o->size >= 8 && o->size <= 2000 && o->seconds > 0 && o->window > 0 ? 0 : -1;
}

static int echo(const char *spec)
{
	union sm_addr a, from[B];
	struct mmsghdr m[B];
	struct iovec iov[B];
	static uint8_t buf[B][2048];
	struct errbuf e;
	int fd;

	if (addr_parse(spec, strlen(spec), AF_INET, 0, &a, &e))
		return fprintf(stderr, "relay_bench: %s\n", e.msg), 2;
	fd = udp_bound("0.0.0.0", 0, &(union sm_addr){ 0 });
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		int big = 8 << 20;

		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
		setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	}
	if (bind(fd, &a.sa, sizeof(a.in)))
		return perror("bind"), 1;
	for (;;) {
		int n;

		for (int i = 0; i < B; i++) {
			iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
			m[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
						       .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = recvmmsg(fd, m, B, MSG_WAITFORONE, NULL);
		if (n <= 0)
			continue;
		for (int i = 0; i < n; i++)
			iov[i].iov_len = m[i].msg_len;
		sendmmsg(fd, m, (unsigned)n, 0);
	}
}

int main(int argc, char **argv)
{
	struct opts o;
	struct loop *l;
	struct errbuf e = { "" };
	static struct gen g;
	static struct turn_sim sim;
	union sm_addr server, peer, wga;
	const char *user = "alice", *pass = "sim-password";
	int wg, pfd[2], rc;
	uint16_t port = 0;
	bool local;
	pid_t pid;

	if (argc >= 3 && !strcmp(argv[1], "echo"))
		return echo(argv[2]);
	local = argc >= 2 && !strcmp(argv[1], "local");
	if (!(local && parse_opts(argc, argv, 2, &o) == 0) &&
	    !(argc >= 5 && !strcmp(argv[1], "turn") && parse_opts(argc, argv, 5, &o) == 0)) {
		fprintf(stderr, "usage: relay_bench local [--size N] [--seconds S] [--window W]\n"
				"       relay_bench turn SERVER:PORT USER PEER:PORT [...]\n"
				"       relay_bench echo ADDR:PORT\n");
		return 2;
	}
	if (sodium_init() < 0 || loop_new(&l, &e))
		return 1;
	if (local) {
		if (turn_sim_open(&sim, l, 0))
			return perror("sim"), 1;
		sim.echo = true;
		server = sim.addr;
		addr_parse("127.0.0.1:9", 11, AF_INET, 0, &peer, NULL); /* any: echoed anyway */
	} else {
		if (addr_parse(argv[2], strlen(argv[2]), AF_INET, 0, &server, &e) ||
		    addr_parse(argv[4], strlen(argv[4]), AF_INET, 0, &peer, &e))
			return fprintf(stderr, "relay_bench: %s\n", e.msg), 2;
		user = argv[3];
		if (!(pass = getenv("TURN_PASSWORD")))
			return fprintf(stderr, "relay_bench: set TURN_PASSWORD\n"), 2;
	}
	wg = udp_bound("127.0.0.1", 0, &wga);
	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		run_relay(&server, user, pass, &peer, addr_port(&wga), pfd[1]);
	}
	close(pfd[1]);
	pin(1);
	/* the server (local mode) answers the relay's allocation while we wait */
	for (int i = 0; i < 500 && !port; i++) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		loop_run_once(l, 0);
		if (poll(&p, 1, 10) == 1 && read(pfd[0], &port, sizeof(port)) != (ssize_t)sizeof(port))
			break;
	}
	if (!port) {
		fprintf(stderr, "relay_bench: the relay did not get ready\n");
		kill(pid, SIGKILL);
		return 1;
	}
	gen_init(&g, wg, port, o.size);
	rc = measure(l, &g, pid, &o);
	kill(pid, SIGTERM);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc;
}
