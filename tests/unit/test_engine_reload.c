/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reloading on a fake clock (fake_site.h): peers added, removed and moved, a store whose
 * options changed rebuilt while the others are kept, an unchanged peer left exactly as
 * it was, a bad file or an allocation failure at any point leaving the running
 * configuration intact, store operations in flight across a reload, no busy loop for a
 * peer without a store. Under ASan these also catch use-after-free and leaks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_alloc.h"
#include "fake_site.h"
#include "proto/record.h"

struct bench {
	struct fake_world w;
	struct fake_dev *a, *b, *c;
	struct fake_site sa, sb, sc;
	char *logbuf;
	size_t loglen;
	FILE *logf;
};

static int setup(void **state)
{
	struct bench *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	world_init(&t->w);
	t->a = fake_net_add_dev(&t->w.net, "wgA", 51820, "203.0.113.11:40001");
	t->b = fake_net_add_dev(&t->w.net, "wgB", 51821, "203.0.113.12:40002");
	t->c = fake_net_add_dev(&t->w.net, "wgC", 51822, "203.0.113.13:40003");
	fake_net_link(t->a, 0, t->b, 0);
	fake_net_link(t->a, 0, t->c, 0);
	site_init(&t->sa, &t->w, t->a, "a");
	site_init(&t->sb, &t->w, t->b, "b");
	site_init(&t->sc, &t->w, t->c, "c");
	site_write_std(&t->sb, &t->a, NULL, 1, NULL);
	site_write_std(&t->sc, &t->a, NULL, 1, NULL);
	/* the log is kept, for what reload says */
	t->logf = open_memstream(&t->logbuf, &t->loglen);
	assert_non_null(t->logf);
	t->w.log.out = t->logf;
	if (!getenv("SM_TEST_DEBUG"))
		t->w.log.level = LOG_INFO;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct bench *t = *state;

	site_stop(&t->sa);
	site_stop(&t->sb);
	site_stop(&t->sc);
	world_free(&t->w);
	fclose(t->logf);
	free(t->logbuf);
	free(t);
	return 0;
}

static bool logged(struct bench *t, const char *what)
{
	fflush(t->logf);
	return t->logbuf && strstr(t->logbuf, what);
}

static bool has_peer(struct fake_site *s, const char *name)
{
	cJSON *root;
	bool there = site_peer(s, name, &root) != NULL;

	cJSON_Delete(root);
	return there;
}

static int n_ifaces(struct fake_site *s)
{
	char *js = engine_status_json(s->eng);
	cJSON *root = cJSON_Parse(js);
	int n;

	free(js);
	assert_non_null(root);
	n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "interfaces"));
	cJSON_Delete(root);
	return n;
}

static const char *const extra_stores =
	"  mem2: {type: builtin, name: file, dir: /mem2}\n"
	"  keep: {type: builtin, name: file, dir: /keep}\n";

/* a's configuration: the peers given, on the stores given. */
static void write_a(struct bench *t, struct fake_dev *const *peers, const char *const *stores,
		    size_t n, const char *extra)
{
	site_write_std(&t->sa, peers, stores, n, extra ? extra : extra_stores);
}

static bool ab_connected(void *arg)
{
	struct bench *t = arg;

	return site_connected(&t->sa, "wgB") && site_connected(&t->sb, "wgA");
}

static bool ac_connected(void *arg)
{
	struct bench *t = arg;

	return site_connected(&t->sa, "wgC") && site_connected(&t->sc, "wgA");
}

/* What must not move for an unchanged peer: the device settings, the handshake, its
 * state and how often it connected. */
struct snap {
	unsigned endpoint_sets, n_ka, handshakes;
	int64_t last_handshake;
	double connects;
};

static struct snap snap_b(struct bench *t)
{
	struct fake_peer *ab = fake_peer_of(t->a, t->b);
	cJSON *root, *p = site_peer(&t->sa, "wgB", &root);
	struct snap s = { ab->endpoint_sets, ab->n_ka, t->w.net.handshakes, ab->last_handshake, -1 };

	assert_non_null(p);
	s.connects = cJSON_GetObjectItem(p, "connects")->valuedouble;
	cJSON_Delete(root);
	return s;
}

