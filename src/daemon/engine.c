/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/engine.h"
#include "daemon/control.h"

#include <errno.h>
#include <net/if.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DISC_RETRY_MS 5000	/* discovery failed: try again this soon */
#define PUBLISH_RETRY_MIN_MS 2000
#define MISSING_RETRY_MS 1000	/* a missing interface is looked for this often */
#define PUNCH_SAMPLE_MS 200	/* device readings while a peer is being punched */
#define TS_JSON_MAX 16		/* ,"ts":NNNNNNNNNN */
#define NAT_JSON_LEN 18		/* ,"nat":"symmetric" */

static int64_t unix_now(void)
{
	return (int64_t)time(NULL);
}

static int64_t now_ms(struct engine *eng)
{
	return loop_now(eng->loop);
}

static const char *fam_name(int family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

static void peer_arm(struct eng_peer *p);
static bool iface_symmetric(const struct eng_iface *ifc);
static bool family_wanted(const struct eng_iface *ifc, int idx);

/* How often a connected peer's record is read anyway, to follow a peer whose NAT moved
 * before our own traffic notices: often where a read is a local file, once a minute
 * where it is a process or an API call with rate limits. */
#define WATCH_CHEAP_MS 2000
#define WATCH_COSTLY_MS 60000

static const struct peer_params *peer_params_for(struct engine *eng, const struct eng_peer *peer,
						 struct peer_params *p)
{
	peer_params_default(p, eng->cfg->refresh_interval_ms, eng->cfg->fast_punch);
	p->watch_ms = peer && peer->store && !strcmp(peer->store->ops->kind, "file")
			      ? WATCH_CHEAP_MS : WATCH_COSTLY_MS;
	if (p->watch_ms > p->refresh_ms)
		p->watch_ms = p->refresh_ms;
	return p;
}
static void peer_publish(struct eng_peer *p, bool force);
static void iface_discover(struct eng_iface *ifc, bool now);
static void check_oneshot(struct engine *eng);

/* ---- peers --------------------------------------------------------------------------- */

static const char *peer_label(const struct eng_peer *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", p->ifc->name, p->name);
	return buf;
}

static void peer_free(struct eng_peer *p)
{
	if (!p)
		return;
	loop_timer_cancel(p->eng->loop, &p->timer);
	free(p->name);
	free(p->store_name);
	free(p->published);
	free(p);
}

/* Gives back the keepalive we hold at 1 s, if the device is still there. */
static void peer_give_back_keepalive(struct eng_peer *p)
{
	struct errbuf e = { "" };

	if (!p->ifc->present || !p->on_device || !peer_on_release(&p->fsm))
		return;
	if (wg_update_peer(p->ifc->name, p->ifc->backend, p->pub, NULL, p->fsm.ka.user, true,
			   &e))
		log_warn(p->eng->log, "peer %s/%s: cannot restore keepalive %u: %s", p->ifc->name,
			 p->name, p->fsm.ka.user, e.msg);
}

/* A peer leaves the engine: its store operations are abandoned (no callbacks), so
 * nothing can come back to it. */
static void peer_release(struct eng_peer *p)
{
	peer_give_back_keepalive(p);
	if (p->store)
		store_cancel(p->store, p);
	peer_free(p);
}

/* Applies what the state machine asks for, on the device. */
static void peer_act(struct eng_peer *p, unsigned act, enum peer_state before)
{
	struct eng_iface *ifc = p->ifc;
	struct engine *eng = ifc->eng;
	struct errbuf e = { "" };
	char lbl[64], ep[ADDR_STR_LEN];
	int r;

	peer_label(p, lbl, sizeof(lbl));
	if (p->fsm.state != before)
		log_info(eng->log, "peer %s: %s -> %s", lbl, peer_state_name(before),
			 peer_state_name(p->fsm.state));
	if (!ifc->present)
		return;
	if (act & PEER_ACT_SET_ENDPOINT) {
		addr_format(peer_endpoint(&p->fsm), ep, sizeof(ep));
		r = wg_update_peer(ifc->name, ifc->backend, p->pub, peer_endpoint(&p->fsm), -1, true, &e);
		if (r)
			log_warn(eng->log, "peer %s: cannot set endpoint %s: %s", lbl, ep, e.msg);
		else {
			log_info(eng->log, "peer %s: endpoint set to %s", lbl, ep);
			p->endpoint_ever_set = true;
		}
	}
	if (act & PEER_ACT_KEEPALIVE_FAST) {
		/* the handshake is the news now: read the device soon */
		if (!loop_timer_pending(&ifc->sample_timer) ||
		    ifc->sample_timer.when > now_ms(eng) + PUNCH_SAMPLE_MS)
			loop_timer_arm(eng->loop, &ifc->sample_timer, PUNCH_SAMPLE_MS);
		/* WireGuard sends a keepalive at once only when the interval goes from 0
		 * to non-zero (wireguard-go and the kernel alike); from the user's 25 it
		 * would wait for its running timer. */
		r = wg_update_peer(ifc->name, ifc->backend, p->pub, NULL, 0, true, &e);
		if (!r)
			r = wg_update_peer(ifc->name, ifc->backend, p->pub, NULL, 1, true, &e);
		if (r)
			log_warn(eng->log, "peer %s: cannot set keepalive: %s", lbl, e.msg);
		else
			log_debug(eng->log, "peer %s: keepalive 1 s until the first handshake", lbl);
	}
	if (act & PEER_ACT_KEEPALIVE_RESTORE) {
		r = wg_update_peer(ifc->name, ifc->backend, p->pub, NULL, p->fsm.ka.user, true, &e);
		if (r)
			log_warn(eng->log, "peer %s: cannot restore keepalive %u: %s", lbl,
				 p->fsm.ka.user, e.msg);
		else
			log_debug(eng->log, "peer %s: keepalive back to %u", lbl, p->fsm.ka.user);
	}
	if (act & PEER_ACT_REDISCOVER) {
		log_info(eng->log,
			 "peer %s: traffic goes out but nothing comes back; re-discovering and re-publishing",
			 lbl);
		iface_discover(ifc, true);
		peer_publish(p, true);
	}
}

static void fetch_done(const struct store_result *res, void *arg)
{
	struct eng_peer *p = arg;
	struct engine *eng = p->eng;
	struct eng_iface *ifc;
	struct errbuf e = { "" };
	struct peer_params pp;
	struct record rec;
	union sm_addr ep;
	enum peer_state before = p->fsm.state;
	char lbl[64], old[sizeof(p->fetch_result)];
	unsigned flags = 0, act;
	int64_t now = now_ms(eng);
	int r;

	ifc = p->ifc;
	peer_label(p, lbl, sizeof(lbl));
	memcpy(old, p->fetch_result, sizeof(old));
	if (res->status == STORE_NOT_FOUND) {
		snprintf(p->fetch_result, sizeof(p->fetch_result), "no record yet");
		if (strcmp(old, p->fetch_result))
			log_info(eng->log, "peer %s: no record published for us yet (key %s in %s)",
				 lbl, p->read_key, p->store_name);
		peer_on_fetch_failed(&p->fsm, peer_params_for(eng, p, &pp), now);
		goto out;
	}
	if (res->status != STORE_OK) {
		snprintf(p->fetch_result, sizeof(p->fetch_result), "store %s: %s", p->store_name,
			 res->error ? res->error : "failed");
		goto failed;
	}
	r = record_open(res->value, res->value_len, p->pub, ifc->priv, &rec, &e);
	if (!r)
		r = record_fresh_accept(&p->fresh, &rec, unix_now(), &flags, &e);
	if (!r)
		r = record_select(&rec, p->protocol, &ep, &e);
	if (r) {
		snprintf(p->fetch_result, sizeof(p->fetch_result), "record rejected: %s", e.msg);
		goto failed;
	}
	if (flags & RECORD_FRESH_FUTURE)
		log_warn(eng->log, "peer %s: record is dated %" PRId64 " s in the future; is a clock wrong?",
			 lbl, rec.ts - unix_now());
	snprintf(p->fetch_result, sizeof(p->fetch_result), "ok");
	if (strcmp(old, p->fetch_result))
		log_debug(eng->log, "peer %s: record read", lbl);
	if (rec.nat_symmetric && !p->peer_symmetric && iface_symmetric(ifc))
		log_warn(eng->log,
			 "peer %s: both this NAT and the peer's are symmetric; hole punching cannot "
			 "connect them (forward a port on one side, or use a relay)", lbl);
	else if (rec.nat_symmetric && !p->peer_symmetric)
		log_info(eng->log,
			 "peer %s: the peer's NAT is symmetric; this works only if this side accepts "
			 "unsolicited packets (public address, full-cone NAT or forwarded port)", lbl);
	p->peer_symmetric = rec.nat_symmetric;
	act = peer_on_record(&p->fsm, peer_params_for(eng, p, &pp), now, unix_now(), &ep,
			     rec.has_ts ? rec.ts : 0);
	peer_act(p, act, before);
	/* already in place (a tunnel that was up before we started) counts as set */
	if (!(act & PEER_ACT_SET_ENDPOINT) &&
	    (p->fsm.state == PEER_CONNECTED ||
	     addr_equal(&p->fsm.mon.dev_endpoint, peer_endpoint(&p->fsm))))
		p->endpoint_ever_set = true;
	goto out;
failed:
	if (strcmp(old, p->fetch_result))
		log_warn(eng->log, "peer %s: %s", lbl, p->fetch_result);
	else
		log_debug(eng->log, "peer %s: %s", lbl, p->fetch_result);
	peer_on_fetch_failed(&p->fsm, peer_params_for(eng, p, &pp), now);
out:
	peer_arm(p);
	check_oneshot(eng);
}

static void peer_fetch(struct eng_peer *p)
{
	struct engine *eng = p->eng;
	int r;

	if (!p->store || !p->ifc->present || !p->on_device)
		return;
	peer_fetch_started(&p->fsm);
	r = store_get(p->store, p->read_key, p->ifc->fwmark, fetch_done, p);
	if (r) {
		struct peer_params pp;

		snprintf(p->fetch_result, sizeof(p->fetch_result), "cannot start a read: %s",
			 strerror(-r));
		peer_on_fetch_failed(&p->fsm, peer_params_for(eng, p, &pp), now_ms(eng));
		return;
	}
}

static void publish_done(const struct store_result *res, void *arg)
{
	struct eng_peer *p = arg;
	struct engine *eng = p->eng;
	char lbl[64], *content;
	int64_t now = now_ms(eng);

	content = p->published; /* peer_publish parks the pending content here */
	p->publishing = false;
	peer_label(p, lbl, sizeof(lbl));
	if (res->status == STORE_OK) {
		if (content)
			store_dedup_remember(p->store, p->write_key, content);
		p->published_unix = unix_now();
		if (strncmp(p->publish_result, "ok", 2))
			log_info(eng->log, "peer %s: published %s to %s", lbl,
				 content ? content : "", p->store_name);
		snprintf(p->publish_result, sizeof(p->publish_result), "ok");
		p->next_publish_ms = now + eng->cfg->refresh_interval_ms;
		p->publish_backoff_ms = 0;
	} else {
		if (strcmp(p->publish_result, res->error ? res->error : "failed"))
			log_warn(eng->log, "peer %s: publishing to %s failed: %s", lbl, p->store_name,
				 res->error ? res->error : "failed");
		snprintf(p->publish_result, sizeof(p->publish_result), "%s",
			 res->error ? res->error : "failed");
		store_dedup_forget(p->store, p->write_key);
		/* a store that is down (or rate-limiting us) is not hammered */
		p->publish_backoff_ms = p->publish_backoff_ms ? p->publish_backoff_ms * 2
							      : PUBLISH_RETRY_MIN_MS;
		if (p->publish_backoff_ms > eng->cfg->refresh_interval_ms)
			p->publish_backoff_ms = eng->cfg->refresh_interval_ms;
		p->next_publish_ms = now + p->publish_backoff_ms;
	}
	if (p->publish_again) {
		p->publish_again = false;
		peer_publish(p, false);
	}
	peer_arm(p);
	check_oneshot(eng);
}

/* Seals our current endpoint(s) for the peer and stores them under our write key. */
static void peer_publish(struct eng_peer *p, bool force)
{
	struct eng_iface *ifc = p->ifc;
	struct engine *eng = ifc->eng;
	struct record rec;
	struct strbuf content = { 0 };
	struct errbuf e = { "" };
	char lbl[64], *hex = NULL;
	int r;

	if (!p->store || !ifc->present || !p->on_device)
		return;
	if (p->publishing) {
		p->publish_again = true;
		return;
	}
	memset(&rec, 0, sizeof(rec));
	rec.ipv4.sa.sa_family = rec.ipv6.sa.sa_family = AF_UNSPEC;
	if (ifc->disc[0].have && ifc->protocol != FAMILY_IPV6)
		rec.ipv4 = ifc->disc[0].mapped;
	if (ifc->disc[1].have && ifc->protocol != FAMILY_IPV4)
		rec.ipv6 = ifc->disc[1].mapped;
	if (rec.ipv4.sa.sa_family == AF_UNSPEC && rec.ipv6.sa.sa_family == AF_UNSPEC)
		return; /* nothing learnt yet; discovery publishes when it has something */
	if (record_json_build(&rec, &content)) {
		sb_free(&content);
		return;
	}
	if (!force && store_dedup_unchanged(p->store, p->write_key, content.buf)) {
		p->next_publish_ms = now_ms(eng) + eng->cfg->refresh_interval_ms;
		sb_free(&content);
		return;
	}
	/* Our "ts" only when the sealed value still fits one 255-byte DNS TXT string:
	 * Cloudflare splits longer values and stunmesh-go reads them as they are. */
	rec.ts = unix_now();
	rec.has_ts = 2 * (RECORD_NONCE_LEN + RECORD_TAG_LEN + content.len + TS_JSON_MAX) <= 255;
	rec.nat_symmetric = iface_symmetric(ifc) &&
			    2 * (RECORD_NONCE_LEN + RECORD_TAG_LEN + content.len + NAT_JSON_LEN +
				 (rec.has_ts ? TS_JSON_MAX : 0)) <= 255;
	peer_label(p, lbl, sizeof(lbl));
	r = record_seal(&rec, p->pub, ifc->priv, &hex, &e);
	if (r) {
		log_error(eng->log, "peer %s: cannot seal our record: %s", lbl, e.msg);
		sb_free(&content);
		return;
	}
	r = store_set(p->store, p->write_key, hex, ifc->fwmark, publish_done, p);
	free(hex);
	if (r) {
		snprintf(p->publish_result, sizeof(p->publish_result), "cannot start a write: %s",
			 strerror(-r));
		p->next_publish_ms = now_ms(eng) + PUBLISH_RETRY_MIN_MS;
		sb_free(&content);
		return;
	}
	free(p->published);
	p->published = content.buf; /* what this write carries; see publish_done */
	p->publishing = true;
}

static void peer_timer_cb(struct loop *l, void *arg)
{
	struct eng_peer *p = arg;
	struct engine *eng = p->eng;
	struct peer_params pp;
	enum peer_state before = p->fsm.state;
	int64_t now = loop_now(l);
	unsigned act;

	peer_params_for(eng, p, &pp);
	act = peer_on_tick(&p->fsm, &pp, now);
	peer_act(p, act, before);
	if (peer_fetch_due(&p->fsm, now))
		peer_fetch(p);
	if (!p->publishing && p->next_publish_ms && now >= p->next_publish_ms) {
		p->next_publish_ms = 0;
		peer_publish(p, false);
	}
	peer_arm(p);
}

static void peer_arm(struct eng_peer *p)
{
	struct engine *eng = p->eng;
	struct peer_params pp;
	int64_t t, now = now_ms(eng);

	/* no store (it could not be set up): nothing is due until a reload gives one */
	if (!p->store || !p->ifc->present || !p->on_device) {
		loop_timer_cancel(eng->loop, &p->timer);
		return;
	}
	t = peer_next_event(&p->fsm, peer_params_for(eng, p, &pp));
	if (p->next_publish_ms && !p->publishing && p->next_publish_ms < t)
		t = p->next_publish_ms;
	if (t == INT64_MAX) {
		loop_timer_cancel(eng->loop, &p->timer);
		return;
	}
	loop_timer_arm(eng->loop, &p->timer, t > now ? t - now : 0);
}

/* A device reading, indexed: with thousands of peers a linear search per peer each
 * second would cost millions of key comparisons. */
struct dev_index {
	const struct wg_device *dev;
	struct wg_peer **sorted; /* NULL: fall back to the linear search */
};

static int cmp_peer(const void *a, const void *b)
{
	return memcmp((*(struct wg_peer *const *)a)->public_key,
		      (*(struct wg_peer *const *)b)->public_key, WG_KEY_LEN);
}

static int cmp_key(const void *key, const void *elem)
{
	return memcmp(key, (*(struct wg_peer *const *)elem)->public_key, WG_KEY_LEN);
}

static void dev_index_build(struct dev_index *ix, const struct wg_device *dev)
{
	ix->dev = dev;
	ix->sorted = dev->n_peers > 8 ? malloc(dev->n_peers * sizeof(*ix->sorted)) : NULL;
	if (!ix->sorted)
		return;
	for (size_t i = 0; i < dev->n_peers; i++)
		ix->sorted[i] = &dev->peers[i];
	qsort(ix->sorted, dev->n_peers, sizeof(*ix->sorted), cmp_peer);
}

static struct wg_peer *dev_index_find(const struct dev_index *ix, const uint8_t *pub)
{
	struct wg_peer **hit;

	if (!ix->sorted)
		return wg_device_find_peer(ix->dev, pub);
	hit = bsearch(pub, ix->sorted, ix->dev->n_peers, sizeof(*ix->sorted), cmp_key);
	return hit ? *hit : NULL;
}

/* The peer state machine fed with one device reading. */
static void peer_sample(struct eng_peer *p, const struct dev_index *ix)
{
	struct engine *eng = p->eng;
	struct peer_params pp;
	struct wg_peer *wp = dev_index_find(ix, p->pub);
	enum peer_state before = p->fsm.state;
	char lbl[64];
	unsigned act;

	if (!wp) {
		if (p->on_device)
			log_warn(eng->log, "peer %s is no longer on %s; waiting for it",
				 peer_label(p, lbl, sizeof(lbl)), p->ifc->name);
		p->on_device = false;
		peer_arm(p);
		return;
	}
	if (!p->on_device) {
		p->on_device = true;
		peer_init(&p->fsm, now_ms(eng), memcmp(p->ifc->pub, p->pub, WG_KEY_LEN) > 0);
		peer_publish(p, true);
	}
	act = peer_on_sample(&p->fsm, peer_params_for(eng, p, &pp), now_ms(eng), unix_now(), wp);
	if (act & PEER_ACT_NOTE_LEFTOVER) {
		log_info(eng->log,
			 "peer %s: keepalive 1 s found, as left by a stunmesh that did not stop cleanly; "
			 "it goes back to off once connected", peer_label(p, lbl, sizeof(lbl)));
	}
	peer_act(p, act, before);
	peer_arm(p);
}

static int peer_new(struct eng_iface *ifc, const struct config_peer *cp, struct eng_peer **out)
{
	struct engine *eng = ifc->eng;
	struct eng_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->ifc = ifc;
	p->eng = eng;
	loop_timer_init(&p->timer, peer_timer_cb, p); /* before anything can fail */
	p->name = strdup(cp->name);
	p->store_name = strdup(cp->plugin_name);
	if (!p->name || !p->store_name) {
		peer_free(p);
		return -ENOMEM;
	}
	memcpy(p->pub, cp->public_key, WG_KEY_LEN);
	p->protocol = cp->protocol;
	for (size_t i = 0; i < eng->n_stores; i++)
		if (!strcmp(eng->store_names[i], cp->plugin_name))
			p->store = eng->stores[i];
	if (!p->store)
		snprintf(p->publish_result, sizeof(p->publish_result),
			 "store %s could not be set up (see the log)", cp->plugin_name);
	peer_init(&p->fsm, now_ms(eng), false);
	*out = p;
	return 0;
}

/* Keys depend on our own public key, known once the device is read. */
static void peer_bind_device(struct eng_peer *p, bool same_device)
{
	struct eng_iface *ifc = p->ifc;
	record_write_key(ifc->pub, p->pub, p->write_key);
	record_read_key(ifc->pub, p->pub, p->read_key);
	peer_restart(&p->fsm, now_ms(ifc->eng), memcmp(ifc->pub, p->pub, WG_KEY_LEN) > 0,
		     same_device);
	free(p->published);
	p->published = NULL;
	if (p->store)
		store_dedup_forget(p->store, p->write_key);
}

/* ---- discovery ------------------------------------------------------------------------ */

static void disc_stop(struct eng_disc *dc)
{
	struct engine *eng = dc->ifc->eng;

	if (dc->fd >= 0)
		loop_fd_remove(eng->loop, dc->fd);
	dc->fd = -1;
	loop_timer_cancel(eng->loop, &dc->timer);
	if (dc->running)
		discover_free(&dc->d);
	dc->running = false;
}

static void disc_arm(struct eng_disc *dc);

static bool iface_symmetric(const struct eng_iface *ifc)
{
	return ifc->disc[0].nat == NAT_SYMMETRIC || ifc->disc[1].nat == NAT_SYMMETRIC;
}

static void disc_start_list(struct eng_disc *dc, char *const *servers, size_t n);

/* A family is settled once it has answered or failed (or is not wanted at all). */
static bool disc_settled(const struct eng_disc *dc)
{
	int idx = dc == &dc->ifc->disc[0] ? 0 : 1;

	return dc->have || dc->error[0] || !family_wanted(dc->ifc, idx);
}

/* The NAT check's answer: the same public port from a second server means the NAT
 * keeps one mapping for every destination (what hole punching needs). */
static void disc_check_done(struct eng_disc *dc)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	union sm_addr other;
	char a[64], b[64];
	bool was_sym = iface_symmetric(ifc);

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
	if (iface_symmetric(ifc) != was_sym)
		for (size_t i = 0; i < ifc->n_peers; i++)
			peer_publish(ifc->peers[i], true);
}

