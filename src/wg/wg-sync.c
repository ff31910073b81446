/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The synchronous calls of wg.h, each one request on a handle with a loop of its own,
 * so there is one implementation of every exchange (wg-handle.c). */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct sync {
	struct loop *loop;
	struct wg_handle *h;
	bool done;
	int err;
	struct errbuf e;
	struct wg_device *dev;
};

static void sync_get_cb(void *arg, int err, const char *msg, struct wg_device *dev)
{
	struct sync *s = arg;

	s->done = true;
	s->err = err;
	s->dev = dev;
	if (err)
		snprintf(s->e.msg, sizeof(s->e.msg), "%s", msg);
}

static void sync_set_cb(void *arg, int err, const char *msg)
{
	sync_get_cb(arg, err, msg, NULL);
}

static int sync_open(struct sync *s, const char *name, enum wg_backend_kind kind,
		     struct errbuf *e)
{
	int r;

	memset(s, 0, sizeof(*s));
	r = wg_check_name(name, e);
	if (r)
		return r;
	r = loop_new(&s->loop, e);
	if (r)
		return r;
	r = wg_handle_open(s->loop, name, kind, &s->h, e);
	if (r) {
		loop_free(s->loop);
		s->loop = NULL;
	}
	return r;
}

/* Runs the queued request (r is what queueing it returned) to its callback. The
 * handle's deadline bounds the wait. */
static int sync_run(struct sync *s, int r, struct errbuf *e)
{
	if (r)
		err_set(e, r, "%s", r == -ENOMEM ? "out of memory" : "invalid request");
	while (!r && !s->done) {
		r = loop_run_once(s->loop, -1);
		if (r == -EINTR)
			r = 0;
		if (r)
			err_set(e, r, "event loop: %s", strerror(-r));
	}
	if (!r) {
		r = s->err;
		if (r)
			snprintf(e->msg, sizeof(e->msg), "%s", s->e.msg);
	}
	wg_handle_close(s->h);
	loop_free(s->loop);
	return r;
}

int wg_device_get(const char *name, enum wg_backend_kind kind, struct wg_device **out,
		  struct errbuf *e)
{
	struct sync s;
	int r;

	r = sync_open(&s, name, kind, e);
	if (r)
		return r;
	r = sync_run(&s, wg_handle_get(s.h, sync_get_cb, &s), e);
	if (!r)
		*out = s.dev;
	else
		wg_device_free(s.dev);
	return r;
}

int wg_set_peers(const char *name, enum wg_backend_kind kind, const struct wg_peer_update *u,
		 size_t n, struct errbuf *e)
{
	struct sync s;
	int r;

	r = sync_open(&s, name, kind, e);
	if (r)
		return r;
	return sync_run(&s, wg_handle_set(s.h, u, n, sync_set_cb, &s), e);
}

int wg_replace_peer(const char *name, enum wg_backend_kind kind, const struct wg_peer *full,
		    const union sm_addr *endpoint, int keepalive, struct errbuf *e)
{
	struct sync s;
	int r;

	r = sync_open(&s, name, kind, e);
	if (r)
		return r;
	return sync_run(&s, wg_handle_replace(s.h, full, endpoint, keepalive, sync_set_cb, &s), e);
}

int wg_update_peer(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		   const union sm_addr *endpoint, int keepalive, bool known, struct errbuf *e)
{
	struct wg_peer_update u = { .endpoint = endpoint, .keepalive = keepalive, .known = known };

	if (endpoint && !addr_is_set(endpoint))
		return err_set(e, -EAFNOSUPPORT, "endpoint is neither IPv4 nor IPv6");
	if (keepalive < -1 || keepalive > 65535)
		return err_set(e, -EINVAL, "keepalive %d out of range", keepalive);
	memcpy(u.public_key, pub, WG_KEY_LEN);
	return wg_set_peers(name, kind, &u, 1, e);
}

int wg_set_endpoint(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		    const union sm_addr *endpoint, struct errbuf *e)
{
	if (!endpoint || !addr_is_set(endpoint))
		return err_set(e, -EAFNOSUPPORT, "endpoint is neither IPv4 nor IPv6");
	return wg_update_peer(name, kind, pub, endpoint, -1, false, e);
}

int wg_set_keepalive(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		     uint16_t seconds, struct errbuf *e)
{
	return wg_update_peer(name, kind, pub, NULL, seconds, false, e);
}
