/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The engine's lifetimes across reloads, driven through its public API with file
 * stores and no WireGuard device (the interface is marked present by hand, so nothing
 * touches a real device). Under ASan these catch use-after-free and leaks; the spin test
 * catches a timer re-armed at 0 forever. STUN goes to 127.0.0.1 only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/engine.h"

#define KEY_P "pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk="
#define KEY_Q "zo060cy2M+x7cMF4FKXHbs0CloUFDTRHRboFhw5YfVk="

struct fix {
	char dir[64];
	char path[128];
	struct loop *loop;
	struct logger log;
	struct config_source src;
	struct engine *eng;
};

/* p uses plugin p_plugin (NULL: p is not configured); q always uses a. Plugin bad
 * points at a directory that cannot be created, so its store fails to set up. */
static void write_cfg(struct fix *f, const char *p_plugin)
{
	FILE *out = fopen(f->path, "w");

	assert_non_null(out);
	fprintf(out,
		"control_socket: \"\"\n"
		"stun:\n  addresses: [\"127.0.0.1:9\"]\n"
		"interfaces:\n  smtest0:\n    peers:\n");
	if (p_plugin)
		fprintf(out, "      p:\n        public_key: \"" KEY_P "\"\n        plugin: %s\n",
			p_plugin);
	fprintf(out,
		"      q:\n        public_key: \"" KEY_Q "\"\n        plugin: a\n"
		"plugins:\n"
		"  a: {type: builtin, name: file, dir: %s/a}\n"
		"  b: {type: builtin, name: file, dir: %s/b}\n"
		"  bad: {type: builtin, name: file, dir: /proc/sm-no/such/dir}\n",
		f->dir, f->dir);
	fclose(out);
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct config_diags d = { 0 };
	struct config *cfg = NULL;
	struct errbuf e;
	char sub[96];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/sm-engine-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(sub, sizeof(sub), "%s/a", f->dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/b", f->dir);
	mkdir(sub, 0700);
	snprintf(f->path, sizeof(f->path), "%s/config.yaml", f->dir);
	log_init(&f->log, stderr);
	f->log.level = getenv("SM_TEST_DEBUG") ? LOG_DEBUG : LOG_OFF;
	assert_int_equal(loop_new(&f->loop, &e), 0);
	write_cfg(f, "a");
	assert_int_equal(config_load(f->path, &cfg, &d), 0);
	config_diags_free(&d);
	f->src.file = f->path;
	assert_int_equal(engine_new(f->loop, &f->log, cfg, NULL, &f->src, &f->eng, &e), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char cmd[160];

	engine_free(f->eng);
	loop_free(f->loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct eng_peer *find(struct engine *eng, const char *name)
{
	for (size_t i = 0; i < eng->ifaces[0]->n_peers; i++)
		if (!strcmp(eng->ifaces[0]->peers[i]->name, name))
			return eng->ifaces[0]->peers[i];
	return NULL;
}

/* The device as if it had just been read: present, both peers on it. */
static void pretend_device(struct engine *eng)
{
	struct eng_iface *ifc = eng->ifaces[0];

	ifc->present = true;
	loop_timer_cancel(eng->loop, &ifc->sample_timer); /* no real device to read */
	for (size_t i = 0; i < ifc->n_peers; i++) {
		ifc->peers[i]->on_device = true;
		/* what reading the device's public key would have given */
		snprintf(ifc->peers[i]->read_key, sizeof(ifc->peers[i]->read_key),
			 "%040zx", i + 1);
		snprintf(ifc->peers[i]->write_key, sizeof(ifc->peers[i]->write_key),
			 "%040zx", i + 100);
	}
}

static void run(struct fix *f, int rounds)
{
	for (int i = 0; i < rounds; i++)
		loop_run_once(f->loop, 20);
}

/* A read in flight on store a while p moves to store b (a stays: q uses it), then p is
 * removed: a's answer must not reach the freed peer. */
static void test_reload_with_reads_in_flight(void **state)
{
	struct fix *f = *state;
	struct eng_peer *p;

	pretend_device(f->eng);
	assert_int_equal(engine_refresh(f->eng, "p"), 1);
	p = find(f->eng, "p");
	assert_non_null(p);
	/* p's timer starts the read; the file store answers a round later */
	for (int i = 0; i < 10 && !p->fsm.fetch.in_flight; i++)
		loop_run_once(f->loop, 0);
	assert_true(p->fsm.fetch.in_flight);

	write_cfg(f, "b");
	engine_reload(f->eng);
	p = find(f->eng, "p");
	assert_non_null(p);
	assert_string_equal(p->store_name, "b");
	assert_false(p->fsm.fetch.in_flight); /* the read on a was abandoned */

	/* the reload re-reads the device, which does not exist here: pretend again */
	pretend_device(f->eng);
	engine_refresh(f->eng, "p");
	for (int i = 0; i < 10 && !p->fsm.fetch.in_flight; i++)
		loop_run_once(f->loop, 0);
	assert_true(p->fsm.fetch.in_flight); /* a read on b now */
	write_cfg(f, NULL);
	engine_reload(f->eng);
	assert_null(find(f->eng, "p"));
	assert_non_null(find(f->eng, "q"));
	run(f, 5); /* any late answer would land here */
}

/* A peer whose store could not be set up waits quietly instead of spinning. */
static void test_no_store_no_spin(void **state)
{
	struct fix *f = *state;
	struct eng_peer *p;
	int64_t t0;
	long rounds = 0;

	write_cfg(f, "bad");
	engine_reload(f->eng);
	p = find(f->eng, "p");
	assert_non_null(p);
	assert_null(p->store);
	assert_non_null(strstr(p->publish_result, "could not be set up"));
	pretend_device(f->eng);
	engine_refresh(f->eng, "p");
	loop_update_now(f->loop);
	t0 = loop_now(f->loop);
	while (loop_now(f->loop) - t0 < 200) {
		loop_run_once(f->loop, 50);
		loop_update_now(f->loop);
		rounds++;
	}
	assert_true(rounds < 50);
}

/* A configuration with errors leaves the running one alone. */
static void test_bad_reload_keeps_running_config(void **state)
{
	struct fix *f = *state;
	FILE *out = fopen(f->path, "w");

	assert_non_null(out);
	fputs("interfaces:\n  smtest0:\n    peers:\n      p: {public_key: nope, plugin: a}\n", out);
	fclose(out);
	engine_reload(f->eng);
	assert_non_null(find(f->eng, "p"));
	assert_non_null(find(f->eng, "q"));
	assert_int_equal(f->eng->n_stores, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reload_with_reads_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_store_no_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_reload_keeps_running_config, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