static void disc_finish(struct eng_disc *dc)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	union sm_addr mapped;
	char now_s[64], was[64];
	char *others[16];
	size_t n_others = 0, answered = SIZE_MAX;
	bool changed;

	if (dc->checking) {
		disc_check_done(dc);
		disc_stop(dc);
		disc_arm(dc);
		return;
	}
	if (discover_result(&dc->d, &mapped) == 0) {
		changed = !dc->have || !addr_equal(&mapped, &dc->mapped);
		addr_format(&mapped, now_s, sizeof(now_s));
		if (changed && dc->have) {
			addr_format(&dc->mapped, was, sizeof(was));
			log_info(eng->log, "%s: public %s endpoint changed: %s (was %s)", ifc->name,
				 fam_name(dc->family), now_s, was);
		} else if (changed) {
			log_info(eng->log, "%s: public %s endpoint is %s", ifc->name,
				 fam_name(dc->family), now_s);
		}
		if (changed)
			dc->checked = false;
		dc->mapped = mapped;
		dc->have = true;
		dc->learned_unix = unix_now();
		dc->error[0] = '\0';
		dc->next_ms = now_ms(eng) + eng->opts.stun_ms;
		for (size_t i = 0; i < dc->d.n_servers && answered == SIZE_MAX; i++)
			if (dc->d.servers[i].state == DS_OK)
				answered = i;
		disc_stop(dc);
		/* with both families wanted, the first record waits for the other one's
		 * first answer (or failure), so peers do not take IPv4 and then switch */
		if (changed && disc_settled(&ifc->disc[dc == &ifc->disc[0] ? 1 : 0]))
			for (size_t i = 0; i < ifc->n_peers; i++) {
				struct peer_params pp;

				peer_publish(ifc->peers[i], false);
				peer_on_republished(&ifc->peers[i]->fsm,
						    peer_params_for(eng, ifc->peers[i], &pp), now_ms(eng));
				peer_arm(ifc->peers[i]);
			}
		/* once per mapping: ask the servers that did not answer, which see the port
		 * from another destination */
		if (!dc->checked) {
			for (size_t i = 0; i < eng->cfg->n_stun_servers && n_others < 16; i++)
				if (i != answered)
					others[n_others++] = eng->cfg->stun_servers[i];
			if (n_others) {
				dc->checking = true;
				disc_start_list(dc, others, n_others);
				return;
			}
			dc->checked = true;
		}
	} else {
		bool first = !dc->have && !dc->error[0];

		if (strcmp(dc->error, discover_error(&dc->d)))
			log_warn(eng->log, "%s: %s discovery failed: %s", ifc->name,
				 fam_name(dc->family), discover_error(&dc->d));
		snprintf(dc->error, sizeof(dc->error), "%s", discover_error(&dc->d));
		/* the other family's first record waited for this one */
		if (first)
			for (size_t i = 0; i < ifc->n_peers; i++)
				peer_publish(ifc->peers[i], false);
		dc->next_ms = now_ms(eng) + DISC_RETRY_MS;
		disc_stop(dc);
	}
	disc_arm(dc);
	check_oneshot(eng);
}

