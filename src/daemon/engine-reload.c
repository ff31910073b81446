/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Applying a configuration (at start and on SIGHUP) as a transaction: the new set of
 * stores, interfaces and peers is built beside the running one, reusing what did not
 * change (a store with the same settings, an interface with the same name, protocol
 * and backend, a peer with the same name and key); if anything fails (out of memory)
 * only what was new is freed and nothing running was touched. Then a step that cannot
 * fail swaps the new set in, releases what is gone and starts what is new. */
#include "daemon/engine.h"
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One configured peer of a kept interface. */
struct rl_peer {
	struct eng_peer *p; /* kept (running) or new */
	bool is_new;
	enum peer_family protocol;
	struct store *store;	/* its store in the new table */
	char *rebind_name;	/* a kept peer whose store changes: the name (ours until the swap) */
};

/* One configured interface. */
struct rl_iface {
	struct eng_iface *ifc; /* kept (running) or new */
	bool is_new;
	/* kept interfaces: */
	struct rl_peer *peers;
	struct eng_peer **table; /* its new peer table */
	size_t n_peers;
	bool *running_kept; /* [k]: its running peer k stays */
};

struct rl {
	struct config *cfg;
	struct eng_stores stores; /* the new table */
	bool *store_new;	  /* [i]: created by this build */
	bool *running_store_kept; /* [j]: the running store j goes into the new table */
	struct rl_iface *ifaces;  /* parallel to cfg->ifaces, n_ifaces built so far */
	size_t n_ifaces;
	struct eng_iface **table; /* the new interface table */
	bool *running_iface_kept;
	size_t added, removed, kept;
};

/* ---- build ------------------------------------------------------------------------------ */

static int build_stores(struct engine *eng, struct rl *rl, const char *prefix)
{
	const struct config *cfg = rl->cfg;
	struct store_env env = { .loop = eng->loop, .log = eng->log };

	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct config_plugin *np = &cfg->plugins[i];
		struct errbuf e = { "" };
		int r;

		if (!(rl->stores.names[i] = strdup(np->name)))
			return -ENOMEM;
		/* keep a running store whose settings did not change */
		for (size_t j = 0; j < eng->stores.n; j++) {
			if (rl->running_store_kept[j] || strcmp(eng->stores.names[j], np->name) ||
			    !store_config_equal(&eng->cfg->plugins[j], np))
				continue;
			rl->stores.s[i] = eng->stores.s[j];
			rl->running_store_kept[j] = true;
			break;
		}
		if (rl->stores.s[i])
			continue;
		r = eng->deps.store_new(eng->deps.store_ctx, np, &env, &rl->stores.s[i], &e);
		if (r == -ENOMEM)
			return r;
		if (r) {
			log_error(eng->log, "%sstore %s: %s; peers that use it will wait", prefix,
				  np->name, e.msg);
			rl->stores.s[i] = NULL;
			continue;
		}
		rl->store_new[i] = true;
	}
	return 0;
}

static struct eng_iface *running_iface(struct engine *eng, struct rl *rl,
				       const struct config_iface *ci)
{
	for (size_t j = 0; j < eng->n_ifaces; j++) {
		struct eng_iface *ifc = eng->ifaces[j];

		if (!rl->running_iface_kept[j] && !strcmp(ifc->name, ci->name) &&
		    ifc->protocol == ci->protocol && ifc->backend == ci->backend) {
			rl->running_iface_kept[j] = true;
			return ifc;
		}
	}
	return NULL;
}

/* A kept interface: its peers matched by name and key, the others new. */
static int build_kept_iface(struct rl *rl, struct rl_iface *ri, const struct config_iface *ci)
{
	struct eng_iface *ifc = ri->ifc;

	ri->peers = calloc(ci->n_peers + 1, sizeof(*ri->peers));
	ri->table = calloc(ci->n_peers + 1, sizeof(*ri->table));
	ri->running_kept = calloc(ifc->n_peers + 1, sizeof(bool));
	if (!ri->peers || !ri->table || !ri->running_kept)
		return -ENOMEM;
	for (size_t k = 0; k < ci->n_peers; k++) {
		const struct config_peer *cp = &ci->peers[k];
		struct rl_peer *rp = &ri->peers[k];
		int r;

		rp->store = eng_stores_find(&rl->stores, cp->plugin_name);
		rp->protocol = cp->protocol;
		for (size_t q = 0; q < ifc->n_peers && !rp->p; q++)
			if (!ri->running_kept[q] && !strcmp(ifc->peers[q]->name, cp->name) &&
			    !memcmp(ifc->peers[q]->pub, cp->public_key, WG_KEY_LEN)) {
				rp->p = ifc->peers[q];
				ri->running_kept[q] = true;
			}
		if (rp->p) {
			if ((rp->p->store != rp->store || strcmp(rp->p->store_name, cp->plugin_name)) &&
			    !(rp->rebind_name = strdup(cp->plugin_name)))
				return -ENOMEM;
			rl->kept++;
		} else {
			if ((r = eng_peer_new(ifc, cp, &rl->stores, &rp->p)))
				return r;
			rp->is_new = true;
			rl->added++;
		}
		ri->table[k] = rp->p;
		ri->n_peers++;
	}
	for (size_t q = 0; q < ifc->n_peers; q++)
		if (!ri->running_kept[q])
			rl->removed++;
	return 0;
}

