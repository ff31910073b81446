/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `stunmesh stun`: asks every STUN server which public endpoint a local UDP port (a
 * WireGuard listen port) maps to, from that port, and says what the answers mean for
 * hole punching. A diagnostic: unlike the daemon it asks all servers, not just until
 * the first answer. */
#include "cmd/cmdline.h"
#include "lib/loop.h"
#include "net/discover.h"
#include "wg/wg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s stun [-i IFACE | --port N] [--fwmark M] [--server HOST:PORT]...\n"
		"                [-4] [-6] [-v] [-c FILE] [--config-dir DIR]\n"
		"Asks each STUN server, from the WireGuard listen port, which public endpoint the\n"
		"NAT maps that port to, and prints every answer with its round-trip time.\n"
		"  -i, --interface IFACE  use this WireGuard interface's listen port and fwmark\n"
		"      --port N           use local UDP port N (no interface needed)\n"
		"      --fwmark M         mark the probes (default: the interface's fwmark, or none)\n"
		"  -s, --server H:P       ask this server; repeatable (default: stun.addresses\n"
		"                         from the configuration)\n"
		"  -4, -6                 IPv4 and/or IPv6 (default: the interface's protocol in\n"
		"                         the configuration, else IPv4)\n"
		"  -v, --verbose          log every dropped packet and retransmission\n"
		"  -c, --config FILE      configuration file; --config-dir DIR as for run\n"
		"Needs CAP_NET_RAW (and CAP_NET_ADMIN with a fwmark).\n"
		"exit status: 0 at least one server answered, 1 none did, 2 usage, 3 configuration\n",
		prog);
}

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One discovery on the shared event loop: its raw socket as a loop fd, its next
 * deadline as a loop timer. Times given to discover are microseconds read at each
 * callback, so round-trip times keep their precision (the loop's clock is in ms). */
struct stun_run {
	struct loop *loop;
	struct discover *d;
	struct loop_timer timer;
	int fd; /* watched by the loop, -1 when not */
	size_t *running; /* discoveries not done yet; the loop stops at 0 */
};

static void run_check(struct stun_run *s)
{
	int64_t t, now;

	if (!discover_done(s->d)) {
		t = discover_next_timeout(s->d);
		if (t == INT64_MAX)
			return;
		now = now_us();
		loop_timer_arm(s->loop, &s->timer, t <= now ? 0 : (t - now + 999) / 1000);
		return;
	}
	if (s->fd >= 0)
		loop_fd_remove(s->loop, s->fd);
	s->fd = -1;
	loop_timer_cancel(s->loop, &s->timer);
	if (--*s->running == 0)
		loop_stop(s->loop);
}

static void run_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct stun_run *s = arg;

	(void)l;
	(void)fd;
	(void)events;
	discover_on_readable(s->d, now_us());
	run_check(s);
}

static void run_timer(struct loop *l, void *arg)
{
	struct stun_run *s = arg;
	int64_t now = now_us();

	(void)l;
	/* The loop's millisecond clock may fire a little early: then it only re-arms. */
	if (discover_next_timeout(s->d) <= now)
		discover_on_timeout(s->d, now);
	run_check(s);
}

/* Runs every started discovery to completion on one event loop. */
static int run_all(struct app *app, struct discover *ds, size_t n)
{
	struct stun_run runs[2];
	struct errbuf e = { "" };
	struct loop *l = NULL;
	size_t running = 0;
	int r;

	if (loop_new(&l, &e)) {
		fprintf(stderr, "%s stun: %s\n", app->prog, e.msg);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct stun_run *s = &runs[i];

		*s = (struct stun_run){ .loop = l, .d = &ds[i], .fd = discover_fd(&ds[i]),
					.running = &running };
		loop_timer_init(&s->timer, run_timer, s);
		if (discover_done(s->d))
			continue;
		if (s->fd >= 0) {
			r = loop_fd_add(l, s->fd, LOOP_READ, run_readable, s);
			if (r) {
				fprintf(stderr, "%s stun: watching the raw socket: %s\n", app->prog,
					strerror(-r));
				goto out;
			}
		}
		running++;
		run_check(s);
	}
	r = running ? loop_run(l) : 0;
	if (r)
		fprintf(stderr, "%s stun: event loop failed: %s\n", app->prog, strerror(-r));
out:
	for (size_t i = 0; i < n; i++)
		loop_timer_cancel(l, &runs[i].timer);
	loop_free(l);
	return r;
}