static void disc_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct eng_disc *dc = arg;

	(void)l;
	(void)fd;
	(void)events;
	discover_on_readable(&dc->d, loop_now(dc->ifc->eng->loop) * 1000);
	if (discover_done(&dc->d))
		disc_finish(dc);
	else
		disc_arm(dc);
}

static void disc_start_list(struct eng_disc *dc, char *const *servers, size_t n)
{
	struct eng_iface *ifc = dc->ifc;
	struct engine *eng = ifc->eng;
	struct errbuf e = { "" };
	int r;

	disc_stop(dc);
	r = discover_start(&dc->d, servers, n, dc->family, ifc->listen_port, ifc->fwmark, NULL,
			   NULL, eng->log, now_ms(eng) * 1000, &e);
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
		dc->next_ms = now_ms(eng) + DISC_RETRY_MS;
		disc_arm(dc);
		return;
	}
	dc->running = true;
	dc->fd = discover_fd(&dc->d);
	if (dc->fd >= 0 && loop_fd_add(eng->loop, dc->fd, LOOP_READ, disc_readable, dc))
		dc->fd = -1;
	if (discover_done(&dc->d))
		disc_finish(dc);
	else
		disc_arm(dc);
}

static void disc_start(struct eng_disc *dc)
{
	dc->checking = false;
	disc_start_list(dc, dc->ifc->eng->cfg->stun_servers, dc->ifc->eng->cfg->n_stun_servers);
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

static void disc_arm(struct eng_disc *dc)
{
	struct engine *eng = dc->ifc->eng;
	int64_t now = now_ms(eng), t;

	if (!dc->ifc->present)
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

static bool family_wanted(const struct eng_iface *ifc, int idx)
{
	return idx == 0 ? ifc->protocol != FAMILY_IPV6 : ifc->protocol != FAMILY_IPV4;
}

/* Starts discovery now (now=true) or arms the periodic one. */
static void iface_discover(struct eng_iface *ifc, bool now)
{
	for (int i = 0; i < 2; i++) {
		struct eng_disc *dc = &ifc->disc[i];

		if (!family_wanted(ifc, i) || !ifc->present)
			continue;
		if (now && !dc->running)
			disc_start(dc);
		else
			disc_arm(dc);
	}
}

/* ---- interfaces ---------------------------------------------------------------------- */

static void iface_gone(struct eng_iface *ifc, const char *why)
{
	struct engine *eng = ifc->eng;

	if (ifc->present || strcmp(ifc->error, why))
		log_warn(eng->log, "%s: %s; will pick it up when it is back", ifc->name, why);
	snprintf(ifc->error, sizeof(ifc->error), "%s", why);
	ifc->present = false;
	for (int i = 0; i < 2; i++)
		disc_stop(&ifc->disc[i]);
	for (size_t i = 0; i < ifc->n_peers; i++) {
		ifc->peers[i]->on_device = false;
		loop_timer_cancel(eng->loop, &ifc->peers[i]->timer);
	}
}

/* Reads the device: on the first reading (or after the interface came back, or changed
 * its port, fwmark or key) everything starts over; otherwise the peers get a sample. */
static void iface_sample(struct eng_iface *ifc)
{
	struct engine *eng = ifc->eng;
	struct wg_device *dev = NULL;
	struct dev_index ix = { 0 };
	struct errbuf e = { "" };
	unsigned ifindex;
	bool fresh;
	int r;

	r = wg_device_get(ifc->name, ifc->backend, &dev, &e);
	if (r) {
		iface_gone(ifc, e.msg);
		return;
	}
	ifc->samples++;
	dev_index_build(&ix, dev);
	ifindex = if_nametoindex(ifc->name);
	fresh = !ifc->present || ifindex != ifc->ifindex || dev->listen_port != ifc->listen_port ||
		dev->fwmark != ifc->fwmark || memcmp(dev->public_key, ifc->pub, WG_KEY_LEN);
	if (fresh) {
		char b64[WG_KEY_B64_LEN];

		if (!(dev->flags & WG_DEV_HAS_PRIVATE_KEY) || !dev->listen_port) {
			iface_gone(ifc, !dev->listen_port ? "has no listen port yet"
							  : "has no private key yet");
			free(ix.sorted);
			secure_zero(dev->private_key, WG_KEY_LEN);
			wg_device_free(dev);
			return;
		}
		wg_key_to_base64(b64, dev->public_key);
		log_info(eng->log, "%s: %s via %s, listen port %u%s%s, public key %s, %zu peer%s configured",
			 ifc->name, ifc->present ? "changed" : "found", wg_backend_name(dev->backend),
			 dev->listen_port, dev->fwmark ? ", fwmark set" : "", "", b64,
			 ifc->n_peers, ifc->n_peers == 1 ? "" : "s");
		ifc->present = true;
		ifc->error[0] = '\0';
		ifc->listen_port = dev->listen_port;
		ifc->fwmark = dev->fwmark;
		ifc->old_ifindex = ifc->ifindex;
		ifc->ifindex = ifindex;
		memcpy(ifc->pub, dev->public_key, WG_KEY_LEN);
		memcpy(ifc->priv, dev->private_key, WG_KEY_LEN);
		for (int i = 0; i < 2; i++) {
			disc_stop(&ifc->disc[i]);
			ifc->disc[i].have = false;
			ifc->disc[i].checking = ifc->disc[i].checked = false;
			ifc->disc[i].nat = NAT_UNKNOWN;
		}
		for (size_t i = 0; i < ifc->n_peers; i++) {
			struct eng_peer *p = ifc->peers[i];
			char lbl[64];

			peer_bind_device(p, ifindex == ifc->old_ifindex);
			p->on_device = dev_index_find(&ix, p->pub) != NULL;
			if (!p->on_device)
				log_warn(eng->log, "peer %s: its public key is not a peer of %s; skipped until it is",
					 peer_label(p, lbl, sizeof(lbl)), ifc->name);
		}
		iface_discover(ifc, true);
	}
	for (size_t i = 0; i < ifc->n_peers; i++)
		peer_sample(ifc->peers[i], &ix);
	free(ix.sorted);
	secure_zero(dev->private_key, WG_KEY_LEN);
	wg_device_free(dev);
}

static void sample_timer_cb(struct loop *l, void *arg)
{
	struct eng_iface *ifc = arg;
	struct engine *eng = ifc->eng;

	int64_t next = eng->opts.sample_ms;

	(void)l;
	iface_sample(ifc);
	/* while a peer is being punched, look often: the handshake is the news */
	for (size_t i = 0; i < ifc->n_peers; i++)
		if (ifc->peers[i]->on_device && peer_wants_fast_samples(&ifc->peers[i]->fsm) &&
		    next > PUNCH_SAMPLE_MS)
			next = PUNCH_SAMPLE_MS;
	loop_timer_arm(eng->loop, &ifc->sample_timer, ifc->present ? next : MISSING_RETRY_MS);
	check_oneshot(eng);
}

static void iface_free(struct eng_iface *ifc)
{
	if (!ifc)
		return;
	for (int i = 0; i < 2; i++)
		disc_stop(&ifc->disc[i]);
	loop_timer_cancel(ifc->eng->loop, &ifc->sample_timer);
	for (size_t i = 0; i < ifc->n_peers; i++)
		peer_release(ifc->peers[i]);
	free(ifc->peers);
	secure_zero(ifc->priv, sizeof(ifc->priv));
	free(ifc->name);
	free(ifc);
}

static int iface_new(struct engine *eng, const struct config_iface *ci, struct eng_iface **out)
{
	struct eng_iface *ifc = calloc(1, sizeof(*ifc));
	int r = -ENOMEM;

	if (!ifc)
		return -ENOMEM;
	ifc->eng = eng;
	/* timers and fds first: the failure path below frees through them */
	for (int i = 0; i < 2; i++) {
		ifc->disc[i].ifc = ifc;
		ifc->disc[i].family = i ? AF_INET6 : AF_INET;
		ifc->disc[i].fd = -1;
		loop_timer_init(&ifc->disc[i].timer, disc_timer_cb, &ifc->disc[i]);
	}
	loop_timer_init(&ifc->sample_timer, sample_timer_cb, ifc);
	ifc->name = strdup(ci->name);
	ifc->protocol = ci->protocol;
	ifc->backend = ci->backend;
	ifc->peers = calloc(ci->n_peers + 1, sizeof(*ifc->peers));
	if (!ifc->name || !ifc->peers)
		goto fail;
	for (size_t i = 0; i < ci->n_peers; i++) {
		if ((r = peer_new(ifc, &ci->peers[i], &ifc->peers[i])))
			goto fail;
		ifc->n_peers++;
	}
	*out = ifc;
	return 0;
fail:
	iface_free(ifc);
	return r;
}

static void iface_start(struct eng_iface *ifc)
{
	loop_timer_arm(ifc->eng->loop, &ifc->sample_timer, 0);
}

/* ---- stores ---------------------------------------------------------------------------- */

static int stores_build(struct engine *eng, const struct config *cfg, struct store ***stores,
			char ***names)
{
	struct store_env env = { .loop = eng->loop, .log = eng->log };
	struct store **s = calloc(cfg->n_plugins + 1, sizeof(*s));
	char **n = calloc(cfg->n_plugins + 1, sizeof(*n));

	if (!s || !n) {
		free(s);
		free(n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		struct errbuf e = { "" };

		n[i] = strdup(cfg->plugins[i].name);
		if (!n[i])
			continue;
		if (store_new(&cfg->plugins[i], &env, &s[i], &e)) {
			log_error(eng->log, "store %s: %s; peers that use it will wait", n[i], e.msg);
			s[i] = NULL;
		}
	}
	*stores = s;
	*names = n;
	return 0;
}

/* ---- the engine ------------------------------------------------------------------------ */

static void oneshot_timeout_cb(struct loop *l, void *arg)
{
	struct engine *eng = arg;

	log_error(eng->log, "--oneshot: gave up after the timeout");
	eng->exit_code = 1;
	loop_stop(l);
}

bool engine_oneshot_done(const struct engine *eng)
{
	for (size_t i = 0; i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];

		if (!ifc->present)
			return false;
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct eng_peer *p = ifc->peers[j];

			if (!p->on_device)
				continue;
			if (!p->endpoint_ever_set || strcmp(p->publish_result, "ok"))
				return false;
		}
	}
	return true;
}

void engine_report_failures(const struct engine *eng)
{
	for (size_t i = 0; i < eng->n_ifaces; i++) {
		const struct eng_iface *ifc = eng->ifaces[i];

		if (!ifc->present) {
			log_error(eng->log, "%s: %s", ifc->name, ifc->error);
			continue;
		}
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct eng_peer *p = ifc->peers[j];

			if (!p->on_device)
				continue;
			if (!p->endpoint_ever_set)
				log_error(eng->log, "peer %s/%s: no endpoint set: %s", ifc->name, p->name,
					  p->fetch_result[0] ? p->fetch_result : "no record read yet");
			if (strcmp(p->publish_result, "ok"))
				log_error(eng->log, "peer %s/%s: our endpoint not published: %s",
					  ifc->name, p->name,
					  p->publish_result[0] ? p->publish_result
							       : (ifc->disc[0].error[0] ? ifc->disc[0].error
											: ifc->disc[1].error[0] ? ifc->disc[1].error
														: "no public endpoint learnt yet"));
		}
	}
}

