/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One WireGuard handle per interface (through deps.wg) and the requests in flight on
 * it. Every request is tracked here, so a peer or an interface can go away while the
 * device still works on what it was sent: the answer then finds no one and is only
 * logged, and the handle of a removed interface stays open until it is done. */
#include "daemon/engine-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct eng_dev *eng_dev_new(struct engine *eng, struct eng_iface *ifc)
{
	struct eng_dev *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->ifname = strdup(ifc->name);
	if (!dev->ifname) {
		free(dev);
		return NULL;
	}
	dev->eng = eng;
	dev->ifc = ifc;
	dev->backend = ifc->backend;
	dev->next = eng->devs;
	eng->devs = dev;
	return dev;
}

int eng_dev_open(struct eng_dev *dev, struct errbuf *e)
{
	struct engine *eng = dev->eng;

	if (dev->h)
		return 0;
	return eng->deps.wg->open(eng->deps.wg_ctx, eng->loop, dev->ifname, dev->backend, &dev->h, e);
}

static void unlink_req(struct eng_wg_req *req)
{
	for (struct eng_wg_req **pp = &req->dev->reqs; *pp; pp = &(*pp)->next)
		if (*pp == req) {
			*pp = req->next;
			return;
		}
}

static struct eng_wg_req *req_new(struct eng_dev *dev, enum eng_req_kind kind)
{
	struct eng_wg_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->dev = dev;
	req->kind = kind;
	req->next = dev->reqs;
	dev->reqs = req;
	return req;
}

/* The handle of an orphan closes once nothing is in flight on it. */
static void dev_settle(struct eng_dev *dev)
{
	struct engine *eng = dev->eng;

	if (!dev->ifc && !dev->reqs) {
		for (struct eng_dev **pp = &eng->devs; *pp; pp = &(*pp)->next)
			if (*pp == dev) {
				*pp = dev->next;
				break;
			}
		eng_dev_free(dev);
	}
	eng_check_stopped(eng);
}

static void get_done(void *arg, int err, const char *errmsg, struct wg_device *wd)
{
	struct eng_wg_req *req = arg;
	struct eng_dev *dev = req->dev;
	struct eng_iface *ifc = dev->ifc;

	unlink_req(req);
	free(req);
	if (ifc && !dev->eng->stopping) {
		eng_iface_reading(ifc, err, errmsg ? errmsg : strerror(-err), err ? NULL : wd);
	} else if (wd) {
		secure_zero(wd->private_key, WG_KEY_LEN);
		wg_device_free(wd);
	}
	dev_settle(dev);
}

int eng_dev_get(struct eng_dev *dev)
{
	struct engine *eng = dev->eng;
	struct eng_wg_req *req = req_new(dev, REQ_GET);
	int r;

	if (!req)
		return -ENOMEM;
	r = eng->deps.wg->get(dev->h, get_done, req);
	if (r) {
		unlink_req(req);
		free(req);
	}
	return r;
}

static void set_done(void *arg, int err, const char *errmsg)
{
	struct eng_wg_req *req = arg;
	struct eng_dev *dev = req->dev;

	unlink_req(req);
	eng_set_done(req, err, errmsg ? errmsg : strerror(-err));
	free(req);
	dev_settle(dev);
}

int eng_dev_set(struct eng_dev *dev, struct eng_peer *p, const char *label, unsigned what,
		const struct engine_wg_update *u, size_t n)
{
	struct engine *eng = dev->eng;
	struct eng_wg_req *req;
	int r;

	if (!dev->h)
		return -ENODEV;
	req = req_new(dev, REQ_SET);
	if (!req)
		return -ENOMEM;
	req->peer = p;
	req->what = what;
	snprintf(req->label, sizeof(req->label), "%s", label);
	for (size_t i = 0; i < n; i++) {
		if (u[i].set_endpoint)
			req->endpoint = u[i].endpoint;
		if (u[i].keepalive >= 0)
			req->keepalive = (uint16_t)u[i].keepalive;
	}
	r = eng->deps.wg->set(dev->h, u, n, set_done, req);
	if (r) {
		unlink_req(req);
		free(req);
	}
	return r;
}

void eng_dev_forget_peer(struct eng_dev *dev, const struct eng_peer *p)
{
	for (struct eng_wg_req *req = dev->reqs; req; req = req->next)
		if (req->peer == p)
			req->peer = NULL;
}

void eng_dev_orphan(struct eng_dev *dev)
{
	struct engine *eng = dev->eng;
	struct eng_wg_req **pp = &dev->reqs;

	dev->ifc = NULL;
	/* a reading nobody waits for is not worth waiting for */
	while (*pp) {
		struct eng_wg_req *req = *pp;

		if (req->kind == REQ_GET) {
			*pp = req->next;
			eng->deps.wg->cancel(dev->h, req);
			free(req);
		} else {
			pp = &req->next;
		}
	}
	dev_settle(dev);
}

bool eng_dev_busy(const struct eng_dev *dev)
{
	return dev->reqs != NULL;
}

void eng_dev_free(struct eng_dev *dev)
{
	if (!dev)
		return;
	if (dev->h)
		dev->eng->deps.wg->close(dev->h);
	while (dev->reqs) {
		struct eng_wg_req *req = dev->reqs;

		dev->reqs = req->next;
		free(req);
	}
	free(dev->ifname);
	free(dev);
}