/* Prints one family's answers; returns how many servers answered. */
static size_t report(const struct discover *d, uint16_t port)
{
	const char *fam = d->family == AF_INET ? "IPv4" : "IPv6";
	const union sm_addr *first = NULL;
	bool ports_differ = false, addrs_differ = false;
	char a[80];

	for (size_t i = 0; i < d->n_servers; i++) {
		const struct discover_server *s = &d->servers[i];

		if (s->state != DS_OK) {
			printf("%s  %-28s failed: %s\n", fam, s->spec,
			       s->state == DS_FAILED ? s->error : "not asked");
			continue;
		}
		addr_format(&s->mapped, a, sizeof(a));
		printf("%s  %-28s %s  rtt %.2f ms%s\n", fam, s->spec, a, (double)s->rtt_us / 1000,
		       s->from_xor ? "" : "  (RFC 3489 MAPPED-ADDRESS)");
		if (s->unknown_required)
			printf("%s  %-28s note: %u unknown comprehension-required attribute(s) "
			       "ignored\n", fam, s->spec, s->unknown_required);
		if (!first) {
			first = &s->mapped;
			continue;
		}
		if (addr_port(&s->mapped) != addr_port(first))
			ports_differ = true;
		if (!addr_same_host(&s->mapped, first))
			addrs_differ = true;
	}
	if (!first) {
		printf("%s  no server answered\n", fam);
		return 0;
	}
	addr_format(first, a, sizeof(a));
	printf("%s  public endpoint %s for local port %u%s\n", fam, a, port,
	       addr_port(first) == port ? " (port preserved)" : "");
	if (ports_differ)
		printf("warning: %s: servers saw different ports for local port %u: the NAT looks "
		       "symmetric (endpoint-dependent mapping), so hole punching will likely "
		       "fail; put at least one peer behind a cone NAT or give it a public "
		       "endpoint\n",
		       fam, port);
	if (addrs_differ)
		printf("warning: %s: servers saw different public addresses (several NAT "
		       "addresses or paths)\n", fam);
	return d->answered;
}

/* The WireGuard interface's port and fwmark. */
static int from_interface(struct app *app, const char *ifname, enum wg_backend_kind kind,
			  uint16_t *port, uint32_t *fwmark)
{
	struct wg_device *dev = NULL;
	struct errbuf e = { "" };
	int r;

	r = wg_device_get(ifname, kind, &dev, &e);
	if (r) {
		fprintf(stderr, "%s stun: %s\n", app->prog, e.msg[0] ? e.msg : strerror(-r));
		return EXIT_FAIL;
	}
	if (!dev->listen_port) {
		fprintf(stderr, "%s stun: %s has no listen port yet\n", app->prog, ifname);
		wg_device_free(dev);
		return EXIT_FAIL;
	}
	*port = dev->listen_port;
	*fwmark = dev->fwmark;
	wg_device_free(dev);
	return EXIT_OK;
}

/* AF_INET or AF_INET6 for an address literal "a.b.c.d:p" / "[v6]:p", else 0. */
static int literal_family(const char *spec)
{
	union sm_addr a;

	return addr_parse(spec, strlen(spec), AF_UNSPEC, 0, &a, NULL) ? 0 : a.sa.sa_family;
}

