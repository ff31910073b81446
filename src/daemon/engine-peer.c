/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A peer's life in the engine: created from the configuration, bound to the device once
 * our own key is known, fed device readings, woken by its timer for fetches, keepalive
 * changes and republishing, and released (its keepalive given back). */
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void peer_timer_cb(struct loop *l, void *arg)
{
	struct eng_peer *p = arg;
	struct peer_params pp;
	enum peer_state before = p->fsm.state;
	int64_t now = loop_now(l);
	unsigned act;

	act = peer_on_tick(&p->fsm, eng_peer_params(p, &pp), now);
	eng_peer_act(p, act, before);
	if (peer_fetch_due(&p->fsm, now))
		eng_peer_fetch(p);
	if (!p->publishing && p->next_publish_ms && now >= p->next_publish_ms) {
		p->next_publish_ms = 0;
		eng_peer_publish(p, false);
	}
	eng_peer_arm(p);
}

void eng_peer_arm(struct eng_peer *p)
{
	struct engine *eng = p->eng;
	struct peer_params pp;
	int64_t t, now = eng_now_ms(eng);

	/* no store (it could not be set up): nothing is due until a reload gives one */
	if (!p->store || !p->ifc->present || !p->on_device || eng->stopping) {
		loop_timer_cancel(eng->loop, &p->timer);
		return;
	}
	t = peer_next_event(&p->fsm, eng_peer_params(p, &pp));
	if (p->next_publish_ms && !p->publishing && p->next_publish_ms < t)
		t = p->next_publish_ms;
	if (t == INT64_MAX) {
		loop_timer_cancel(eng->loop, &p->timer);
		return;
	}
	loop_timer_arm(eng->loop, &p->timer, t > now ? t - now : 0);
}

void eng_peer_mark_no_store(struct eng_peer *p)
{
	eng_result_set(&p->publish, PUBLISH_NO_STORE, "store %s could not be set up (see the log)",
		       p->store_name);
}

int eng_peer_new(struct eng_iface *ifc, const struct config_peer *cp, const struct eng_stores *st,
		 struct eng_peer **out)
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
		eng_peer_free(p);
		return -ENOMEM;
	}
	memcpy(p->pub, cp->public_key, WG_KEY_LEN);
	p->protocol = cp->protocol;
	p->store = eng_stores_find(st, cp->plugin_name);
	if (!p->store)
		eng_peer_mark_no_store(p);
	peer_init(&p->fsm, eng_now_ms(eng), false);
	*out = p;
	return 0;
}

void eng_peer_free(struct eng_peer *p)
{
	if (!p)
		return;
	loop_timer_cancel(p->eng->loop, &p->timer);
	free(p->name);
	free(p->store_name);
	free(p->published);
	free(p);
}

void eng_peer_give_back(struct eng_peer *p)
{
	struct engine_wg_update u = { .keepalive = -1 };
	char lbl[ENG_LABEL_LEN];

	if (!p->ifc->present || !p->on_device || !(peer_on_release(&p->fsm) & PEER_ACT_KEEPALIVE_RESTORE))
		return;
	memcpy(u.pub, p->pub, WG_KEY_LEN);
	u.keepalive = p->fsm.ka.user;
	eng_peer_label(p, lbl, sizeof(lbl));
	if (eng_dev_set(p->ifc->dev, p, lbl, PEER_ACT_KEEPALIVE_RESTORE, &u, 1))
		log_warn(p->eng->log, "peer %s: cannot restore keepalive %u", lbl, p->fsm.ka.user);
}

/* Its store operations are abandoned (no callbacks), so nothing can come back to it;
 * device requests in flight only log their result. */
void eng_peer_release(struct eng_peer *p)
{
	eng_peer_give_back(p);
	if (p->store)
		store_cancel(p->store, p);
	eng_dev_forget_peer(p->ifc->dev, p);
	eng_peer_free(p);
}

void eng_peer_bind_device(struct eng_peer *p, bool same_device)
{
	struct eng_iface *ifc = p->ifc;

	record_write_key(ifc->pub, p->pub, p->write_key);
	record_read_key(ifc->pub, p->pub, p->read_key);
	peer_restart(&p->fsm, eng_now_ms(ifc->eng), memcmp(ifc->pub, p->pub, WG_KEY_LEN) > 0,
		     same_device);
	free(p->published);
	p->published = NULL;
	if (p->store)
		store_dedup_forget(p->store, p->write_key);
}

void eng_peer_rebind_store(struct eng_peer *p, struct store *s, char *name)
{
	if (p->store)
		store_cancel(p->store, p);
	free(p->store_name);
	p->store_name = name;
	p->store = s;
	p->publishing = false;
	p->publish_backoff_ms = 0;
	p->next_publish_ms = eng_now_ms(p->eng); /* our record belongs in the new store now */
	p->publish_again = false;
	peer_on_store_changed(&p->fsm, eng_now_ms(p->eng));
	memset(&p->publish, 0, sizeof(p->publish));
	memset(&p->fetch, 0, sizeof(p->fetch));
	if (!s)
		eng_peer_mark_no_store(p);
}

void eng_peer_sample(struct eng_peer *p, const struct wg_peer *wp)
{
	struct engine *eng = p->eng;
	struct peer_params pp;
	enum peer_state before = p->fsm.state;
	char lbl[ENG_LABEL_LEN];
	unsigned act;

	eng_peer_label(p, lbl, sizeof(lbl));
	if (!wp) {
		if (p->on_device)
			log_warn(eng->log, "peer %s is no longer on %s; waiting for it", lbl,
				 p->ifc->name);
		p->on_device = false;
		eng_peer_arm(p);
		return;
	}
	if (!p->on_device) {
		p->on_device = true;
		peer_init(&p->fsm, eng_now_ms(eng), memcmp(p->ifc->pub, p->pub, WG_KEY_LEN) > 0);
		eng_peer_publish(p, true);
	}
	act = peer_on_sample(&p->fsm, eng_peer_params(p, &pp), eng_now_ms(eng), eng_unix_now(eng), wp);
	if (act & PEER_ACT_NOTE_LEFTOVER)
		log_info(eng->log,
			 "peer %s: keepalive 1 s found, as left by a stunmesh that did not stop cleanly; "
			 "it goes back to off once connected", lbl);
	eng_peer_act(p, act, before);
	eng_peer_arm(p);
}
