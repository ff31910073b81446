/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Interfaces: reading the device (every sample_ms, every 200 ms while a peer is being
 * punched), noticing it is new, changed, re-created or gone, and handing each peer its
 * part of the reading through an index of the device's peers. */
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- the device index -------------------------------------------------------------- */

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

/* ---- interfaces ---------------------------------------------------------------------- */

static void iface_gone(struct eng_iface *ifc, const char *why)
{
	struct engine *eng = ifc->eng;

	if (ifc->present || strcmp(ifc->error, why))
		log_warn(eng->log, "%s: %s; will pick it up when it is back", ifc->name, why);
	snprintf(ifc->error, sizeof(ifc->error), "%s", why);
	ifc->present = false;
	for (int i = 0; i < 2; i++)
		eng_disc_stop(&ifc->disc[i]);
	for (size_t i = 0; i < ifc->n_peers; i++) {
		ifc->peers[i]->on_device = false;
		loop_timer_cancel(eng->loop, &ifc->peers[i]->timer);
	}
}

/* The device is new, or not what it was (port, fwmark, key, re-created): everything
 * starts over. Returns false when it cannot be used yet. */
static bool iface_take_device(struct eng_iface *ifc, const struct wg_device *dev,
			      const struct dev_index *ix, unsigned ifindex)
{
	struct engine *eng = ifc->eng;
	bool same_device = ifindex == ifc->ifindex;
	char b64[WG_KEY_B64_LEN], lbl[ENG_LABEL_LEN];

	if (!(dev->flags & WG_DEV_HAS_PRIVATE_KEY) || !dev->listen_port) {
		iface_gone(ifc, !dev->listen_port ? "has no listen port yet" : "has no private key yet");
		return false;
	}
	wg_key_to_base64(b64, dev->public_key);
	log_info(eng->log, "%s: %s via %s, listen port %u%s, public key %s, %zu peer%s configured",
		 ifc->name, ifc->present ? "changed" : "found", wg_backend_name(dev->backend),
		 dev->listen_port, dev->fwmark ? ", fwmark set" : "", b64, ifc->n_peers,
		 ifc->n_peers == 1 ? "" : "s");
	ifc->present = true;
	ifc->error[0] = '\0';
	ifc->listen_port = dev->listen_port;
	ifc->fwmark = dev->fwmark;
	ifc->ifindex = ifindex;
	memcpy(ifc->pub, dev->public_key, WG_KEY_LEN);
	memcpy(ifc->priv, dev->private_key, WG_KEY_LEN);
	for (int i = 0; i < 2; i++)
		eng_disc_forget(&ifc->disc[i]);
	for (size_t i = 0; i < ifc->n_peers; i++) {
		struct eng_peer *p = ifc->peers[i];

		eng_peer_bind_device(p, same_device);
		p->on_device = dev_index_find(ix, p->pub) != NULL;
		if (!p->on_device)
			log_warn(eng->log, "peer %s: its public key is not a peer of %s; skipped until it is",
				 eng_peer_label(p, lbl, sizeof(lbl)), ifc->name);
	}
	eng_iface_discover(ifc, true);
	return true;
}

/* One reading: on the first (or after the interface came back, or changed its port,
 * fwmark or key) everything starts over; then every peer gets its part. */
static void iface_sample(struct eng_iface *ifc, const struct wg_device *dev)
{
	struct engine *eng = ifc->eng;
	struct dev_index ix = { 0 };
	unsigned ifindex = eng->deps.wg->ifindex(eng->deps.wg_ctx, ifc->name);

	dev_index_build(&ix, dev);
	if ((!ifc->present || ifindex != ifc->ifindex || dev->listen_port != ifc->listen_port ||
	     dev->fwmark != ifc->fwmark || memcmp(dev->public_key, ifc->pub, WG_KEY_LEN)) &&
	    !iface_take_device(ifc, dev, &ix, ifindex)) {
		free(ix.sorted);
		return;
	}
	for (size_t i = 0; i < ifc->n_peers; i++)
		eng_peer_sample(ifc->peers[i], dev_index_find(&ix, ifc->peers[i]->pub));
	free(ix.sorted);
}

