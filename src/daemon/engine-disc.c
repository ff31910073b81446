/* SPDX-License-Identifier: GPL-2.0-or-later */
/* STUN discovery from the WireGuard port, one family at a time (at start, every
 * stun_ms, when a path looks dead or on refresh), over the STUN transport of deps.stun;
 * once per mapping a second server checks whether the NAT is symmetric. A new public
 * endpoint is published to every peer. */
#include "daemon/engine-int.h"

#include <errno.h>
#include <string.h>

#define DISC_RETRY_MS 5000 /* discovery failed: try again this soon */
#define NAT_CHECK_SERVERS 16

static const char *fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static int disc_idx(const struct eng_disc *dc)
{
	return dc == &dc->ifc->disc[0] ? 0 : 1;
}

bool eng_family_wanted(const struct eng_iface *ifc, int idx)
{
	return idx == 0 ? ifc->protocol != FAMILY_IPV6 : ifc->protocol != FAMILY_IPV4;
}

bool eng_iface_symmetric(const struct eng_iface *ifc)
{
	return ifc->disc[0].nat == NAT_SYMMETRIC || ifc->disc[1].nat == NAT_SYMMETRIC;
}

void eng_disc_stop(struct eng_disc *dc)
{
	struct engine *eng = dc->ifc->eng;

	loop_timer_cancel(eng->loop, &dc->timer);
	if (dc->running)
		discover_free(&dc->d);
	if (dc->stun)
		eng->deps.stun->close(dc->stun);
	dc->stun = NULL;
	dc->running = false;
}

void eng_disc_forget(struct eng_disc *dc)
{
	eng_disc_stop(dc);
	dc->have = false;
	dc->checking = dc->checked = false;
	dc->nat = NAT_UNKNOWN;
}

static void disc_arm(struct eng_disc *dc)
{
	struct engine *eng = dc->ifc->eng;
	int64_t now = eng_now_ms(eng), t;

	if (!dc->ifc->present || eng->stopping)
		return;
	if (dc->running) {
		t = discover_next_timeout(&dc->d);
		if (t == INT64_MAX)
			return;
		t = (t + 999) / 1000;
	} else {
		t = dc->next_ms;
	}
	loop_timer_arm(eng->loop, &dc->timer, t > now ? t - now : 0);
}

/* A family is settled once it has answered or failed (or is not wanted at all). */
static bool disc_settled(const struct eng_disc *dc)
{
	return dc->have || dc->error[0] || !eng_family_wanted(dc->ifc, disc_idx(dc));
}

static void disc_finish(struct eng_disc *dc);

static int disc_send(void *ctx, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		     struct errbuf *e)
{
	struct eng_disc *dc = ctx;

	return dc->ifc->eng->deps.stun->send(dc->stun, dst, buf, len, e);
}

static void disc_recv(void *arg, const union sm_addr *from, const uint8_t *buf, size_t len)
{
	struct eng_disc *dc = arg;

	if (!dc->running)
		return;
	discover_feed(&dc->d, from, buf, len, eng_now_ms(dc->ifc->eng) * 1000);
	if (discover_done(&dc->d))
		disc_finish(dc);
	else
		disc_arm(dc);
}

static void disc_start_list(struct eng_disc *dc, char *const *servers, size_t n)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	struct discover_io io = { .send = disc_send, .ctx = dc };
	struct errbuf e = { "" };
	int r;

	eng_disc_stop(dc);
	r = eng->deps.stun->open(eng->deps.stun_ctx, eng->loop, eng->log, dc->family,
				 ifc->listen_port, ifc->fwmark, disc_recv, dc, &dc->stun, &e);
	if (!r) {
		r = discover_start(&dc->d, servers, n, dc->family, ifc->listen_port, ifc->fwmark,
				   NULL, &io, eng->log, eng_now_ms(eng) * 1000, &e);
		if (r)
			eng_disc_stop(dc);
		else
			dc->running = true;
	}
	if (r) {
		if (dc->checking) {
			dc->checking = false;
			dc->checked = true;
			disc_arm(dc);
			return;
		}
		if (strcmp(dc->error, e.msg))
			log_warn(eng->log, "%s: cannot start %s discovery: %s", ifc->name,
				 fam_name(dc->family), e.msg);
		snprintf(dc->error, sizeof(dc->error), "%s", e.msg);
		dc->next_ms = eng_now_ms(eng) + DISC_RETRY_MS;
		disc_arm(dc);
		return;
	}
	if (discover_done(&dc->d))
		disc_finish(dc);
	else
		disc_arm(dc);
}

static void disc_start(struct eng_disc *dc)
{
	struct config *cfg = dc->ifc->eng->cfg;

	dc->checking = false;
	disc_start_list(dc, cfg->stun_servers, cfg->n_stun_servers);
}

/* The NAT check's answer: the same public port from a second server means the NAT
 * keeps one mapping for every destination (what hole punching needs). */
static void disc_check_done(struct eng_disc *dc)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	union sm_addr other;
	char a[ADDR_STR_LEN], b[ADDR_STR_LEN];
	bool was_sym = eng_iface_symmetric(ifc);

	dc->checking = false;
	dc->checked = true;
	if (discover_result(&dc->d, &other) != 0) {
		log_debug(eng->log, "%s: no second STUN server answered; NAT type unknown", ifc->name);
		return;
	}
	addr_format(&dc->mapped, a, sizeof(a));
	addr_format(&other, b, sizeof(b));
	if (addr_equal(&other, &dc->mapped)) {
		dc->nat = NAT_CONE;
		log_info(eng->log, "%s: the NAT keeps %s for every destination (endpoint-independent mapping)",
			 ifc->name, a);
	} else {
		dc->nat = NAT_SYMMETRIC;
		log_warn(eng->log,
			 "%s: the NAT is symmetric: two STUN servers saw %s and %s for the same port; "
			 "peers behind a symmetric NAT too cannot be reached by hole punching",
			 ifc->name, a, b);
	}
	if (eng_iface_symmetric(ifc) != was_sym)
		for (size_t i = 0; i < ifc->n_peers; i++)
			eng_peer_publish(ifc->peers[i], true);
}

