/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The asynchronous handle over the UAPI transport, against a fake daemon
 * (wg_uapi_fake.h): requests complete in the order queued, each callback once and from
 * the loop; one connection serves many exchanges and is made again when the daemon
 * restarts or drops it; a silent or slow daemon ends in -ETIMEDOUT at the deadline while
 * the loop keeps running; cancel and close silence callbacks; set and replace send what
 * they should. The kernel side runs against the host kernel (no module here: errors
 * only) and, fully, in the qemu guest (tests/kernel/wg_kernel.sh). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/netlink.h>

#include "lib/loop.h"
#include "wg/wg-backend.h"
#include "wg/wg.h"
#include "wg_uapi_fake.h"

/* Two peers: P1 with a preshared key, three allowed IPs and keepalive 15; P2 with
 * 0.0.0.0/0 and no keepalive (recorded from wireguard-go, see test_wg_uapi.c). */
static const char reply[] =
	"private_key=20e81454bd1fbb1a0da8b9221ab64e443607c3d4ad2bf2c99eec70eadc3f3f7f\n"
	"listen_port=51820\n"
	"public_key=8511e6350b2ead66e79090bb374df94652215b0ba9c3dea39d773e99d564997f\n"
	"preshared_key=19f78cd34668bfedcd669c8753fdabe4ce92c731f6dff55f695075565576892f\n"
	"protocol_version=1\n"
	"endpoint=198.51.100.7:51820\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=15\n"
	"allowed_ip=198.18.0.7/32\n"
	"allowed_ip=2001:db8:7::/48\n"
	"allowed_ip=198.18.128.0/17\n"
	"public_key=d6da784661e0f8d6eac5bb82324a94345f2ada6c1597879bdc763d4a33dc8302\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"allowed_ip=0.0.0.0/0\n"
	"errno=0\n"
	"\n";
#define P1 "8511e6350b2ead66e79090bb374df94652215b0ba9c3dea39d773e99d564997f"
#define P1_PSK "19f78cd34668bfedcd669c8753fdabe4ce92c731f6dff55f695075565576892f"
#define P2 "d6da784661e0f8d6eac5bb82324a94345f2ada6c1597879bdc763d4a33dc8302"

struct rec {
	size_t n;
	int id[64], err[64];
	char msg[64][256];
	size_t peers[64];
	struct wg_handle *close_in_cb; /* closed from the first callback */
};

struct tag {
	struct rec *rec;
	int id;
};

static void note(struct tag *t, int err, const char *msg, size_t peers)
{
	struct rec *r = t->rec;

	assert_true(r->n < ARRAY_SIZE(r->id));
	r->id[r->n] = t->id;
	r->err[r->n] = err;
	r->peers[r->n] = peers;
	snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
	r->n++;
	if (r->close_in_cb) {
		wg_handle_close(r->close_in_cb);
		r->close_in_cb = NULL;
	}
}

static void get_cb(void *arg, int err, const char *msg, struct wg_device *dev)
{
	assert_true(err ? dev == NULL : dev != NULL);
	note(arg, err, msg, dev ? dev->n_peers : 0);
	wg_device_free(dev);
}

static void set_cb(void *arg, int err, const char *msg)
{
	note(arg, err, msg, 0);
}

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

static struct wg_handle *new_handle(struct loop *l, struct fake *fk, int timeout_ms)
{
	struct wg_handle *h = NULL;
	struct errbuf e;

	assert_int_equal(wg_handle_open(l, "smt0", WG_BACKEND_UAPI, &h, &e), 0);
	assert_int_equal(wg_handle_set_uapi_path(h, fk->path), 0);
	if (timeout_ms)
		wg_handle_set_timeout(h, timeout_ms);
	assert_int_equal(wg_handle_backend(h), WG_BACKEND_UAPI);
	return h;
}

/* Runs the loop until n callbacks came (failing after max_ms). */
static void run_until(struct loop *l, struct rec *r, size_t n, int64_t max_ms)
{
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + max_ms;
	while (r->n < n) {
		if (loop_now(l) >= end)
			fail_msg("only %zu of %zu callbacks within %lld ms", r->n, n, (long long)max_ms);
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
	}
}

static void run_for(struct loop *l, int64_t ms)
{
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + ms;
	while (loop_now(l) < end)
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
}

