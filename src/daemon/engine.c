/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's life: new, start, refresh, stop, free, and what its files share. */
#include "daemon/engine.h"
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* How long a stopping daemon waits for the devices to take back the keepalives. */
#define STOP_DRAIN_MS 2000

/* How often a connected peer's record is read anyway, to follow a peer whose NAT moved
 * before our own traffic notices: often where a read is a local file, once a minute
 * where it is a process or an API call with rate limits. */
#define WATCH_CHEAP_MS 2000
#define WATCH_COSTLY_MS 60000

int64_t eng_now_ms(const struct engine *eng)
{
	return loop_now(eng->loop);
}

int64_t eng_unix_now(const struct engine *eng)
{
	return eng->deps.unix_now(eng->deps.clock_ctx);
}

/* A read costs nothing where the store says so (a local folder). */
static bool store_reads_cheap(const struct store *s)
{
	return s && store_caps(s)->cheap_reads;
}

const struct peer_params *eng_peer_params(const struct eng_peer *p, struct peer_params *pp)
{
	const struct engine *eng = p->eng;

	peer_params_default(pp, eng->cfg->refresh_interval_ms, eng->cfg->fast_punch);
	pp->watch_ms = store_reads_cheap(p->store) ? WATCH_CHEAP_MS : WATCH_COSTLY_MS;
	if (pp->watch_ms > pp->refresh_ms)
		pp->watch_ms = pp->refresh_ms;
	return pp;
}

const char *eng_peer_label(const struct eng_peer *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->ifc->name, p->name);
	return buf;
}

bool eng_result_set(struct eng_result *r, int kind, const char *fmt, ...)
{
	char msg[sizeof(r->msg)];
	va_list ap;
	bool changed;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	changed = r->kind != kind || strcmp(r->msg, msg);
	r->kind = kind;
	memcpy(r->msg, msg, sizeof(msg));
	return changed;
}

struct store *eng_stores_find(const struct eng_stores *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->names[i] && !strcmp(st->names[i], name))
			return st->s[i];
	return NULL;
}

void eng_stores_free(struct eng_stores *st)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->s)
			store_free(st->s[i]);
		if (st->names)
			free(st->names[i]);
	}
	free(st->s);
	free(st->names);
	memset(st, 0, sizeof(*st));
}

static void stop_timeout_cb(struct loop *l, void *arg)
{
	struct engine *eng = arg;

	log_warn(eng->log, "stopping: the devices did not take every change in time");
	loop_stop(l);
}

int engine_new(struct loop *loop, struct logger *log, struct config *cfg,
	       const struct engine_opts *opts, const struct config_source *src,
	       const struct engine_deps *deps, struct engine **out, struct errbuf *e)
{
	struct engine *eng = calloc(1, sizeof(*eng));
	int r;

	if (!eng) {
		config_free(cfg);
		return err_set(e, -ENOMEM, "out of memory");
	}
	eng->loop = loop;
	eng->log = log;
	eng->deps = deps ? *deps : *engine_default_deps();
	if (opts)
		eng->opts = *opts;
	if (!eng->opts.sample_ms)
		eng->opts.sample_ms = 1000;
	/* one small packet per family every 10 s notices a new public address quickly */
	if (!eng->opts.stun_ms)
		eng->opts.stun_ms = 10000;
	if (!eng->opts.oneshot_timeout_ms)
		eng->opts.oneshot_timeout_ms = 30000;
	if (src)
		eng->src = *src;
	eng_oneshot_init(eng);
	loop_timer_init(&eng->stop_timer, stop_timeout_cb, eng);
	r = eng_apply_config(eng, cfg, "");
	if (r) {
		config_free(cfg);
		engine_free(eng);
		return err_set(e, r, "cannot set up the engine: %s", strerror(-r));
	}
	*out = eng;
	return 0;
}

int engine_start(struct engine *eng, struct errbuf *e)
{
	const char *path = eng->opts.control_path ? eng->opts.control_path : eng->cfg->control_socket;
	int r;

	eng->started = true;
	eng->started_ms = eng_now_ms(eng);
	if (path && *path && !eng->opts.oneshot) {
		r = eng_control_open(eng, path, e);
		if (r)
			log_warn(eng->log, "no control socket (status and refresh will not work): %s",
				 e->msg);
	}
	if (eng->n_ifaces == 0)
		log_warn(eng->log, "no interfaces configured: nothing to do");
	for (size_t i = 0; i < eng->n_ifaces; i++)
		eng_iface_start(eng->ifaces[i]);
	if (eng->opts.oneshot)
		loop_timer_arm(eng->loop, &eng->oneshot_timer, eng->opts.oneshot_timeout_ms);
	return 0;
}

size_t engine_refresh(struct engine *eng, const char *peer)
{
	size_t n = 0;

	if (eng->stopping)
		return 0;
	for (size_t i = 0; i < eng->n_ifaces; i++) {
		struct eng_iface *ifc = eng->ifaces[i];
		bool any = false;

		for (size_t j = 0; j < ifc->n_peers; j++) {
			struct eng_peer *p = ifc->peers[j];

			if (peer && strcmp(peer, p->name))
				continue;
			any = true;
			n++;
			peer_on_refresh(&p->fsm, eng_now_ms(eng));
			eng_peer_publish(p, true);
			eng_peer_arm(p);
		}
		if (any)
			eng_iface_discover(ifc, true);
	}
	return n;
}

void eng_check_stopped(struct engine *eng)
{
	if (!eng->stopping)
		return;
	for (struct eng_dev *d = eng->devs; d; d = d->next)
		if (eng_dev_busy(d))
			return;
	loop_timer_cancel(eng->loop, &eng->stop_timer);
	loop_stop(eng->loop);
}

void engine_stop(struct engine *eng, int exit_code)
{
	eng->exit_code = exit_code;
	if (eng->stopping)
		return;
	eng->stopping = true;
	loop_timer_cancel(eng->loop, &eng->oneshot_timer);
	/* Endpoints we set stay set; keepalives we hold at 1 s go back to the user's. */
	for (size_t i = 0; i < eng->n_ifaces; i++)
		eng_iface_halt(eng->ifaces[i]);
	loop_timer_arm(eng->loop, &eng->stop_timer, STOP_DRAIN_MS);
	eng_check_stopped(eng);
}

int engine_exit_code(const struct engine *eng)
{
	return eng->exit_code;
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	control_close(eng->control);
	for (size_t i = 0; i < eng->n_ifaces; i++)
		eng_iface_free(eng->ifaces[i]);
	free(eng->ifaces);
	/* Stores go after the peers: freeing a store abandons its operations without
	 * callbacks. Devices last: closing one sends what is queued (a keepalive given
	 * back) without waiting for answers. */
	eng_stores_free(&eng->stores);
	while (eng->devs) {
		struct eng_dev *d = eng->devs;

		eng->devs = d->next;
		eng_dev_free(d);
	}
	loop_timer_cancel(eng->loop, &eng->oneshot_timer);
	loop_timer_cancel(eng->loop, &eng->stop_timer);
	config_free(eng->cfg);
	free(eng);
}