static void check_oneshot(struct engine *eng)
{
	if (!eng->opts.oneshot || !engine_oneshot_done(eng))
		return;
	log_info(eng->log, "--oneshot: every peer has an endpoint and our record is published");
	eng->exit_code = 0;
	loop_stop(eng->loop);
}

int engine_new(struct loop *loop, struct logger *log, struct config *cfg,
	       const struct engine_opts *opts, const struct config_source *src,
	       struct engine **out, struct errbuf *e)
{
	struct engine *eng = calloc(1, sizeof(*eng));
	int r;

	if (!eng)
		return err_set(e, -ENOMEM, "out of memory");
	eng->loop = loop;
	eng->log = log;
	eng->cfg = cfg;
	eng->control_fd = -1;
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
	eng->exit_code = 0;
	loop_timer_init(&eng->oneshot_timer, oneshot_timeout_cb, eng);
	if ((r = stores_build(eng, cfg, &eng->stores, &eng->store_names)))
		goto fail;
	eng->n_stores = cfg->n_plugins;
	eng->ifaces = calloc(cfg->n_ifaces + 1, sizeof(*eng->ifaces));
	if (!eng->ifaces) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		if ((r = iface_new(eng, &cfg->ifaces[i], &eng->ifaces[i])))
			goto fail;
		eng->n_ifaces++;
	}
	*out = eng;
	return 0;