/* Once per mapping: ask the servers that did not answer, which see the port from
 * another destination. True when that check is now running. */
static bool disc_start_check(struct eng_disc *dc, size_t answered)
{
	struct config *cfg = dc->ifc->eng->cfg;
	char *others[NAT_CHECK_SERVERS];
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_stun_servers && n < NAT_CHECK_SERVERS; i++)
		if (i != answered)
			others[n++] = cfg->stun_servers[i];
	if (!n) {
		dc->checked = true;
		return false;
	}
	dc->checking = true;
	disc_start_list(dc, others, n);
	return true;
}

/* A new (or first) public endpoint for this family. */
static void disc_learnt(struct eng_disc *dc, const union sm_addr *mapped)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	char now_s[ADDR_STR_LEN], was[ADDR_STR_LEN];

	addr_format(mapped, now_s, sizeof(now_s));
	if (dc->have) {
		addr_format(&dc->mapped, was, sizeof(was));
		log_info(eng->log, "%s: public %s endpoint changed: %s (was %s)", ifc->name,
			 fam_name(dc->family), now_s, was);
	} else {
		log_info(eng->log, "%s: public %s endpoint is %s", ifc->name, fam_name(dc->family),
			 now_s);
	}
	dc->checked = false;
}

/* Our record changed: every peer gets it, and reads theirs soon. */
static void disc_publish_all(struct eng_iface *ifc)
{
	struct engine *eng = ifc->eng;

	for (size_t i = 0; i < ifc->n_peers; i++) {
		struct eng_peer *p = ifc->peers[i];
		struct peer_params pp;

		eng_peer_publish(p, false);
		peer_on_republished(&p->fsm, eng_peer_params(p, &pp), eng_now_ms(eng));
		eng_peer_arm(p);
	}
}

static void disc_failed(struct eng_disc *dc)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	bool first = !dc->have && !dc->error[0];

	if (strcmp(dc->error, discover_error(&dc->d)))
		log_warn(eng->log, "%s: %s discovery failed: %s", ifc->name, fam_name(dc->family),
			 discover_error(&dc->d));
	snprintf(dc->error, sizeof(dc->error), "%s", discover_error(&dc->d));
	/* the other family's first record waited for this one */
	if (first)
		for (size_t i = 0; i < ifc->n_peers; i++)
			eng_peer_publish(ifc->peers[i], false);
	dc->next_ms = eng_now_ms(eng) + DISC_RETRY_MS;
	eng_disc_stop(dc);
}

static void disc_finish(struct eng_disc *dc)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	union sm_addr mapped;
	size_t answered = SIZE_MAX;
	bool changed;

	if (dc->checking) {
		disc_check_done(dc);
		eng_disc_stop(dc);
		disc_arm(dc);
		return;
	}
	if (discover_result(&dc->d, &mapped) != 0) {
		disc_failed(dc);
		disc_arm(dc);
		eng_check_oneshot(eng);
		return;
	}
	changed = !dc->have || !addr_equal(&mapped, &dc->mapped);
	if (changed)
		disc_learnt(dc, &mapped);
	dc->mapped = mapped;
	dc->have = true;
	dc->learned_unix = eng_unix_now(eng);
	dc->error[0] = '\0';
	dc->next_ms = eng_now_ms(eng) + eng->opts.stun_ms;
	for (size_t i = 0; i < dc->d.n_servers && answered == SIZE_MAX; i++)
		if (dc->d.servers[i].state == DS_OK)
			answered = i;
	eng_disc_stop(dc);
	/* with both families wanted, the first record waits for the other one's first
	 * answer (or failure), so peers do not take IPv4 and then switch */
	if (changed && disc_settled(&ifc->disc[disc_idx(dc) ? 0 : 1]))
		disc_publish_all(ifc);
	if (!dc->checked && disc_start_check(dc, answered))
		return;
	disc_arm(dc);
	eng_check_oneshot(eng);
}

static void disc_timer_cb(struct loop *l, void *arg)
{
	struct eng_disc *dc = arg;

	if (!dc->running) {
		disc_start(dc);
		return;
	}
	discover_on_timeout(&dc->d, loop_now(l) * 1000);
	if (discover_done(&dc->d))
		disc_finish(dc);
	else
		disc_arm(dc);
}

void eng_disc_init(struct eng_disc *dc, struct eng_iface *ifc, int family)
{
	memset(dc, 0, sizeof(*dc));
	dc->ifc = ifc;
	dc->family = family;
	loop_timer_init(&dc->timer, disc_timer_cb, dc);
}

void eng_iface_discover(struct eng_iface *ifc, bool now)
{
	for (int i = 0; i < 2; i++) {
		struct eng_disc *dc = &ifc->disc[i];

		if (!eng_family_wanted(ifc, i) || !ifc->present || ifc->eng->stopping)
			continue;
		if (now && !dc->running)
			disc_start(dc);
		else
			disc_arm(dc);
	}
}
