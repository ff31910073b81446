/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: net/portmap on the event loop, as the daemon will run it,
 * for the lab's miniupnpd router. Prints one line per callback and exits after a
 * clean stop on SIGTERM/SIGINT (the mapping deleted).
 *   portmap_run [--only natpmp|pcp|upnp] [--lifetime S] [--public ADDR] [--port N]
 *               [--debug]
 * Lines: "mapped PROTO ADDR:PORT lease S epoch E", "lost WHY: TEXT", "stopped". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "net/portmap.h"

struct app {
	struct loop *loop;
	struct portmap *pm;
	bool stopping;
};

static void on_mapped(void *arg, const struct portmap_mapping *m)
{
	char a[ADDR_STR_LEN];

	(void)arg;
	printf("mapped %s %s lease %u epoch %u\n", portmap_proto_name(m->proto),
	       addr_format(&m->external, a, sizeof(a)), m->lease_s, m->epoch);
	fflush(stdout);
}

static void on_lost(void *arg, enum portmap_why why, const char *text)
{
	(void)arg;
	printf("lost %s: %s\n", portmap_why_name(why), text);
	fflush(stdout);
}

static void on_stopped(void *arg)
{
	struct app *a = arg;

	printf("stopped\n");
	fflush(stdout);
	loop_stop(a->loop);
}

static void on_signal(struct loop *l, int signo, void *arg)
{
	struct app *a = arg;

	(void)l;
	(void)signo;
	if (a->stopping)
		return;
	a->stopping = true;
	portmap_stop(a->pm, on_stopped, a);
}

int main(int argc, char **argv)
{
	static const struct portmap_cbs cbs = { on_mapped, on_lost };
	struct portmap_params p;
	struct app a = { 0 };
	struct logger log;
	struct errbuf e = { "" };
	union sm_addr pub;
	int rc = 1;

	if (sodium_init() < 0)
		return 1;
	log_init(&log, stderr);
	portmap_params_default(&p);
	p.internal_port = 51820;
	p.description = "stunmesh lab";
	p.log = &log;
	addr_clear(&pub);
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(argv[i], "--only")) {
			p.natpmp = !strcmp(v, "natpmp");
			p.pcp = !strcmp(v, "pcp");
			p.upnp = !strcmp(v, "upnp");
			i++;
		} else if (!strcmp(argv[i], "--lifetime")) {
			p.lifetime_s = p.upnp_lease_s = (uint32_t)atoi(v);
			i++;
		} else if (!strcmp(argv[i], "--public")) {
			if (addr_parse(v, strlen(v), AF_INET, ADDR_NO_PORT, &pub, &e))
				return fprintf(stderr, "portmap_run: %s\n", e.msg), 2;
			i++;
		} else if (!strcmp(argv[i], "--port")) {
			p.internal_port = (uint16_t)atoi(v);
			i++;
		} else if (!strcmp(argv[i], "--debug")) {
			log.level = LOG_DEBUG;
		} else {
			fprintf(stderr, "usage: portmap_run [--only natpmp|pcp|upnp] [--lifetime S] "
					"[--public ADDR] [--port N] [--debug]\n");
			return 2;
		}
	}
	if (loop_new(&a.loop, &e) || loop_signal_add(a.loop, SIGTERM, on_signal, &a) ||
	    loop_signal_add(a.loop, SIGINT, on_signal, &a))
		goto out;
	if (portmap_new(a.loop, &p, &cbs, &a, &a.pm, &e))
		goto out;
	portmap_set_public(a.pm, &pub);
	rc = loop_run(a.loop) ? 1 : 0;
out:
	if (e.msg[0])
		fprintf(stderr, "portmap_run: %s\n", e.msg);
	portmap_free(a.pm);
	loop_free(a.loop);
	return rc;
}