fail:
	eng->cfg = NULL; /* the caller still owns it on failure */
	engine_free(eng);
	return err_set(e, r, "cannot set up the engine: %s", strerror(-r));
}

int engine_start(struct engine *eng, struct errbuf *e)
{
	const char *path = eng->opts.control_path ? eng->opts.control_path : eng->cfg->control_socket;
	int r;

	eng->started_ms = now_ms(eng);
	if (path && *path && !eng->opts.oneshot) {
		r = control_open(eng, path, e);
		if (r)
			log_warn(eng->log, "no control socket (status and refresh will not work): %s",
				 e->msg);
	}
	if (eng->n_ifaces == 0)
		log_warn(eng->log, "no interfaces configured: nothing to do");
	for (size_t i = 0; i < eng->n_ifaces; i++)
		iface_start(eng->ifaces[i]);
	if (eng->opts.oneshot)
		loop_timer_arm(eng->loop, &eng->oneshot_timer, eng->opts.oneshot_timeout_ms);
	return 0;
}

size_t engine_refresh(struct engine *eng, const char *peer)
{
	size_t n = 0;

	for (size_t i = 0; i < eng->n_ifaces; i++) {
		struct eng_iface *ifc = eng->ifaces[i];
		bool any = false;

		for (size_t j = 0; j < ifc->n_peers; j++) {
			struct eng_peer *p = ifc->peers[j];

			if (peer && strcmp(peer, p->name))
				continue;
			any = true;
			n++;
			peer_on_refresh(&p->fsm, now_ms(eng));
			peer_publish(p, true);
			peer_arm(p);
		}
		if (any)
			iface_discover(ifc, true);
	}
	return n;
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	/* Endpoints we set stay set; keepalives we hold at 1 s are given back by
	 * peer_release. */
	control_close(eng);
	for (size_t i = 0; i < eng->n_ifaces; i++)
		iface_free(eng->ifaces[i]);
	free(eng->ifaces);
	/* Stores go after the peers: freeing a store abandons its operations without
	 * callbacks, so detached peers waiting for them are freed here too. */
	for (size_t i = 0; i < eng->n_stores; i++)
		if (eng->stores && eng->stores[i])
			store_free(eng->stores[i]);
	for (size_t i = 0; i < eng->n_stores; i++)
		free(eng->store_names ? eng->store_names[i] : NULL);
	free(eng->stores);
	free(eng->store_names);

	loop_timer_cancel(eng->loop, &eng->oneshot_timer);
	config_free(eng->cfg);
	free(eng);
}