static void key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	assert_int_equal(hex_decode(key, WG_KEY_LEN, hex, strlen(hex)), 0);
}

static void test_order_and_one_connection(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[6];
	struct wg_peer_update u[2] = { { .keepalive = 25, .known = true },
				       { .keepalive = -1, .known = false } };
	union sm_addr ep;
	struct fake fk;
	struct wg_handle *h;
	const char *log;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	for (int i = 0; i < 6; i++)
		t[i] = (struct tag){ &rec, i };
	key_from_hex(u[0].public_key, P1);
	key_from_hex(u[1].public_key, P2);
	assert_int_equal(addr_parse("203.0.113.9:4444", 16, AF_UNSPEC, 0, &ep, NULL), 0);
	u[1].endpoint = &ep;
	assert_int_equal(wg_handle_get(h, get_cb, &t[0]), 0);
	assert_int_equal(wg_handle_set(h, u, 1, set_cb, &t[1]), 0);	 /* known: no read */
	assert_int_equal(wg_handle_set(h, u, 2, set_cb, &t[2]), 0);	 /* P2 unknown: read first */
	assert_int_equal(wg_handle_get(h, get_cb, &t[3]), 0);
	assert_int_equal(wg_handle_replace(h, &(struct wg_peer){ 0 }, NULL, -1, set_cb, &t[4]),
			 0);						 /* no such peer */
	assert_int_equal(wg_handle_get(h, get_cb, &t[5]), 0);
	/* Never from inside the call. */
	assert_int_equal(rec.n, 0);
	/* The caller's array and endpoint may go away once queued. */
	memset(u, 0, sizeof(u));
	memset(&ep, 0, sizeof(ep));
	run_until(l, &rec, 6, 5000);
	for (int i = 0; i < 6; i++)
		assert_int_equal(rec.id[i], i);
	assert_int_equal(rec.err[0], 0);
	assert_int_equal(rec.peers[0], 2);
	assert_int_equal(rec.err[1], 0);
	assert_int_equal(rec.err[2], 0);
	assert_int_equal(rec.err[3], 0);
	assert_int_equal(rec.err[4], -ENOENT);
	assert_non_null(strstr(rec.msg[4], "not re-created"));
	assert_int_equal(rec.err[5], 0);
	log = fake_requests(&fk);
	assert_string_equal(log, "#connect\nget=1\n\n"
				 "set=1\npublic_key=" P1 "\nupdate_only=true\npersistent_keepalive_interval=25\n\n"
				 "get=1\n\n"
				 "set=1\npublic_key=" P2 "\nupdate_only=true\nendpoint=203.0.113.9:4444\n"
				 "public_key=" P1 "\nupdate_only=true\npersistent_keepalive_interval=25\n\n"
				 "get=1\n\nget=1\n\nget=1\n\n");
	assert_int_equal(rec.n, 6);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

static void test_missing_peer_changes_nothing(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t = { &rec, 1 };
	struct wg_peer_update u = { .keepalive = 5 };
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	memset(u.public_key, 0x11, WG_KEY_LEN);
	assert_int_equal(wg_handle_set(h, &u, 1, set_cb, &t), 0);
	run_until(l, &rec, 1, 5000);
	assert_int_equal(rec.err[0], -ENOENT);
	assert_non_null(strstr(rec.msg[0], "is not on smt0; nothing changed"));
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n");
	/* Bad arguments are refused at once, with no callback. */
	u.keepalive = 65536;
	assert_int_equal(wg_handle_set(h, &u, 1, set_cb, &t), -EINVAL);
	assert_int_equal(wg_handle_set(h, &u, 0, set_cb, &t), -EINVAL);
	assert_int_equal(wg_handle_replace(h, &(struct wg_peer){ 0 }, NULL, -2, set_cb, &t), -EINVAL);
	run_for(l, 50);
	assert_int_equal(rec.n, 1);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

struct ticker {
	struct loop_timer t;
	struct loop *l;
	int ticks;
};

static void tick(struct loop *l, void *arg)
{
	struct ticker *tk = arg;

	tk->ticks++;
	loop_timer_arm(l, &tk->t, 10);
}

/* A daemon that accepts and never answers: -ETIMEDOUT at the deadline, the loop runs
 * meanwhile, and what was queued behind is answered at once instead of waiting its
 * own deadline; the next request gets a new connection. */
static void test_silent_daemon(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
	struct ticker tk = { .l = l };
	struct fake fk;
	struct wg_handle *h;
	int64_t t0;

	(void)state;
	fake_start(&fk, reply, FAKE_SILENT);
	h = new_handle(l, &fk, 300);
	loop_timer_init(&tk.t, tick, &tk);
	loop_timer_arm(l, &tk.t, 10);
	loop_update_now(l);
	t0 = loop_now(l);
	assert_int_equal(wg_handle_get(h, get_cb, &t[0]), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[1]), 0);
	run_until(l, &rec, 2, 5000);
	assert_true(loop_now(l) - t0 >= 300);
	/* the loop was not blocked: the 10 ms timer kept firing */
	assert_true(tk.ticks >= 5);
	assert_int_equal(rec.err[0], -ETIMEDOUT);
	assert_non_null(strstr(rec.msg[0], "no answer from"));
	assert_int_equal(rec.err[1], -ETIMEDOUT);
	assert_non_null(strstr(rec.msg[1], "not sent"));
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n");
	assert_int_equal(wg_handle_get(h, get_cb, &t[2]), 0);
	run_until(l, &rec, 3, 5000);
	assert_int_equal(rec.err[2], -ETIMEDOUT);
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n#connect\nget=1\n\n");
	loop_timer_cancel(l, &tk.t);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

/* A daemon that answers one byte at a time: read to the end when in time, and cut at
 * the deadline (the loop running meanwhile) when not. */
static void test_dribbling_daemon(void **state)
{
	static const char short_reply[] = "listen_port=5\nerrno=0\n\n";
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[2] = { { &rec, 0 }, { &rec, 1 } };
	struct ticker tk = { .l = l };
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, short_reply, FAKE_DRIBBLE);
	h = new_handle(l, &fk, 5000);
	assert_int_equal(wg_handle_get(h, get_cb, &t[0]), 0);
	run_until(l, &rec, 1, 6000);
	assert_int_equal(rec.err[0], 0);
	wg_handle_close(h);
	fake_stop(&fk);

	/* about 1 KiB at 3 ms a byte: seconds, more than the 200 ms deadline */
	fake_start(&fk, reply, FAKE_DRIBBLE);
	h = new_handle(l, &fk, 200);
	loop_timer_init(&tk.t, tick, &tk);
	loop_timer_arm(l, &tk.t, 10);
	assert_int_equal(wg_handle_get(h, get_cb, &t[1]), 0);
	run_until(l, &rec, 2, 5000);
	assert_int_equal(rec.err[1], -ETIMEDOUT);
	assert_true(tk.ticks >= 5);
	loop_timer_cancel(l, &tk.t);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

static void test_cancel(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag x = { &rec, 1 }, y = { &rec, 2 };
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	assert_int_equal(wg_handle_get(h, get_cb, &x), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &y), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &x), 0);
	wg_handle_cancel(h, &x);
	run_until(l, &rec, 1, 5000);
	run_for(l, 100);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.id[0], 2);
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n");
	wg_handle_close(h);
	fake_stop(&fk);

	/* The request on the wire is silenced, not cut: the next one still gets its
	 * answer on the same connection... */
	fake_start(&fk, reply, FAKE_DRIBBLE | FAKE_SILENT);
	h = new_handle(l, &fk, 200);
	assert_int_equal(wg_handle_get(h, get_cb, &x), 0);
	run_for(l, 50);
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n");
	wg_handle_cancel(h, &x);
	assert_int_equal(wg_handle_get(h, get_cb, &y), 0);
	run_until(l, &rec, 2, 5000);
	/* ...or its deadline (this daemon never answers): x never hears back. */
	assert_int_equal(rec.id[1], 2);
	assert_int_equal(rec.err[1], -ETIMEDOUT);
	run_for(l, 50);
	assert_int_equal(rec.n, 2);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