static void arm_next_sample(struct eng_iface *ifc)
{
	struct engine *eng = ifc->eng;
	int64_t next = eng->opts.sample_ms;

	/* while a peer is being punched, look often: the handshake is the news */
	for (size_t i = 0; i < ifc->n_peers; i++)
		if (ifc->peers[i]->on_device && peer_wants_fast_samples(&ifc->peers[i]->fsm) &&
		    next > PUNCH_SAMPLE_MS)
			next = PUNCH_SAMPLE_MS;
	loop_timer_arm(eng->loop, &ifc->sample_timer, ifc->present ? next : MISSING_RETRY_MS);
}

void eng_iface_reading(struct eng_iface *ifc, int err, const char *errmsg, struct wg_device *dev)
{
	ifc->reading = false;
	if (err || !dev)
		iface_gone(ifc, errmsg);
	else
		iface_sample(ifc, dev);
	if (dev) {
		secure_zero(dev->private_key, WG_KEY_LEN);
		wg_device_free(dev);
	}
	arm_next_sample(ifc);
	eng_check_oneshot(ifc->eng);
}

static void sample_timer_cb(struct loop *l, void *arg)
{
	struct eng_iface *ifc = arg;
	struct errbuf e = { "" };
	int r;

	(void)l;
	if (ifc->reading || ifc->eng->stopping)
		return; /* the reading in flight arms the next one */
	r = eng_dev_open(ifc->dev, &e);
	if (!r && (r = eng_dev_get(ifc->dev)))
		err_set(&e, r, "cannot read the device: %s", strerror(-r));
	if (r) {
		iface_gone(ifc, e.msg);
		arm_next_sample(ifc);
		eng_check_oneshot(ifc->eng);
		return;
	}
	ifc->reading = true;
}

void eng_iface_sample_soon(struct eng_iface *ifc, int64_t delay_ms)
{
	struct engine *eng = ifc->eng;

	if (!loop_timer_pending(&ifc->sample_timer) ||
	    ifc->sample_timer.when > eng_now_ms(eng) + delay_ms)
		loop_timer_arm(eng->loop, &ifc->sample_timer, delay_ms);
}

int eng_iface_new(struct engine *eng, const struct config_iface *ci, const struct eng_stores *st,
		  struct eng_iface **out)
{
	struct eng_iface *ifc = calloc(1, sizeof(*ifc));
	int r = -ENOMEM;

	if (!ifc)
		return -ENOMEM;
	ifc->eng = eng;
	/* timers first: the failure path below frees through them */
	for (int i = 0; i < 2; i++)
		eng_disc_init(&ifc->disc[i], ifc, i ? AF_INET6 : AF_INET);
	loop_timer_init(&ifc->sample_timer, sample_timer_cb, ifc);
	ifc->name = strdup(ci->name);
	ifc->protocol = ci->protocol;
	ifc->backend = ci->backend;
	ifc->peers = calloc(ci->n_peers + 1, sizeof(*ifc->peers));
	if (!ifc->name || !ifc->peers || !(ifc->dev = eng_dev_new(eng, ifc)))
		goto fail;
	for (size_t i = 0; i < ci->n_peers; i++) {
		if ((r = eng_peer_new(ifc, &ci->peers[i], st, &ifc->peers[i])))
			goto fail;
		ifc->n_peers++;
	}
	*out = ifc;
	return 0;
fail:
	eng_iface_free(ifc);
	return r;
}

void eng_iface_start(struct eng_iface *ifc)
{
	loop_timer_arm(ifc->eng->loop, &ifc->sample_timer, 0);
}

void eng_iface_halt(struct eng_iface *ifc)
{
	loop_timer_cancel(ifc->eng->loop, &ifc->sample_timer);
	for (int i = 0; i < 2; i++)
		eng_disc_stop(&ifc->disc[i]);
	for (size_t i = 0; i < ifc->n_peers; i++) {
		eng_peer_give_back(ifc->peers[i]);
		loop_timer_cancel(ifc->eng->loop, &ifc->peers[i]->timer);
	}
}

void eng_iface_free(struct eng_iface *ifc)
{
	if (!ifc)
		return;
	for (int i = 0; i < 2; i++)
		eng_disc_stop(&ifc->disc[i]);
	loop_timer_cancel(ifc->eng->loop, &ifc->sample_timer);
	for (size_t i = 0; i < ifc->n_peers; i++)
		eng_peer_release(ifc->peers[i]);
	free(ifc->peers);
	if (ifc->dev)
		eng_dev_orphan(ifc->dev);
	secure_zero(ifc->priv, sizeof(ifc->priv));
	free(ifc->name);
	free(ifc);
}