/* ---- reload ------------------------------------------------------------------------------ */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool plugin_equal(const struct config_plugin *a, const struct config_plugin *b)
{
	if (a->type != b->type || a->dedup != b->dedup || a->dedup_set != b->dedup_set ||
	    a->timeout_ms != b->timeout_ms || a->ttl != b->ttl || a->n_args != b->n_args ||
	    !str_eq(a->command, b->command) || !str_eq(a->zone, b->zone) ||
	    !str_eq(a->token, b->token) || !str_eq(a->subdomain, b->subdomain) ||
	    !str_eq(a->dir, b->dir))
		return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (!str_eq(a->args[i], b->args[i]))
			return false;
	return true;
}

/* A peer whose store is replaced: operations on the old one are abandoned. */
static void peer_rebind_store(struct eng_peer *p, struct store *s, const char *name)
{
	char *n = strdup(name);

	if (p->store)
		store_cancel(p->store, p);
	if (n) {
		free(p->store_name);
		p->store_name = n;
	}
	p->store = s;
	p->publishing = false;
	p->publish_backoff_ms = 0;
	p->next_publish_ms = now_ms(p->eng); /* our record belongs in the new store now */
	p->publish_again = false;
	peer_on_store_changed(&p->fsm, now_ms(p->eng));
	p->publish_result[0] = '\0';
	p->fetch_result[0] = '\0';
	if (!s)
		snprintf(p->publish_result, sizeof(p->publish_result),
			 "store %s could not be set up (see the log)", name);
}

