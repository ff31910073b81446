/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The port-mapping states and what is reported: probing (which protocol), mapping,
 * renewal, restart, stop; see portmap.h. Reporting compares what is held with what was
 * last told, so every path through the states ends in one place (notify). */
#include "net/portmap-int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

static void choose(struct portmap *pm, enum portmap_proto proto);
static void start_probe(struct portmap *pm);
static void stop_finish(struct loop *l, void *arg);

void portmap_params_default(struct portmap_params *p)
{
	*p = (struct portmap_params){
		.lifetime_s = 7200,
		.upnp_lease_s = 3600,
		.natpmp = true,
		.pcp = true,
		.upnp = WITH_UPNP, /* 0 in a build without libminiupnpc */
		.description = "stunmesh",
		.gateway.sa.sa_family = AF_UNSPEC,
		.announce_port = PCP_CLIENT_PORT,
		.probe_ms = 250,
		.tries = 4,
		.reprobe_ms = 300000,
		.upnp_discover_ms = 1000,
		.upnp_deadline_ms = 8000,
		.stop_wait_ms = 500,
	};
}

const char *portmap_proto_name(enum portmap_proto p)
{
	switch (p) {
	case PORTMAP_NATPMP: return "NAT-PMP";
	case PORTMAP_PCP: return "PCP";
	case PORTMAP_UPNP: return "UPnP";
	default: return "none";
	}
}

const char *portmap_why_name(enum portmap_why w)
{
	switch (w) {
	case PORTMAP_WHY_NONE_FOUND: return "none found";
	case PORTMAP_WHY_REFUSED: return "refused";
	case PORTMAP_WHY_INNER_NAT: return "inner NAT";
	case PORTMAP_WHY_EXPIRED: return "expired";
	case PORTMAP_WHY_NO_GATEWAY: return "no gateway";
	case PORTMAP_WHY_ERROR: return "error";
	default: return "?";
	}
}

uint64_t pm_now_s(const struct portmap *pm)
{
	return (uint64_t)loop_now(pm->loop) / 1000;
}

void pm_log(struct portmap *pm, enum log_level lv, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!pm->log || lv < pm->log->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(pm->log, lv, "port mapping (port %u): %s", pm->p.internal_port, msg);
}

static void arm_notify(struct portmap *pm)
{
	if (pm->state != PM_STOPPING && pm->state != PM_STOPPED)
		loop_timer_arm(pm->loop, &pm->t_notify, 0);
}

void pm_lost(struct portmap *pm, enum portmap_why why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pm->pending_text, sizeof(pm->pending_text), fmt, ap);
	va_end(ap);
	pm->pending_why = why;
	snprintf(pm->why, sizeof(pm->why), "%s", pm->pending_text);
	arm_notify(pm);
}

static bool usable(const struct portmap *pm)
{
	return pm->mapped && addr_is_set(&pm->public_addr) &&
	       addr_same_host(&pm->m.external, &pm->public_addr);
}

/* Tells the owner what changed since the last callback: at most one callback per run
 * (re-armed for the next), and nothing touches pm after it (it may free pm). */