static int build(struct engine *eng, struct rl *rl, const char *prefix)
{
	const struct config *cfg = rl->cfg;
	int r;

	rl->stores.s = calloc(cfg->n_plugins + 1, sizeof(*rl->stores.s));
	rl->stores.names = calloc(cfg->n_plugins + 1, sizeof(*rl->stores.names));
	rl->store_new = calloc(cfg->n_plugins + 1, sizeof(bool));
	rl->running_store_kept = calloc(eng->stores.n + 1, sizeof(bool));
	rl->ifaces = calloc(cfg->n_ifaces + 1, sizeof(*rl->ifaces));
	rl->table = calloc(cfg->n_ifaces + 1, sizeof(*rl->table));
	rl->running_iface_kept = calloc(eng->n_ifaces + 1, sizeof(bool));
	if (!rl->stores.s || !rl->stores.names || !rl->store_new || !rl->running_store_kept ||
	    !rl->ifaces || !rl->table || !rl->running_iface_kept)
		return -ENOMEM;
	rl->stores.n = cfg->n_plugins;
	if ((r = build_stores(eng, rl, prefix)))
		return r;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct rl_iface *ri = &rl->ifaces[i];

		ri->ifc = running_iface(eng, rl, &cfg->ifaces[i]);
		rl->n_ifaces++;
		if (ri->ifc) {
			r = build_kept_iface(rl, ri, &cfg->ifaces[i]);
		} else {
			r = eng_iface_new(eng, &cfg->ifaces[i], &rl->stores, &ri->ifc);
			ri->is_new = !r;
			if (!r)
				rl->added += ri->ifc->n_peers;
		}
		if (r)
			return r;
		rl->table[i] = ri->ifc;
	}
	for (size_t j = 0; j < eng->n_ifaces; j++)
		if (!rl->running_iface_kept[j])
			rl->removed += eng->ifaces[j]->n_peers;
	return 0;
}

/* The build failed: free what it made, and nothing else. */
static void discard(struct rl *rl)
{
	for (size_t i = 0; i < rl->n_ifaces; i++) {
		struct rl_iface *ri = &rl->ifaces[i];

		if (ri->is_new) {
			eng_iface_free(ri->ifc);
			continue;
		}
		for (size_t k = 0; k < ri->n_peers; k++) {
			if (ri->peers[k].is_new)
				eng_peer_free(ri->peers[k].p);
			free(ri->peers[k].rebind_name);
		}
		free(ri->peers);
		free(ri->table);
		free(ri->running_kept);
	}
	for (size_t i = 0; i < rl->stores.n; i++) {
		if (rl->store_new[i])
			store_free(rl->stores.s[i]);
		free(rl->stores.names[i]);
	}
	free(rl->stores.s);
	free(rl->stores.names);
	free(rl->store_new);
	free(rl->running_store_kept);
	free(rl->ifaces);
	free(rl->table);
	free(rl->running_iface_kept);
}

/* ---- swap ------------------------------------------------------------------------------- */

/* A kept interface takes its new peer table: the peers that are gone are released
 * (their keepalive given back), the kept ones take their new settings. */
static void swap_peers(struct rl_iface *ri)
{
	struct eng_iface *ifc = ri->ifc;

	for (size_t q = 0; q < ifc->n_peers; q++)
		if (!ri->running_kept[q])
			eng_peer_release(ifc->peers[q]);
	for (size_t k = 0; k < ri->n_peers; k++) {
		struct rl_peer *rp = &ri->peers[k];

		if (rp->is_new) {
			if (ifc->present) {
				eng_peer_bind_device(rp->p, false);
				rp->p->on_device = false; /* the next reading takes it in */
			}
			continue;
		}
		rp->p->protocol = rp->protocol;
		if (rp->rebind_name)
			eng_peer_rebind_store(rp->p, rp->store, rp->rebind_name);
	}
	free(ifc->peers);
	ifc->peers = ri->table;
	ifc->n_peers = ri->n_peers;
	free(ri->peers);
	free(ri->running_kept);
}