/* wireguard-go restarts: the kept connection is noticed closed while idle and made
 * again; a daemon that drops a connection at its next request gets the request again
 * on a new connection, once. */
static void test_reconnect(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[4] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 } };
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[0]), 0);
	run_until(l, &rec, 1, 5000);
	fake_restart(&fk, reply, 0);
	run_for(l, 50);
	assert_int_equal(wg_handle_get(h, get_cb, &t[1]), 0);
	run_until(l, &rec, 2, 5000);
	assert_int_equal(rec.err[0], 0);
	assert_int_equal(rec.err[1], 0);
	assert_int_equal(rec.peers[1], 2);
	assert_string_equal(fake_requests(&fk), "#connect\nget=1\n\n#connect\nget=1\n\n");
	wg_handle_close(h);
	fake_stop(&fk);

	fake_start(&fk, reply, FAKE_DROP_SECOND);
	h = new_handle(l, &fk, 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[2]), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[3]), 0);
	run_until(l, &rec, 4, 5000);
	assert_int_equal(rec.err[2], 0);
	assert_int_equal(rec.err[3], 0);
	assert_int_equal(rec.peers[3], 2);
	assert_string_equal(fake_requests(&fk),
			    "#connect\nget=1\n\n#dropped\n#connect\nget=1\n\n");
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