static int parse_u32(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* What the command line asks for, filled in from the configuration and the device. */
struct stun_opts {
	struct config_source src;
	const char *ifname;
	char **servers; /* owned array; the strings are argv's or the config's */
	size_t n_servers;
	bool want4, want6, verbose, fwmark_set;
	uint16_t port;
	uint32_t fwmark;
};

/* -1 to go on, or the exit status (help, a usage error). */
static int parse_args(struct app *app, int argc, char **argv, struct stun_opts *o)
{
	enum { OPT_PORT = 0x2000, OPT_FWMARK };
	static const struct option opts[] = {
		CMDLINE_CONFIG_OPTIONS,
		{ "interface", required_argument, NULL, 'i' },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "fwmark", required_argument, NULL, OPT_FWMARK },
		{ "server", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int opt;

	optind = 1;
	while ((opt = getopt_long_only(argc, argv, "c:i:s:46vh", opts, NULL)) != -1) {
		if (cmdline_config_option(opt, optarg, &o->src))
			continue;
		switch (opt) {
		case 'i':
			o->ifname = optarg;
			break;
		case OPT_PORT:
			if (parse_u32(optarg, 65535, &v) || v == 0) {
				fprintf(stderr, "%s stun: --port: '%s' is not a port (1-65535)\n",
					app->prog, optarg);
				return EXIT_USAGE;
			}
			o->port = (uint16_t)v;
			break;
		case OPT_FWMARK:
			if (parse_u32(optarg, 0xffffffffUL, &v)) {
				fprintf(stderr, "%s stun: --fwmark: '%s' is not a 32-bit number\n",
					app->prog, optarg);
				return EXIT_USAGE;
			}
			o->fwmark = (uint32_t)v;
			o->fwmark_set = true;
			break;
		case 's': {
			char **n = realloc(o->servers, (o->n_servers + 1) * sizeof(*n));

			if (!n)
				return EXIT_FAIL;
			o->servers = n;
			o->servers[o->n_servers++] = optarg;
			break;
		}
		case '4': o->want4 = true; break;
		case '6': o->want6 = true; break;
		case 'v': o->verbose = true; break;
		case 'h':
			usage(stdout, app->prog);
			return EXIT_OK;
		default:
			usage(stderr, app->prog);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s stun: unexpected argument '%s'\n", app->prog, argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->ifname == !o->port) {
		fprintf(stderr, "%s stun: give exactly one of -i IFACE or --port N\n", app->prog);
		return EXIT_USAGE;
	}
	return -1;
}

/* The configuration supplies the servers (unless given here) and, for -i, the
 * interface's protocol and backend; the device its port and fwmark. No file is fine:
 * the defaults apply. 0 or the exit status. */
static int settle(struct app *app, struct stun_opts *o, struct config **cfg)
{
	int r;

	if (!o->n_servers || o->ifname) {
		r = cmdline_load_config(app, &o->src, o->src.file || o->src.dir, cfg);
		if (r)
			return r;
	}
	if (o->verbose)
		app->log.level = LOG_DEBUG;
	if (!o->n_servers) {
		if ((*cfg)->stun_defaulted)
			fprintf(stderr, "%s stun: no stun.addresses configured; using %s\n",
				app->prog, CONFIG_DEFAULT_STUN);
		o->servers = malloc((*cfg)->n_stun_servers * sizeof(*o->servers));
		if (!o->servers && (*cfg)->n_stun_servers)
			return EXIT_FAIL;
		for (size_t i = 0; i < (*cfg)->n_stun_servers; i++)
			o->servers[o->n_servers++] = (*cfg)->stun_servers[i];
		if (!o->n_servers) {
			fprintf(stderr, "%s stun: no STUN servers (use --server)\n", app->prog);
			return EXIT_CONFIG;
		}
	}
	if (o->ifname) {
		enum wg_backend_kind kind = WG_BACKEND_AUTO;
		uint32_t dev_mark = 0;

		for (size_t i = 0; *cfg && i < (*cfg)->n_ifaces; i++) {
			const struct config_iface *ci = &(*cfg)->ifaces[i];

			if (strcmp(ci->name, o->ifname))
				continue;
			kind = ci->backend;
			if (!o->want4 && !o->want6) {
				o->want4 = ci->protocol != FAMILY_IPV6;
				o->want6 = ci->protocol != FAMILY_IPV4;
			}
		}
		r = from_interface(app, o->ifname, kind, &o->port, &dev_mark);
		if (r)
			return r;
		if (!o->fwmark_set)
			o->fwmark = dev_mark;
	}
	if (!o->want4 && !o->want6)
		o->want4 = true;
	return EXIT_OK;
}

/* One discovery per family asked for, into ds; 0 or the exit status. */
static int start_all(struct app *app, const struct stun_opts *o, struct discover *ds,
		     size_t *n_ds)
{
	struct discover_params p;
	char **fam_servers = malloc(o->n_servers * sizeof(*fam_servers));
	int ret = EXIT_OK;

	if (!fam_servers)
		return EXIT_FAIL;
	discover_params_default(&p);
	p.query_all = true;
	for (int f = 0; f < 2; f++) {
		int family = f == 0 ? AF_INET : AF_INET6, r;
		const char *fam = family == AF_INET ? "IPv4" : "IPv6";
		struct errbuf e = { "" };
		size_t n = 0;

		if ((family == AF_INET && !o->want4) || (family == AF_INET6 && !o->want6))
			continue;
		/* An address literal of the other family is no use here; names stay (they
		 * may have addresses of both). */
		for (size_t i = 0; i < o->n_servers; i++)
			if (literal_family(o->servers[i]) != (family == AF_INET ? AF_INET6 : AF_INET))
				fam_servers[n++] = o->servers[i];
		if (!n) {
			printf("%s  no servers with %s addresses given\n", fam, fam);
			continue;
		}
		r = discover_start(&ds[*n_ds], fam_servers, n, family, o->port, o->fwmark, &p, NULL,
				   &app->log, now_us(), &e);
		if (r) {
			fprintf(stderr, "%s stun: %s: %s\n", app->prog, fam, e.msg);
			ret = r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
			break;
		}
		(*n_ds)++;
	}
	free(fam_servers);
	return ret;
}

int cmd_stun(struct app *app, int argc, char **argv)
{
	struct stun_opts o = { .src = { 0 } };
	struct config *cfg = NULL;
	struct discover ds[2];
	size_t n_ds = 0, answered = 0;
	int ret;

	ret = parse_args(app, argc, argv, &o);
	if (ret >= 0)
		goto out;
	ret = settle(app, &o, &cfg);
	if (ret)
		goto out;
	if (sodium_init() < 0) {
		fprintf(stderr, "%s stun: libsodium failed to initialise\n", app->prog);
		ret = EXIT_FAIL;
		goto out;
	}
	ret = start_all(app, &o, ds, &n_ds);
	if (ret)
		goto out_ds;
	printf("local UDP port %u%s", o.port, o.ifname ? " of " : "");
	if (o.ifname)
		printf("%s", o.ifname);
	if (o.fwmark)
		printf(", fwmark 0x%x", o.fwmark);
	printf("\n");
	fflush(stdout);
	if (run_all(app, ds, n_ds)) {
		ret = EXIT_FAIL;
		goto out_ds;
	}
	for (size_t i = 0; i < n_ds; i++)
		answered += report(&ds[i], o.port);
	ret = answered ? EXIT_OK : EXIT_FAIL;
out_ds:
	for (size_t i = 0; i < n_ds; i++)
		discover_free(&ds[i]);
out:
	free(o.servers);
	config_free(cfg);
	return ret;
}