static void notify(struct loop *l, void *arg)
{
	struct portmap *pm = arg;
	char a[ADDR_STR_LEN], b[ADDR_STR_LEN];

	(void)l;
	if (usable(pm)) {
		bool tell = pm->renewed || !pm->reported_usable ||
			    !addr_equal(&pm->reported_ext, &pm->m.external);
		struct portmap_mapping m = pm->m;

		pm->renewed = false;
		pm->pending_why = 0;
		pm->inner_reported = false;
		if (!tell)
			return;
		pm->reported_usable = true;
		pm->reported_ext = pm->m.external;
		pm->last_why = 0;
		pm->why[0] = '\0';
		if (pm->cb.mapped)
			pm->cb.mapped(pm->arg, &m);
		return;
	}
	if (pm->mapped && addr_is_set(&pm->public_addr) && !pm->inner_reported) {
		pm->inner_reported = true;
		pm->reported_usable = false;
		pm->renewed = false;
		snprintf(pm->why, sizeof(pm->why),
			 "%s mapped %s, but STUN sees %s: an inner NAT; the mapping is not used",
			 portmap_proto_name(pm->m.proto), addr_format(&pm->m.external, a, sizeof(a)),
			 addr_format(&pm->public_addr, b, sizeof(b)));
		pm_log(pm, LOG_INFO, "%s", pm->why);
		if (pm->pending_why)
			arm_notify(pm);
		if (pm->cb.lost)
			pm->cb.lost(pm->arg, PORTMAP_WHY_INNER_NAT, pm->why);
		return;
	}
	if (pm->pending_why) {
		enum portmap_why why = pm->pending_why;
		char text[sizeof(pm->pending_text)];
		/* The same failure again (every re-probe) is not news, unless a mapping
		 * was reported in between. */
		bool tell = pm->reported_usable || why != pm->last_why ||
			    strcmp(pm->pending_text, pm->last_text);

		memcpy(text, pm->pending_text, sizeof(text));
		pm->pending_why = 0;
		pm->reported_usable = false;
		pm->last_why = why;
		memcpy(pm->last_text, text, sizeof(pm->last_text));
		if (tell && pm->cb.lost)
			pm->cb.lost(pm->arg, why, text);
	}
}