void engine_reload(struct engine *eng)
{
	struct config_diags diags = { 0 };
	struct errbuf e = { "" };
	struct config *ncfg = NULL;
	struct store **nstores = NULL;
	char **nnames = NULL, *path = NULL;
	struct eng_iface **nifaces = NULL;
	bool *store_taken = NULL, *iface_taken = NULL;
	size_t n_new_ifaces = 0, added = 0, removed = 0, kept = 0;
	int r;

	r = config_find(&eng->src, &path, &e);
	if (!r)
		r = config_load(path, &ncfg, &diags);
	for (size_t i = 0; i < diags.n; i++)
		log_msg(eng->log, diags.items[i].severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN,
			"reload: %s:%u:%u: %s", diags.file ? diags.file : "config",
			diags.items[i].pos.line, diags.items[i].pos.column, diags.items[i].msg);
	config_diags_free(&diags);
	if (r) {
		log_error(eng->log, "reload: %s; keeping the running configuration",
			  r == -EINVAL ? "the configuration has errors" : e.msg[0] ? e.msg : strerror(-r));
		free(path);
		return;
	}
	free(path);

	store_taken = calloc(eng->n_stores + 1, sizeof(bool));
	iface_taken = calloc(eng->n_ifaces + 1, sizeof(bool));
	nstores = calloc(ncfg->n_plugins + 1, sizeof(*nstores));
	nnames = calloc(ncfg->n_plugins + 1, sizeof(*nnames));
	nifaces = calloc(ncfg->n_ifaces + 1, sizeof(*nifaces));
	if (!store_taken || !iface_taken || !nstores || !nnames || !nifaces)
		goto oom;

	/* stores: keep those whose settings did not change */
	for (size_t i = 0; i < ncfg->n_plugins; i++) {
		const struct config_plugin *np = &ncfg->plugins[i];
		struct store_env env = { .loop = eng->loop, .log = eng->log };

		if (!(nnames[i] = strdup(np->name)))
			goto oom;
		for (size_t j = 0; j < eng->n_stores; j++) {
			if (store_taken[j] || strcmp(eng->store_names[j], np->name) ||
			    !plugin_equal(&eng->cfg->plugins[j], np))
				continue;
			nstores[i] = eng->stores[j];
			store_taken[j] = true;
			break;
		}
		if (!nstores[i] && store_new(np, &env, &nstores[i], &e)) {
			log_error(eng->log, "reload: store %s: %s; peers that use it will wait",
				  np->name, e.msg);
			nstores[i] = NULL;
		}
	}

	/* interfaces and their peers */
	for (size_t i = 0; i < ncfg->n_ifaces; i++) {
		const struct config_iface *ci = &ncfg->ifaces[i];
		struct eng_iface *ifc = NULL;

		for (size_t j = 0; j < eng->n_ifaces; j++)
			if (!iface_taken[j] && !strcmp(eng->ifaces[j]->name, ci->name) &&
			    eng->ifaces[j]->protocol == ci->protocol &&
			    eng->ifaces[j]->backend == ci->backend) {
				ifc = eng->ifaces[j];
				iface_taken[j] = true;
				break;
			}
		if (!ifc) {
			if (iface_new(eng, ci, &ifc))
				goto oom;
			/* stores of the new peers */
			for (size_t k = 0; k < ifc->n_peers; k++) {
				struct eng_peer *p = ifc->peers[k];

				p->store = NULL;
				for (size_t s = 0; s < ncfg->n_plugins; s++)
					if (!strcmp(nnames[s], p->store_name))
						p->store = nstores[s];
			}
			nifaces[n_new_ifaces++] = ifc;
			added += ifc->n_peers;
			ifc->samples = -1; /* marks "start me" below */
			continue;
		}
		/* same interface: match peers by name and key */
		struct eng_peer **np = calloc(ci->n_peers + 1, sizeof(*np));
		bool *ptaken = calloc(ifc->n_peers + 1, sizeof(bool));
		size_t nn = 0;

		if (!np || !ptaken) {
			free(np);
			free(ptaken);
			goto oom;
		}
		for (size_t k = 0; k < ci->n_peers; k++) {
			const struct config_peer *cp = &ci->peers[k];
			struct eng_peer *p = NULL;
			struct store *s = NULL;

			for (size_t q = 0; q < ncfg->n_plugins; q++)
				if (!strcmp(nnames[q], cp->plugin_name))
					s = nstores[q];
			for (size_t q = 0; q < ifc->n_peers; q++)
				if (!ptaken[q] && !strcmp(ifc->peers[q]->name, cp->name) &&
				    !memcmp(ifc->peers[q]->pub, cp->public_key, WG_KEY_LEN)) {
					p = ifc->peers[q];
					ptaken[q] = true;
					break;
				}
			if (p) {
				kept++;
				p->protocol = cp->protocol;
				if (p->store != s || strcmp(p->store_name, cp->plugin_name))
					peer_rebind_store(p, s, cp->plugin_name);
			} else {
				if (peer_new(ifc, cp, &p)) {
					free(ptaken);
					free(np);
					goto oom;
				}
				p->store = s;
				added++;
				if (ifc->present) {
					peer_bind_device(p, false);
					p->on_device = false; /* the next sample takes it in */
				}
			}
			np[nn++] = p;
		}
		for (size_t q = 0; q < ifc->n_peers; q++)
			if (!ptaken[q]) {
				removed++;
				peer_release(ifc->peers[q]);
			}
		free(ptaken);
		free(ifc->peers);
		ifc->peers = np;
		ifc->n_peers = nn;
		nifaces[n_new_ifaces++] = ifc;
	}
	for (size_t j = 0; j < eng->n_ifaces; j++)
		if (!iface_taken[j]) {
			removed += eng->ifaces[j]->n_peers;
			log_info(eng->log, "reload: %s is no longer configured", eng->ifaces[j]->name);
			iface_free(eng->ifaces[j]);
		}

	/* stores nobody kept: free them; their operations are abandoned, so peers that
	 * were waiting on them must not wait any more */
	for (size_t j = 0; j < eng->n_stores; j++) {
		if (store_taken[j] || !eng->stores[j])
			continue;
		for (size_t i = 0; i < n_new_ifaces; i++)
			for (size_t k = 0; k < nifaces[i]->n_peers; k++) {
				struct eng_peer *p = nifaces[i]->peers[k];

				if (p->store == eng->stores[j])
					peer_rebind_store(p, NULL, p->store_name);
			}
		store_free(eng->stores[j]);
	}
	for (size_t j = 0; j < eng->n_stores; j++)
		free(eng->store_names[j]);
	free(eng->stores);
	free(eng->store_names);
	eng->stores = nstores;
	eng->store_names = nnames;
	eng->n_stores = ncfg->n_plugins;
	free(eng->ifaces);
	eng->ifaces = nifaces;
	eng->n_ifaces = n_new_ifaces;
	config_free(eng->cfg);
	eng->cfg = ncfg;
	eng->log->level = ncfg->log_level;
	eng->log->format = ncfg->log_format;

	for (size_t i = 0; i < eng->n_ifaces; i++) {
		struct eng_iface *ifc = eng->ifaces[i];

		if (ifc->samples == -1) {
			ifc->samples = 0;
			iface_start(ifc);
			continue;
		}
		for (size_t k = 0; k < ifc->n_peers; k++) {
			if (!ifc->peers[k]->store && ifc->peers[k]->publish_result[0] == '\0')
				snprintf(ifc->peers[k]->publish_result,
					 sizeof(ifc->peers[k]->publish_result),
					 "store %s could not be set up (see the log)",
					 ifc->peers[k]->store_name);
			peer_arm(ifc->peers[k]);
		}
		/* new peers are taken in by the next reading of the device */
		loop_timer_arm(eng->loop, &ifc->sample_timer, 0);
	}
	log_info(eng->log, "reload: configuration applied (%zu peer%s added, %zu removed, %zu unchanged)",
		 added, added == 1 ? "" : "s", removed, kept);
	free(store_taken);
	free(iface_taken);
	return;
oom:
	log_error(eng->log, "reload: out of memory; keeping the running configuration");
	/* Peers may already point at stores built for the new configuration: those are
	 * left allocated (a leak under memory pressure beats a dangling pointer). */
	free(store_taken);
	free(iface_taken);
	config_free(ncfg);
}