static void assert_b_untouched(struct bench *t, const struct snap *before)
{
	struct snap now = snap_b(t);

	assert_int_equal(now.endpoint_sets, before->endpoint_sets);
	assert_int_equal(now.n_ka, before->n_ka);
	assert_int_equal(now.last_handshake, before->last_handshake);
	assert_true(now.connects == before->connects);
	assert_true(site_connected(&t->sa, "wgB"));
}

/* Start a with b only, connected. */
static void start_ab(struct bench *t)
{
	static const char *const on_mem[] = { "mem" };

	write_a(t, &t->b, on_mem, 1, NULL);
	assert_int_equal(site_start(&t->sa, NULL), 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	assert_true(world_run_until(&t->w, 15000, ab_connected, t));
	world_run(&t->w, 2000);
}

/* A peer added connects, the unchanged one is not touched; a peer removed leaves; a
 * peer moved to another store publishes there. */
static void test_reload_add_remove_change(void **state)
{
	struct bench *t = *state;
	struct fake_dev *both[] = { t->b, t->c };
	static const char *const on_mem[] = { "mem", "mem" };
	static const char *const c_on_mem2[] = { "mem2" };
	struct fake_plugin *mem2;
	struct snap before;
	char buf[128], key[RECORD_KEY_HEX_LEN + 1];

	start_ab(t);
	assert_int_equal(site_start(&t->sc, NULL), 0);
	before = snap_b(t);
	write_a(t, both, on_mem, 2, NULL);
	assert_int_equal(engine_reload(t->sa.eng), 0);
	assert_true(logged(t, "reload: configuration applied (1 peer added, 0 removed, 1 unchanged)"));
	assert_int_equal(site_n_peers(&t->sa), 2);
	assert_true(world_run_until(&t->w, 15000, ac_connected, t));
	world_run(&t->w, 5000);
	assert_b_untouched(t, &before);

	/* b removed, c moved to mem2 */
	write_a(t, &t->c, c_on_mem2, 1, NULL);
	mem2 = fake_stores_plugin(&t->w.stores, "mem2");
	assert_int_equal(mem2->sets, 0);
	assert_int_equal(engine_reload(t->sa.eng), 0);
	assert_true(logged(t, "reload: configuration applied (0 peers added, 1 removed, 1 unchanged)"));
	assert_int_equal(site_n_peers(&t->sa), 1);
	assert_false(has_peer(&t->sa, "wgB"));
	assert_string_equal(site_peer_str(&t->sa, "wgC", "store", buf, sizeof(buf)), "mem2");
	world_run(&t->w, 1000);
	assert_true(mem2->sets >= 1);
	record_write_key(t->a->pub, t->c->pub, key);
	assert_non_null(fake_stores_get(&t->w.stores, key));
	/* c reads from mem2 now, where nothing of c's is: it keeps its working session */
	world_run(&t->w, 10000);
	assert_true(site_connected(&t->sa, "wgC"));
}

/* A store whose options changed is rebuilt; one whose options did not is kept, and so
 * is the peer on it. */
static void test_reload_store_options_changed(void **state)
{
	struct bench *t = *state;
	struct fake_dev *both[] = { t->b, t->c };
	static const char *const stores[] = { "keep", "mem2" };
	struct fake_plugin *keep, *mem2;
	struct snap before;

	write_a(t, both, stores, 2, NULL);
	site_write_std(&t->sb, &t->a, (const char *const[]){ "keep" }, 1, extra_stores);
	site_write_std(&t->sc, &t->a, (const char *const[]){ "mem2" }, 1, extra_stores);
	assert_int_equal(site_start(&t->sa, NULL), 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	assert_int_equal(site_start(&t->sc, NULL), 0);
	assert_true(world_run_until(&t->w, 15000, ab_connected, t));
	assert_true(world_run_until(&t->w, 15000, ac_connected, t));
	keep = fake_stores_plugin(&t->w.stores, "keep");
	mem2 = fake_stores_plugin(&t->w.stores, "mem2");
	assert_int_equal(keep->created, 3); /* one per site */
	assert_int_equal(mem2->created, 3);
	before = snap_b(t);
	write_a(t, both, stores, 2,
		"  mem2: {type: builtin, name: file, dir: /mem2-moved}\n"
		"  keep: {type: builtin, name: file, dir: /keep}\n");
	assert_int_equal(engine_reload(t->sa.eng), 0);
	assert_int_equal(mem2->created, 4);
	assert_int_equal(mem2->freed, 1);
	assert_int_equal(keep->created, 3);
	assert_int_equal(keep->freed, 0);
	/* c's record goes into the new store at once */
	{
		unsigned sets = mem2->sets;

		world_run(&t->w, 1000);
		assert_true(mem2->sets > sets);
	}
	world_run(&t->w, 5000);
	assert_b_untouched(t, &before);
	assert_true(site_connected(&t->sa, "wgC"));
}

/* A file with errors: nothing changes. */
static void test_bad_reload_keeps_running_config(void **state)
{
	struct bench *t = *state;
	struct fake_plugin *mem;
	struct snap before;

	start_ab(t);
	mem = fake_stores_plugin(&t->w.stores, "mem");
	before = snap_b(t);
	site_write(&t->sa, "interfaces:\n  wgA:\n    peers:\n      p: {public_key: nope, plugin: mem}\n");
	assert_int_not_equal(engine_reload(t->sa.eng), 0);
	assert_true(logged(t, "keeping the running configuration"));
	assert_int_equal(site_n_peers(&t->sa), 1);
	assert_int_equal(mem->created, 2);
	assert_int_equal(mem->freed, 0);
	world_run(&t->w, 5000);
	assert_b_untouched(t, &before);
}

/* Every allocation of applying a new configuration failing in turn: each failure
 * leaves the running set exactly as it was (the same peers, stores and device state;
 * nothing leaks under ASan); the first run that gets through applies it. */
static void test_reload_oom_leaves_running_set(void **state)
{
	struct bench *t = *state;
	static const char *const stores[] = { "mem" };
	struct fake_plugin *mem, *mem2, *keep;
	struct config_diags diags = { 0 };
	struct config *cfg = NULL;
	struct snap before;
	long n;
	int r = -1;

	write_a(t, &t->b, stores, 1, NULL);
	assert_int_equal(site_start(&t->sa, NULL), 0);
	assert_int_equal(site_start(&t->sb, NULL), 0);
	assert_int_equal(site_start(&t->sc, NULL), 0);
	assert_true(world_run_until(&t->w, 15000, ab_connected, t));
	world_run(&t->w, 2000);
	mem = fake_stores_plugin(&t->w.stores, "mem");
	mem2 = fake_stores_plugin(&t->w.stores, "mem2");
	keep = fake_stores_plugin(&t->w.stores, "keep");
	before = snap_b(t);
	/* c added, mem2 rebuilt, keep kept, and an interface that is not there yet */
	{
		char yaml[2048], kb[WG_KEY_B64_LEN], kc[WG_KEY_B64_LEN];

		wg_key_to_base64(kb, t->b->pub);
		wg_key_to_base64(kc, t->c->pub);
		snprintf(yaml, sizeof(yaml),
			 "control_socket: \"\"\n"
			 "stun:\n  addresses: [\"" STUN_A "\"]\n"
			 "interfaces:\n"
			 "  wgA:\n    peers:\n"
			 "      wgB: {public_key: \"%s\", plugin: mem}\n"
			 "      wgC: {public_key: \"%s\", plugin: mem2}\n"
			 "  wgX:\n    peers:\n"
			 "      x: {public_key: \"%s\", plugin: keep}\n"
			 "plugins:\n"
			 "  mem: {type: builtin, name: file, dir: /mem}\n"
			 "  mem2: {type: builtin, name: file, dir: /mem2-moved}\n"
			 "  keep: {type: builtin, name: file, dir: /keep}\n",
			 kb, kc, kc);
		site_write(&t->sa, yaml);
	}
	assert_int_equal(store_config_load(t->sa.path, &cfg, &diags), 0);
	config_diags_free(&diags);
	for (n = 0; n < 5000; n++) {
		unsigned m2 = mem2->created - mem2->freed, k = keep->created - keep->freed;
		bool injected;

		fake_alloc_fail_at(n);
		r = engine_apply(t->sa.eng, cfg);
		injected = fake_alloc_stop();
		if (!r)
			break;
		assert_true(injected);
		assert_int_equal(n_ifaces(&t->sa), 1);
		assert_int_equal(site_n_peers(&t->sa), 1);
		assert_int_equal(mem2->created - mem2->freed, m2);
		assert_int_equal(keep->created - keep->freed, k);
		assert_int_equal(mem->freed, 0);
		assert_b_untouched(t, &before);
	}
	assert_int_equal(r, 0);
	/* every allocation before this one failed the apply: stores, the new peer, the
	 * tables */
	assert_true(n >= 10);
	assert_int_equal(n_ifaces(&t->sa), 2);
	assert_int_equal(site_n_peers(&t->sa), 2);
	world_run(&t->w, 1000);
	assert_true(world_run_until(&t->w, 15000, ac_connected, t));
	assert_b_untouched(t, &before);
}

/* A read in flight on store mem while b moves to mem2 (mem stays: c uses it), then b is
 * removed with a read in flight on mem2: no answer reaches the moved or freed peer. */
static void test_reload_with_reads_in_flight(void **state)
{
	struct bench *t = *state;
	struct fake_dev *both[] = { t->b, t->c };
	static const char *const on_mem[] = { "mem", "mem" };
	static const char *const b_on_mem2[] = { "mem2", "mem" };
	struct fake_plugin *mem, *mem2;
	char buf[128];
	unsigned gets;

	write_a(t, both, on_mem, 2, NULL);
	assert_int_equal(site_start(&t->sa, NULL), 0);
	world_run(&t->w, 3000);
	mem = fake_stores_plugin(&t->w.stores, "mem");
	mem2 = fake_stores_plugin(&t->w.stores, "mem2");
	t->w.stores.delay_ms = 2000;
	gets = mem->gets;
	assert_int_equal(engine_refresh(t->sa.eng, "wgB"), 1);
	world_run(&t->w, 10);
	assert_true(mem->gets > gets); /* b's read is out on mem */

	write_a(t, both, b_on_mem2, 2, NULL);
	assert_int_equal(engine_reload(t->sa.eng), 0);
	assert_string_equal(site_peer_str(&t->sa, "wgB", "store", buf, sizeof(buf)), "mem2");
	assert_string_equal(site_peer_str(&t->sa, "wgB", "fetch", buf, sizeof(buf)), "");
	gets = mem2->gets;
	world_run(&t->w, 10);
	assert_true(mem2->gets > gets); /* b reads mem2 at once */
	world_run(&t->w, 1500);
	/* the read on mem was abandoned: its answer never came to b */
	assert_string_equal(site_peer_str(&t->sa, "wgB", "fetch", buf, sizeof(buf)), "");

	write_a(t, &t->c, on_mem, 1, NULL);
	assert_int_equal(engine_reload(t->sa.eng), 0);
	assert_false(has_peer(&t->sa, "wgB"));
	world_run(&t->w, 5000); /* any late answer would land here */
	assert_string_not_equal(site_peer_str(&t->sa, "wgC", "fetch", buf, sizeof(buf)), "");
}

/* A peer whose store could not be set up waits quietly instead of spinning. */
static void test_no_store_no_spin(void **state)
{
	struct bench *t = *state;
	static const char *const on_bad[] = { "bad" };
	char buf[256];
	long rounds;

	write_a(t, &t->b, on_bad, 1, "  bad: {type: builtin, name: file, dir: /nonexistent/x}\n");
	assert_int_equal(site_start(&t->sa, NULL), 0);
	world_run(&t->w, 3000);
	assert_non_null(strstr(site_peer_str(&t->sa, "wgB", "publish", buf, sizeof(buf)),
			       "could not be set up"));
	assert_true(logged(t, "store bad: directory /nonexistent/x"));
	engine_refresh(t->sa.eng, "wgB");
	rounds = t->w.rounds;
	world_run(&t->w, 10000);
	/* the device is read every second and STUN runs every 10 s; nothing else */
	assert_true(t->w.rounds - rounds < 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_add_remove_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_store_options_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_reload_keeps_running_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_oom_leaves_running_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload_with_reads_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_store_no_spin, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