/* A daemon without connection reuse, and one that refuses a set: each still works,
 * with a new connection where the old one cannot be trusted. */
static void test_one_shot_and_refused(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[5] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 }, { &rec, 4 } };
	struct wg_peer_update u = { .keepalive = 1, .known = true };
	struct fake fk;
	struct wg_handle *h;
	const char *log;

	(void)state;
	fake_start(&fk, reply, FAKE_ONE_SHOT);
	h = new_handle(l, &fk, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wg_handle_get(h, get_cb, &t[i]), 0);
	run_until(l, &rec, 3, 5000);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rec.err[i], 0);
	assert_int_equal(count_of(fake_requests(&fk), "#connect\n"), 3);
	wg_handle_close(h);
	fake_stop(&fk);

	fake_start(&fk, reply, FAKE_SET_FAILS);
	h = new_handle(l, &fk, 0);
	key_from_hex(u.public_key, P1);
	assert_int_equal(wg_handle_set(h, &u, 1, set_cb, &t[3]), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[4]), 0);
	run_until(l, &rec, 5, 5000);
	assert_int_equal(rec.err[3], -EINVAL);
	assert_non_null(strstr(rec.msg[3], "refused"));
	assert_int_equal(rec.err[4], 0);
	log = fake_requests(&fk);
	assert_int_equal(count_of(log, "#connect\n"), 2);
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

static void test_close_from_callback(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(wg_handle_get(h, get_cb, &t[i]), 0);
	rec.close_in_cb = h;
	run_until(l, &rec, 1, 5000);
	run_for(l, 100);
	assert_int_equal(rec.n, 1);
	/* and closing with requests on the wire and queued: no callback, nothing left */
	assert_int_equal(wg_handle_open(l, "smt0", WG_BACKEND_UAPI, &h, &(struct errbuf){ "" }), 0);
	assert_int_equal(wg_handle_set_uapi_path(h, fk.path), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[1]), 0);
	assert_int_equal(wg_handle_get(h, get_cb, &t[2]), 0);
	assert_int_equal(loop_run_once(l, 0), 0);
	wg_handle_close(h);
	run_for(l, 100);
	assert_int_equal(rec.n, 1);
	loop_free(l);
	fake_stop(&fk);
}