static void go_idle(struct portmap *pm)
{
	pm_reqs_clear(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	loop_timer_cancel(pm->loop, &pm->t_decide);
	pm->mapped = false;
	pm->state = PM_IDLE;
	pm->proto = PORTMAP_PROTO_NONE;
	loop_timer_arm(pm->loop, &pm->t_renew, pm->p.reprobe_ms);
}

/* The next protocol to map with, in preference order, after `after` failed. */
static enum portmap_proto next_proto(const struct portmap *pm, enum portmap_proto after)
{
	if (after < PORTMAP_NATPMP && pm->p.natpmp && pm->natpmp.answered &&
	    !pm->natpmp.unsupported && pm->natpmp_public_ok)
		return PORTMAP_NATPMP;
	/* PCP may not have answered its probe yet when NAT-PMP won at once: try it. */
	if (after < PORTMAP_PCP && pm->p.pcp && !pm->pcp.unsupported &&
	    (pm->pcp.answered || after != PORTMAP_PROTO_NONE))
		return PORTMAP_PCP;
	if (after < PORTMAP_UPNP && pm->p.upnp && (!pm->upnp_done || pm->upnp_found))
		return PORTMAP_UPNP;
	return PORTMAP_PROTO_NONE;
}

static void none_found(struct portmap *pm)
{
	char a[ADDR_STR_LEN];

	pm_log(pm, LOG_INFO, "none on %s: NAT-PMP %s; PCP %s; UPnP %s",
	       addr_format(&pm->gw, a, sizeof(a)), pm->p.natpmp ? pm->natpmp.why : "off",
	       pm->p.pcp ? pm->pcp.why : "off", pm->p.upnp ? pm->upnp_why : "off");
	pm_lost(pm, PORTMAP_WHY_NONE_FOUND, "no port mapping on gateway %s: NAT-PMP %s; PCP %s; UPnP %s",
		addr_format(&pm->gw, a, sizeof(a)), pm->p.natpmp ? pm->natpmp.why : "off",
		pm->p.pcp ? pm->pcp.why : "off", pm->p.upnp ? pm->upnp_why : "off");
	go_idle(pm);
}

void pm_probe_progress(struct portmap *pm)
{
	bool pmp_wait = pm->p.natpmp && !pm->natpmp.answered && !pm->natpmp.unsupported;
	bool pcp_wait = pm->p.pcp && !pm->pcp.answered && !pm->pcp.unsupported;
	bool upnp_wait = pm->p.upnp && !pm->upnp_done;
	bool due = loop_now(pm->loop) >= pm->probe_started + pm->p.probe_ms;
	enum portmap_proto best;

	if (pm->state != PM_PROBING)
		return;
	best = next_proto(pm, PORTMAP_PROTO_NONE);
	if (best == PORTMAP_UPNP && !pm->upnp_found)
		best = PORTMAP_PROTO_NONE; /* still discovering */
	/* The best answer so far wins at once when nothing preferred is still pending,
	 * else when the first probe window is over. */
	if (best != PORTMAP_PROTO_NONE &&
	    (due || best == PORTMAP_NATPMP || (best == PORTMAP_PCP && !pmp_wait) ||
	     (best == PORTMAP_UPNP && !pmp_wait && !pcp_wait))) {
		choose(pm, best);
		return;
	}
	if (best == PORTMAP_PROTO_NONE && !pmp_wait && !pcp_wait && !upnp_wait)
		none_found(pm);
}

static void decide_due(struct loop *l, void *arg)
{
	(void)l;
	pm_probe_progress(arg);
}

static void choose(struct portmap *pm, enum portmap_proto proto)
{
	struct errbuf e = { "" };
	int r;

	loop_timer_cancel(pm->loop, &pm->t_decide);
	pm_reqs_clear(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	if (proto != PORTMAP_UPNP && pm_upnp_running(pm))
		pm_upnp_cancel(pm);
	pm->state = PM_MAPPING;
	pm->proto = proto;
	pm_log(pm, LOG_DEBUG, "mapping with %s", portmap_proto_name(proto));
	if (proto != PORTMAP_UPNP) {
		randombytes_buf(pm->nonce, sizeof(pm->nonce));
		pm_map_send(pm, pm->p.lifetime_s);
		return;
	}
	if ((r = pm_upnp_start(pm, UPNP_OP_MAP, &e)))
		pm_map_failed(pm, false, e.msg);
}

void pm_granted(struct portmap *pm, enum portmap_proto proto, const union sm_addr *ext,
		uint32_t lease_s, uint32_t epoch)
{
	char a[ADDR_STR_LEN];
	bool first = !pm->mapped || pm->state == PM_MAPPING;
	int64_t renew;

	pm->mapped = true;
	pm->m.proto = proto;
	pm->m.external = *ext;
	pm->m.lease_s = lease_s;
	pm->m.epoch = epoch;
	pm->expires_at = lease_s ? loop_now(pm->loop) + (int64_t)lease_s * 1000 : INT64_MAX;
	pm->state = PM_MAPPED;
	pm->renewed = true;
	/* Renew at half the lease; a permanent UPnP mapping is still checked that often. */
	renew = (int64_t)(lease_s ? lease_s : pm->p.upnp_lease_s) * 500;
	if (renew < 1000)
		renew = 1000;
	loop_timer_arm(pm->loop, &pm->t_renew, renew);
	pm_log(pm, first ? LOG_INFO : LOG_DEBUG, "%s %s %s, lease %u s", portmap_proto_name(proto),
	       first ? "mapped" : "renewed", addr_format(ext, a, sizeof(a)), lease_s);
	arm_notify(pm);
}

void pm_map_failed(struct portmap *pm, bool refused, const char *text)
{
	enum portmap_proto next;

	pm_reqs_clear(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	if (pm->state == PM_RENEWING) {
		int64_t left = pm->expires_at - loop_now(pm->loop);

		pm_log(pm, LOG_WARN, "%s renewal: %s", portmap_proto_name(pm->proto), text);
		if (!refused && left > 2000) {
			/* Keep it until it expires; try again in half the time left. */
			pm->state = PM_MAPPED;
			loop_timer_arm(pm->loop, &pm->t_renew, left / 2);
			return;
		}
		pm_lost(pm, refused ? PORTMAP_WHY_REFUSED : PORTMAP_WHY_EXPIRED, "%s renewal: %s",
			portmap_proto_name(pm->proto), text);
		go_idle(pm);
		return;
	}
	if (pm->state != PM_MAPPING)
		return;
	pm_log(pm, LOG_INFO, "%s: %s", portmap_proto_name(pm->proto), text);
	if (pm->proto == PORTMAP_NATPMP) {
		pm->natpmp.unsupported = true;
		snprintf(pm->natpmp.why, sizeof(pm->natpmp.why), "%s", text);
	} else if (pm->proto == PORTMAP_PCP) {
		pm->pcp.unsupported = true;
		snprintf(pm->pcp.why, sizeof(pm->pcp.why), "%s", text);
	} else {
		pm->upnp_done = true;
		pm->upnp_found = false;
		snprintf(pm->upnp_why, sizeof(pm->upnp_why), "%s", text);
	}
	pm->mapped = false;
	next = next_proto(pm, pm->proto);
	if (next != PORTMAP_PROTO_NONE) {
		choose(pm, next);
		return;
	}
	if (refused) {
		pm_lost(pm, PORTMAP_WHY_REFUSED, "%s: %s", portmap_proto_name(pm->proto), text);
		go_idle(pm);
	} else {
		none_found(pm);
	}
}

void pm_gateway_restarted(struct portmap *pm, const char *what)
{
	if (pm->state != PM_MAPPED && pm->state != PM_RENEWING)
		return;
	pm_log(pm, LOG_INFO, "the gateway restarted (%s): mapping again", what);
	if (pm->proto == PORTMAP_UPNP) {
		/* The IGD's table went with it: the renewal checks and adds it again. */
		if (pm->state == PM_MAPPED)
			loop_timer_arm(pm->loop, &pm->t_renew, 0);
		return;
	}
	pm_reqs_clear(pm);
	pm->mapped = false;
	pm->state = PM_MAPPING;
	pm_map_send(pm, pm->p.lifetime_s);
}

static void renew_due(struct loop *l, void *arg)
{
	struct portmap *pm = arg;
	struct errbuf e = { "" };

	(void)l;
	if (pm->state == PM_IDLE) {
		start_probe(pm);
		return;
	}
	if (pm->state != PM_MAPPED)
		return;
	pm->state = PM_RENEWING;
	if (pm->proto != PORTMAP_UPNP) {
		pm_map_send(pm, pm->p.lifetime_s);
	} else if (pm_upnp_start(pm, UPNP_OP_MAP, &e)) {
		pm_map_failed(pm, false, e.msg);
	}
}

static void start_probe(struct portmap *pm)
{
	struct errbuf e = { "" };
	int r;

	pm->natpmp = (struct pm_proto_state){ .have_epoch = pm->natpmp.have_epoch,
					      .epoch = pm->natpmp.epoch,
					      .epoch_at_s = pm->natpmp.epoch_at_s };
	pm->pcp = (struct pm_proto_state){ .have_epoch = pm->pcp.have_epoch,
					   .epoch = pm->pcp.epoch, .epoch_at_s = pm->pcp.epoch_at_s };
	snprintf(pm->natpmp.why, sizeof(pm->natpmp.why), "no answer");
	snprintf(pm->pcp.why, sizeof(pm->pcp.why), "no answer");
	snprintf(pm->upnp_why, sizeof(pm->upnp_why), "no answer");
	pm->natpmp_public_ok = false;
	pm->upnp_done = pm->upnp_found = false;
	pm->mapped = false;
	pm->proto = PORTMAP_PROTO_NONE;
	if ((r = pm_sockets_open(pm, &e))) {
		pm_log(pm, LOG_INFO, "%s", e.msg);
		pm_lost(pm, r == -ENOENT ? PORTMAP_WHY_NO_GATEWAY : PORTMAP_WHY_ERROR, "%s", e.msg);
		go_idle(pm);
		return;
	}
	pm->state = PM_PROBING;
	pm->probe_started = loop_now(pm->loop);
	loop_timer_arm(pm->loop, &pm->t_decide, pm->p.probe_ms);
	if (pm->p.natpmp || pm->p.pcp)
		pm_probe_send(pm);
	if (pm->p.upnp) {
		if (pm->upnp_url[0]) {
			/* A known IGD (given, or found before): no SSDP wait to probe it. */
			pm->upnp_done = pm->upnp_found = true;
		} else if (pm_upnp_start(pm, UPNP_OP_DISCOVER, &e)) {
			pm->upnp_done = true;
			snprintf(pm->upnp_why, sizeof(pm->upnp_why), "%.120s", e.msg);
		}
	}
	pm_probe_progress(pm);
}

int portmap_new(struct loop *l, const struct portmap_params *p, const struct portmap_cbs *cb,
		void *arg, struct portmap **out, struct errbuf *e)
{
	struct portmap *pm;

	if (!p->internal_port)
		return err_set(e, -EINVAL, "port mapping: internal port 0");
	if (p->tries < 1 || p->probe_ms < 1 || p->reprobe_ms < 1 || p->upnp_deadline_ms < 1)
		return err_set(e, -EINVAL, "port mapping: bad timing parameters");
	if (p->upnp_url && strlen(p->upnp_url) > UPNP_URL_MAX)
		return err_set(e, -EINVAL, "port mapping: UPnP URL too long");
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return err_set(e, -ENOMEM, "out of memory");
	pm->loop = l;
	pm->p = *p;
	snprintf(pm->desc, sizeof(pm->desc), "%s", p->description ? p->description : "stunmesh");
	pm->p.description = pm->desc;
	if (p->upnp_url)
		snprintf(pm->upnp_url, sizeof(pm->upnp_url), "%s", p->upnp_url);
	pm->p.upnp_url = NULL;
	if (cb)
		pm->cb = *cb;
	pm->arg = arg;
	pm->log = p->log;
	pm->fd = pm->afd = pm->upnp_fd = -1;
	addr_clear(&pm->public_addr);
	addr_clear(&pm->gw);
	loop_timer_init(&pm->t_retx, pm_retransmit, pm);
	loop_timer_init(&pm->t_decide, decide_due, pm);
	loop_timer_init(&pm->t_renew, renew_due, pm);
	loop_timer_init(&pm->t_notify, notify, pm);
	loop_timer_init(&pm->t_stop, stop_finish, pm);
	loop_timer_init(&pm->t_upnp, pm_upnp_deadline, pm);
	start_probe(pm);
	*out = pm;
	return 0;
}

void portmap_set_public(struct portmap *pm, const union sm_addr *public_addr)
{
	union sm_addr a;

	if (public_addr && public_addr->sa.sa_family == AF_INET) {
		a = *public_addr;
		addr_set_port(&a, 0);
	} else {
		addr_clear(&a);
	}
	if (addr_equal(&a, &pm->public_addr))
		return;
	pm->public_addr = a;
	pm->inner_reported = false;
	arm_notify(pm);
}

void portmap_reprobe(struct portmap *pm)
{
	if (pm->state == PM_STOPPING || pm->state == PM_STOPPED)
		return;
	pm_upnp_cancel(pm);
	if (pm->mapped && pm->reported_usable)
		pm_lost(pm, PORTMAP_WHY_NONE_FOUND, "looking for a port mapping again");
	loop_timer_cancel(pm->loop, &pm->t_renew);
	start_probe(pm);
}

static void stop_finish(struct loop *l, void *arg)
{
	struct portmap *pm = arg;
	void (*done)(void *) = pm->stop_done;

	(void)l;
	if (pm->state == PM_STOPPED)
		return;
	pm_reqs_clear(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	loop_timer_cancel(pm->loop, &pm->t_stop);
	pm_upnp_cancel(pm);
	pm_sockets_close(pm);
	pm->state = PM_STOPPED;
	pm->mapped = false;
	pm->stop_done = NULL;
	if (done)
		done(pm->stop_arg);
}

void pm_stop_done(struct portmap *pm)
{
	/* From a timer: done() may free pm, which the caller still holds. */
	if (pm->state == PM_STOPPING)
		loop_timer_arm(pm->loop, &pm->t_stop, 0);
}

void portmap_stop(struct portmap *pm, void (*done)(void *arg), void *arg)
{
	bool held = pm->mapped || pm->state == PM_MAPPING || pm->state == PM_RENEWING;
	enum portmap_proto proto = pm->proto;
	struct errbuf e = { "" };
	int64_t wait = 0;

	pm->stop_done = done;
	pm->stop_arg = arg;
	if (pm->state == PM_STOPPING || pm->state == PM_STOPPED)
		return;
	loop_timer_cancel(pm->loop, &pm->t_notify);
	loop_timer_cancel(pm->loop, &pm->t_decide);
	loop_timer_cancel(pm->loop, &pm->t_renew);
	pm_reqs_clear(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	pm_upnp_cancel(pm);
	pm->state = PM_STOPPING;
	if (held && (proto == PORTMAP_NATPMP || proto == PORTMAP_PCP) && pm->fd >= 0) {
		pm_delete_send(pm);
		wait = pm->p.stop_wait_ms;
	} else if (held && proto == PORTMAP_UPNP) {
		if (pm_upnp_start(pm, UPNP_OP_DELETE, &e) == 0)
			wait = pm->p.upnp_deadline_ms < 2000 ? pm->p.upnp_deadline_ms : 2000;
		else
			pm_log(pm, LOG_WARN, "deleting the UPnP mapping: %s", e.msg);
	}
	if (wait)
		pm_log(pm, LOG_INFO, "deleting the %s mapping", portmap_proto_name(proto));
	loop_timer_arm(pm->loop, &pm->t_stop, wait);
}

void portmap_free(struct portmap *pm)
{
	if (!pm)
		return;
	if (pm->state != PM_STOPPED && pm->state != PM_STOPPING && pm->fd >= 0 &&
	    (pm->mapped || pm->state == PM_MAPPING || pm->state == PM_RENEWING) &&
	    (pm->proto == PORTMAP_NATPMP || pm->proto == PORTMAP_PCP))
		pm_delete_send(pm);
	loop_timer_cancel(pm->loop, &pm->t_retx);
	loop_timer_cancel(pm->loop, &pm->t_decide);
	loop_timer_cancel(pm->loop, &pm->t_renew);
	loop_timer_cancel(pm->loop, &pm->t_notify);
	loop_timer_cancel(pm->loop, &pm->t_stop);
	pm_upnp_cancel(pm);
	pm_sockets_close(pm);
	secure_zero(pm->nonce, sizeof(pm->nonce));
	free(pm);
}

void portmap_get_status(const struct portmap *pm, struct portmap_status *st)
{
	memset(st, 0, sizeof(*st));
	switch (pm->state) {
	case PM_MAPPED:
	case PM_RENEWING:
		st->state = PORTMAP_MAPPED;
		break;
	case PM_IDLE:
		st->state = PORTMAP_NONE;
		break;
	case PM_STOPPING:
	case PM_STOPPED:
		st->state = PORTMAP_STOPPED;
		break;
	default:
		st->state = PORTMAP_PROBING;
	}
	if (pm->mapped) {
		st->m = pm->m;
		st->usable = usable(pm);
		st->expires_in_ms = pm->expires_at == INT64_MAX ? 0 : pm->expires_at - loop_now(pm->loop);
	}
	st->gateway = pm->gw;
	snprintf(st->why, sizeof(st->why), "%s", pm->why);
}