static void start_new(struct engine *eng, struct rl *rl)
{
	for (size_t i = 0; i < rl->n_ifaces; i++) {
		struct eng_iface *ifc = rl->ifaces[i].ifc;

		if (rl->ifaces[i].is_new) {
			eng_iface_start(ifc);
			continue;
		}
		for (size_t k = 0; k < ifc->n_peers; k++) {
			if (!ifc->peers[k]->store && ifc->peers[k]->publish.kind == PUBLISH_NOT_YET)
				eng_peer_mark_no_store(ifc->peers[k]);
			eng_peer_arm(ifc->peers[k]);
		}
		/* new peers are taken in by the next reading of the device */
		loop_timer_arm(eng->loop, &ifc->sample_timer, 0);
	}
}

static void swap(struct engine *eng, struct rl *rl)
{
	for (size_t i = 0; i < rl->n_ifaces; i++)
		if (!rl->ifaces[i].is_new)
			swap_peers(&rl->ifaces[i]);
	for (size_t j = 0; j < eng->n_ifaces; j++)
		if (!rl->running_iface_kept[j]) {
			if (eng->started)
				log_info(eng->log, "reload: %s is no longer configured", eng->ifaces[j]->name);
			eng_iface_free(eng->ifaces[j]);
		}
	/* stores nobody kept: their operations are abandoned; every peer now points into
	 * the new table */
	for (size_t j = 0; j < eng->stores.n; j++) {
		if (!rl->running_store_kept[j])
			store_free(eng->stores.s[j]);
		free(eng->stores.names[j]);
	}
	free(eng->stores.s);
	free(eng->stores.names);
	eng->stores = rl->stores;
	free(eng->ifaces);
	eng->ifaces = rl->table;
	eng->n_ifaces = rl->cfg->n_ifaces;
	if (eng->cfg) {
		config_free(eng->cfg);
		eng->log->level = rl->cfg->log_level;
		eng->log->format = rl->cfg->log_format;
	}
	eng->cfg = rl->cfg;
	if (eng->started)
		start_new(eng, rl);
	free(rl->store_new);
	free(rl->running_store_kept);
	free(rl->ifaces);
	free(rl->running_iface_kept);
}

int eng_apply_config(struct engine *eng, struct config *cfg, const char *prefix)
{
	struct rl rl = { .cfg = cfg };
	int r = build(eng, &rl, prefix);

	if (r) {
		discard(&rl);
		return r;
	}
	swap(eng, &rl);
	if (*prefix)
		log_info(eng->log,
			 "%sconfiguration applied (%zu peer%s added, %zu removed, %zu unchanged)",
			 prefix, rl.added, rl.added == 1 ? "" : "s", rl.removed, rl.kept);
	return 0;
}

int engine_reload(struct engine *eng)
{
	struct config_diags diags = { 0 };
	struct errbuf e = { "" };
	struct config *ncfg = NULL;
	char *path = NULL;
	int r;

	if (eng->stopping)
		return -ECANCELED;
	r = config_find(&eng->src, &path, &e);
	if (!r)
		r = store_config_load(path, &ncfg, &diags);
	for (size_t i = 0; i < diags.n; i++)
		log_msg(eng->log, diags.items[i].severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN,
			"reload: %s:%u:%u: %s", diags.file ? diags.file : "config",
			diags.items[i].pos.line, diags.items[i].pos.column, diags.items[i].msg);
	config_diags_free(&diags);
	free(path);
	if (r) {
		log_error(eng->log, "reload: %s; keeping the running configuration",
			  r == -EINVAL ? "the configuration has errors" : e.msg[0] ? e.msg : strerror(-r));
		return r;
	}
	r = engine_apply(eng, ncfg);
	if (r)
		config_free(ncfg);
	return r;
}

int engine_apply(struct engine *eng, struct config *cfg)
{
	int r;

	if (eng->stopping)
		return -ECANCELED;
	r = eng_apply_config(eng, cfg, "reload: ");
	if (r)
		log_error(eng->log, "reload: %s; keeping the running configuration", strerror(-r));
	return r;
}