/* Replace on UAPI: the settings come from the reading in the same sequence. */
static void test_replace(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[4] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 }, { &rec, 3 } };
	struct wg_peer full = { 0 };
	union sm_addr ep;
	struct fake fk;
	struct wg_handle *h;

	(void)state;
	fake_start(&fk, reply, 0);
	h = new_handle(l, &fk, 0);
	assert_int_equal(addr_parse("203.0.113.5:5555", 16, AF_UNSPEC, 0, &ep, NULL), 0);
	key_from_hex(full.public_key, P1);
	assert_int_equal(wg_handle_replace(h, &full, &ep, -1, set_cb, &t[0]), 0);
	run_until(l, &rec, 1, 5000);
	assert_int_equal(rec.err[0], 0);
	assert_string_equal(fake_requests(&fk),
			    "#connect\nget=1\n\nset=1\n"
			    "public_key=" P1 "\nremove=true\n"
			    "public_key=" P1 "\npreshared_key=" P1_PSK "\nendpoint=203.0.113.5:5555\n"
			    "persistent_keepalive_interval=15\nreplace_allowed_ips=true\n"
			    "allowed_ip=198.18.0.7/32\nallowed_ip=2001:db8:7::/48\n"
			    "allowed_ip=198.18.128.0/17\n\n");
	fake_stop(&fk);

	/* P2 has a handshake the caller did not see: refused. With the one it saw, a
	 * replace keeping its (absent) endpoint and no keepalive: 1 then 0. */
	fake_start(&fk, reply, 0);
	wg_handle_set_uapi_path(h, fk.path);
	key_from_hex(full.public_key, P2);
	assert_int_equal(wg_handle_replace(h, &full, NULL, -1, set_cb, &t[1]), 0);
	full.last_handshake_sec = 1700000000;
	full.last_handshake_nsec = 5;
	assert_int_equal(wg_handle_replace(h, &full, NULL, -1, set_cb, &t[2]), 0);
	run_until(l, &rec, 3, 5000);
	assert_int_equal(rec.err[1], -EALREADY);
	assert_non_null(strstr(rec.msg[1], "newer handshake"));
	assert_int_equal(rec.err[2], 0);
	assert_string_equal(fake_requests(&fk),
			    "#connect\nget=1\n\nget=1\n\nset=1\n"
			    "public_key=" P2 "\nremove=true\n"
			    "public_key=" P2 "\npersistent_keepalive_interval=1\n"
			    "replace_allowed_ips=true\nallowed_ip=0.0.0.0/0\n"
			    "public_key=" P2 "\nupdate_only=true\npersistent_keepalive_interval=0\n\n");
	wg_handle_close(h);
	loop_free(l);
	fake_stop(&fk);
}

/* Whether this system lets a process open a generic netlink socket at all: a real
 * kernel does; qemu-user (the cross tests) has no NETLINK_GENERIC and refuses with
 * EPROTONOSUPPORT. */
static bool generic_netlink_refused(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return errno == EPROTONOSUPPORT;
}

/* No daemon at all, and the kernel without the module (this host): errors in words,
 * still from the loop. Where generic netlink itself is refused, that is the error. */
static void test_errors(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { 0 };
	struct tag t[3] = { { &rec, 0 }, { &rec, 1 }, { &rec, 2 } };
	struct wg_handle *h, *k;
	struct errbuf e;

	(void)state;
	assert_int_equal(wg_handle_open(l, "a/b", WG_BACKEND_AUTO, &h, &e), -EINVAL);
	assert_int_equal(wg_handle_open(l, "smnosuch0", WG_BACKEND_UAPI, &h, &e), 0);
	assert_int_equal(wg_handle_open(l, "lo", WG_BACKEND_NETLINK, &k, &e), 0);
	assert_int_equal(wg_handle_backend(k), WG_BACKEND_NETLINK);
	assert_int_equal(wg_handle_get(h, get_cb, &t[0]), 0);
	assert_int_equal(wg_handle_get(k, get_cb, &t[1]), 0);
	assert_int_equal(rec.n, 0);
	run_until(l, &rec, 2, 5000);
	assert_int_equal(rec.err[0], -ENODEV);
	assert_non_null(strstr(rec.msg[0], "smnosuch0: no UAPI socket"));
	if (generic_netlink_refused()) {
		assert_int_equal(rec.err[1], -EPROTONOSUPPORT);
		assert_non_null(strstr(rec.msg[1], "cannot open a generic netlink socket"));
	} else if (rec.err[1] == -EPERM) {
		assert_non_null(strstr(rec.msg[1], "needs CAP_NET_ADMIN"));
	} else {
		assert_int_equal(rec.err[1], -EOPNOTSUPP);
		assert_non_null(strstr(rec.msg[1], "lo is not a WireGuard interface"));
	}
	wg_handle_close(h);
	wg_handle_close(k);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_one_connection),
		cmocka_unit_test(test_missing_peer_changes_nothing),
		cmocka_unit_test(test_silent_daemon),
		cmocka_unit_test(test_dribbling_daemon),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_reconnect),
		cmocka_unit_test(test_one_shot_and_refused),
		cmocka_unit_test(test_close_from_callback),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_errors),
	};

	signal(SIGPIPE, SIG_IGN);
	if (getenv("T")) /* T=test_name runs that case alone */
		cmocka_set_test_filter(getenv("T"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
