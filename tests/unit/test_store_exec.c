/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exec store with real plugin processes: the seed README's Python example
 * ("operation") and a stunmesh-go-style sh plugin ("action") round trip; plugins that
 * hang, crash, print garbage or flood stdout end as errors within the timeout and
 * leave no process behind; not found is told apart; stderr reaches the debug log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>

#include "store/store-exec.h"
#include "store_test.h"

#define TIMEOUT_MS 400 /* for the plugins that hang */
#define SLACK_MS 5000	/* for the others, so a loaded machine does not turn them into timeouts */

static int64_t timeout_for(const char *mode)
{
	return strncmp(mode, "hang", 4) ? SLACK_MS : TIMEOUT_MS;
}

struct fixture {
	struct loop *loop;
	struct logger log;
	char *logbuf;
	size_t loglen;
	char *dir;
	char pidfile[600];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errbuf e;

	if (!f || loop_new(&f->loop, &e) || !(f->dir = make_tmpdir()))
		return -1;
	log_init(&f->log, open_memstream(&f->logbuf, &f->loglen));
	f->log.level = LOG_DEBUG;
	snprintf(f->pidfile, sizeof(f->pidfile), "%s/pid", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	loop_free(f->loop);
	fclose(f->log.out);
	free(f->logbuf);
	remove_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* An exec store running command with args, under name, with a timeout. */
static struct store *exec_store(struct fixture *f, const char *name, const char *command,
				char *const *args, size_t n, int64_t timeout_ms)
{
	struct store *s = NULL;
	struct errbuf e;
	char list[1500];

	if (store_test_new(f->loop, &f->log, &s, &e, name,
			   "{type: exec, command: \"%s\", args: %s, timeout: %lldms}", command,
			   yaml_list(list, sizeof(list), args, n), (long long)timeout_ms))
		fail_msg("store_new: %s", e.msg);
	return s;
}

static struct store *new_store(struct fixture *f, const char *command, const char *a0,
			       const char *a1)
{
	char *args[2] = { (char *)a0, (char *)a1 };

	return exec_store(f, "t", command, args, a1 ? 2 : a0 ? 1 : 0, TIMEOUT_MS);
}

static void round_trip(struct fixture *f, struct store *s)
{
	static struct outcome o;

	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 5000) >= 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 5000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 5000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, VALUE_A);
	assert_true(do_get(f->loop, s, KEY_B, 0, &o, 5000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
}

static void test_seed_python_plugin(void **state)
{
	struct fixture *f = *state;
	struct store *s;

	s = new_store(f, "python3", "tests/plugins/seed-storage.py", f->dir);
	s->timeout_ms = 10000; /* interpreter start-up on a busy machine */
	round_trip(f, s);
	store_free(s);
}

static void test_action_sh_plugin(void **state)
{
	struct fixture *f = *state;
	struct store *s;

	/* Its not-found answer comes with exit status 1, as stunmesh-go's contrib
	 * Cloudflare plugin does. */
	s = new_store(f, "/bin/sh", "tests/plugins/action-storage.sh", f->dir);
	s->timeout_ms = 5000;
	round_trip(f, s);
	store_free(s);
}

static void test_request_line(void **state)
{
	struct strbuf sb = { 0 };

	(void)state;
	assert_int_equal(exec_request_build(false, KEY_B, NULL, &sb), 0);
	assert_string_equal(sb.buf, "{\"action\":\"get\",\"operation\":\"get\",\"key\":\"" KEY_B
				    "\"}\n");
	sb_free(&sb);
	assert_int_equal(exec_request_build(true, KEY_A, VALUE_A, &sb), 0);
	assert_string_equal(sb.buf, "{\"action\":\"set\",\"operation\":\"set\",\"key\":\"" KEY_A
				    "\",\"value\":\"" VALUE_A "\"}\n");
	sb_free(&sb);
}

static void test_response_parse(void **state)
{
	struct exec_response r;
	struct errbuf e;
	static const char *ok[] = {
		"{\"success\":true,\"value\":\"ab\"}",
		"\n  {\"SUCCESS\":true,\"Value\":\"ab\",\"other\":[1,2]} junk after",
		"{\"success\":false,\"value\":\"zz\",\"success\":true,\"value\":\"ab\"}",
	};
	static const char *bad[] = {
		"", "   \n", "hello", "[true]", "\"x\"", "{\"success\":\"true\"}",
		"{\"success\":1}", "{\"value\":5}", "{\"error\":{}}", "{\"success\":true",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(exec_response_parse((const uint8_t *)ok[i], strlen(ok[i]), &r, &e),
				 0);
		assert_true(r.success);
		assert_string_equal(r.value, "ab");
		assert_null(r.error);
		exec_response_free(&r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!exec_response_parse((const uint8_t *)bad[i], strlen(bad[i]), &r, &e))
			fail_msg("accepted: %s", bad[i]);
	/* Go's field rules: a later null keeps the value, a wrong type anywhere fails. */
	{
		const char *t = "{\"success\":true,\"Success\":null,\"value\":\"ab\"}";

		assert_int_equal(exec_response_parse((const uint8_t *)t, strlen(t), &r, &e), 0);
		assert_true(r.success);
		exec_response_free(&r);
		t = "{\"success\":1,\"success\":true}";
		assert_int_equal(exec_response_parse((const uint8_t *)t, strlen(t), &r, &e), -EINVAL);
	}
	assert_int_equal(exec_response_parse((const uint8_t *)"{\"error\":null}", 14, &r, &e), 0);
	assert_false(r.success);
	assert_null(r.error);
	exec_response_free(&r);
}

/* Runs `misbehave.sh mode` as an exec plugin; returns how long the get took. */
static int64_t misbehave(struct fixture *f, const char *mode, struct outcome *o, uint32_t fwmark)
{
	char *args[3] = { "tests/plugins/misbehave.sh", (char *)mode, f->pidfile };
	struct store *s = exec_store(f, "bad", "/bin/sh", args, 3, timeout_for(mode));
	int64_t ms;

	ms = do_get(f->loop, s, KEY_A, fwmark, o, timeout_for(mode) + 3000);
	assert_true(ms >= 0);
	assert_int_equal(o->calls, 1);
	store_free(s);
	return ms;
}

static void expect_error(struct fixture *f, const char *mode, const char *words)
{
	static struct outcome o;
	int64_t ms = misbehave(f, mode, &o, 0);

	assert_int_equal(o.status, STORE_ERROR);
	if (!strstr(o.error, words))
		fail_msg("%s: '%s' does not say '%s'", mode, o.error, words);
	/* Within the timeout, plus the time to reap. */
	if (ms > timeout_for(mode) + 1000)
		fail_msg("%s took %lld ms", mode, (long long)ms);
}

static void test_hang(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "hang", "timed out");
	expect_error(f, "hang-term", "timed out");
}

static bool process_gone(pid_t pid)
{
	char path[64], buf[256];
	FILE *fp;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	if (!fp)
		return true;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	/* A zombie waiting for its new parent (init) to reap it is gone for our needs. */
	p = p ? strrchr(buf, ')') : NULL;
	return p && (p[2] == 'Z' || p[2] == 'X');
}

/* The plugin's helper holds stdout open; it is killed with the plugin's group. */
static void test_hang_group(void **state)
{
	struct fixture *f = *state;
	FILE *fp;
	int pid = 0;

	expect_error(f, "hang-group", "timed out");
	fp = fopen(f->pidfile, "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%d", &pid), 1);
	fclose(fp);
	for (int i = 0; i < 50 && !process_gone(pid); i++)
		usleep(20000);
	if (!process_gone(pid)) {
		kill(pid, SIGKILL);
		fail_msg("helper %d survived its plugin", pid);
	}
}

static void test_crash(void **state)
{
	expect_error(*state, "crash", "signal 11");
}

static void test_garbage(void **state)
{
	expect_error(*state, "garbage", "bad answer");
}

static void test_flood(void **state)
{
	expect_error(*state, "flood", "output too large");
}

static void test_exit_codes(void **state)
{
	struct fixture *f = *state;

	expect_error(f, "exit-after-success", "exit status 3");
	expect_error(f, "fail-message", "plugin error: backend down");
	expect_error(f, "fail-stderr", "connection refused");
}

static void test_missing_command(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	struct store *s = new_store(f, "/nonexistent/stunmesh-plugin", NULL, NULL);

	s->timeout_ms = SLACK_MS;

	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 2000) >= 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "cannot run"));
	store_free(s);
}

static void test_answers(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;

	misbehave(f, "notfound", &o, 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	misbehave(f, "empty-value", &o, 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	misbehave(f, "trailing", &o, 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, "abcd");
	/* stderr is tolerated in bulk and does not count as stdout. */
	misbehave(f, "flood-stderr", &o, 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
}

static void test_fwmark_env(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;

	setenv("STUNMESH_FWMARK", "999", 1); /* inherited values never leak through */
	misbehave(f, "fwmark", &o, 0x1234);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, "4660");
	misbehave(f, "fwmark", &o, 0);
	assert_string_equal(o.value, "none");
	unsetenv("STUNMESH_FWMARK");
}

static void test_stderr_logged(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;

	misbehave(f, "stderr-lines", &o, 0);
	assert_int_equal(o.status, STORE_OK);
	fflush(f->log.out);
	assert_non_null(strstr(f->logbuf, "plugin bad (get " KEY_A "): stderr: first line"));
	assert_non_null(strstr(f->logbuf, "stderr: second line"));
}

/* A plugin that echoes its arguments (a token among them) into its output and its
 * stderr: neither the error nor the log may show the token. */
static void test_secrets_scrubbed(void **state)
{
	struct fixture *f = *state;
	char *args[5] = { "tests/plugins/misbehave.sh", "echo-args", f->pidfile, "-token",
			  "SeCrEtToKeN99" };
	static struct outcome o;
	struct store *s = exec_store(f, "leaky", "/bin/sh", args, 5, 5000);

	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 8000) >= 0);
	store_free(s);
	assert_int_equal(o.status, STORE_ERROR);
	fflush(f->log.out);
	assert_non_null(strstr(f->logbuf, "called with: echo-args"));
	assert_null(strstr(f->logbuf, "SeCrEtToKeN99"));
	assert_null(strstr(o.error, "SeCrEtToKeN99"));
}

/* Many at once: a slow plugin does not hold up the others. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct store *slow = NULL, *fast;
	char *args[3] = { "tests/plugins/misbehave.sh", "hang", f->pidfile };
	static struct outcome hung, quick[4];

	slow = exec_store(f, "slow", "/bin/sh", args, 3, 20000);
	fast = new_store(f, "/bin/sh", "tests/plugins/action-storage.sh", f->dir);
	fast->timeout_ms = SLACK_MS;
	memset(&hung, 0, sizeof(hung));
	assert_int_equal(store_get(slow, KEY_A, 0, outcome_cb, &hung), 0);
	for (int i = 0; i < 4; i++) {
		memset(&quick[i], 0, sizeof(quick[i]));
		assert_int_equal(store_set(fast, KEY_B, VALUE_A, 0, outcome_cb, &quick[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_true(wait_done(f->loop, &quick[i], 5000) < 5000);
	for (int i = 0; i < 4; i++)
		assert_int_equal(quick[i].status, STORE_OK);
	assert_int_equal(hung.calls, 0);
	/* Cancelling by argument: only that one goes. */
	{
		static struct outcome keep, drop;

		memset(&keep, 0, sizeof(keep));
		memset(&drop, 0, sizeof(drop));
		assert_int_equal(store_get(fast, KEY_B, 0, outcome_cb, &drop), 0);
		assert_int_equal(store_get(fast, KEY_B, 0, outcome_cb, &keep), 0);
		assert_int_equal(store_get(fast, KEY_A, 0, outcome_cb, &drop), 0);
		store_cancel(fast, &drop);
		assert_true(wait_done(f->loop, &keep, 5000) < 5000);
		assert_int_equal(keep.status, STORE_OK);
		loop_run_once(f->loop, 100);
		assert_int_equal(drop.calls, 0);
	}
	/* Freeing with the slow one in flight kills it; no callback. */
	store_free(slow);
	store_free(fast);
	loop_run_once(f->loop, 50);
	assert_int_equal(hung.calls, 0);
}


static int count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int max_seen(const char *path)
{
	FILE *fp = fopen(path, "r");
	int n, max = 0;

	if (!fp)
		return -1;
	while (fscanf(fp, "%d", &n) == 1)
		if (n > max)
			max = n;
	fclose(fp);
	return max;
}

/* 300 gets at once on a store whose plugin takes a while: never more than the limit
 * of plugin processes at a time (counted by the plugins themselves and by sampling
 * here), every get completes, none times out although the last ones wait long past
 * the per-operation timeout (it counts from when the operation starts running). */
static void test_bounded_children(void **state)
{
	struct fixture *f = *state;
	enum { N_OPS = 300 };
	char run[700], seen[700];
	char *args[3] = { "tests/plugins/slow-count.sh", f->dir, "0.02" };
	static struct outcome o[N_OPS];
	struct store *s = NULL;
	int done = 0, sampled_max = 0;

	snprintf(run, sizeof(run), "%s/run", f->dir);
	snprintf(seen, sizeof(seen), "%s/seen", f->dir);
	assert_int_equal(mkdir(run, 0755), 0);
	s = exec_store(f, "many", "/bin/sh", args, 3, 1000);
	for (int i = 0; i < N_OPS; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &o[i]), 0);
	}
	loop_update_now(f->loop);
	for (int64_t end = loop_now(f->loop) + 60000; done < N_OPS && loop_now(f->loop) < end;) {
		int n;

		loop_run_once(f->loop, 50);
		if ((n = count_entries(run)) > sampled_max)
			sampled_max = n;
		done = 0;
		for (int i = 0; i < N_OPS; i++)
			done += o[i].calls;
	}
	store_free(s);
	fprintf(stderr, "max running: %d seen by the plugins, %d sampled\n", max_seen(seen),
		sampled_max);
	assert_true(max_seen(seen) >= 1);
	assert_true(max_seen(seen) <= STORE_DEFAULT_CONCURRENCY);
	assert_true(sampled_max <= STORE_DEFAULT_CONCURRENCY);
	assert_int_equal(done, N_OPS);
	for (int i = 0; i < N_OPS; i++) {
		assert_int_equal(o[i].calls, 1);
		if (o[i].status != STORE_NOT_FOUND)
			fail_msg("get %d: status %d, error '%s'", i, o[i].status, o[i].error);
	}
}

static int count_lines(const char *path)
{
	FILE *fp = fopen(path, "r");
	int n = 0, c;

	if (!fp)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

/* max_concurrent from the entry; cancel takes running and queued operations alike: the
 * running ones are killed, the queued ones never start, the others go on. */
static void test_queue_limit_and_cancel(void **state)
{
	struct fixture *f = *state;
	char run[700], seen[700], started[700], list[1500];
	char *args[3] = { "tests/plugins/slow-count.sh", f->dir, "0.3" };
	static struct outcome a[3], b[3];
	struct store *s = NULL;
	struct errbuf e;
	int done = 0;

	snprintf(run, sizeof(run), "%s/run", f->dir);
	snprintf(seen, sizeof(seen), "%s/seen", f->dir);
	snprintf(started, sizeof(started), "%s/started", f->dir);
	assert_int_equal(mkdir(run, 0755), 0);
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "two",
					"{type: exec, command: /bin/sh, args: %s, max_concurrent: 2}",
					yaml_list(list, sizeof(list), args, 3)),
			 0);
	assert_int_equal(s->max_running, 2);
	/* a a run; b a b b wait */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &a[0]), 0);
	assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &a[1]), 0);
	assert_int_equal(store_get(s, KEY_B, 0, outcome_cb, &b[0]), 0);
	assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &a[2]), 0);
	assert_int_equal(store_get(s, KEY_B, 0, outcome_cb, &b[1]), 0);
	assert_int_equal(store_get(s, KEY_B, 0, outcome_cb, &b[2]), 0);
	assert_int_equal(s->running, 2);
	for (int i = 0; i < 3; i++)
		store_cancel(s, &a[i]);
	assert_int_equal(s->running, 2); /* two of b's took the free slots */
	loop_update_now(f->loop);
	for (int64_t end = loop_now(f->loop) + 10000; done < 3 && loop_now(f->loop) < end;) {
		loop_run_once(f->loop, 50);
		done = b[0].calls + b[1].calls + b[2].calls;
	}
	loop_run_once(f->loop, 50);
	store_free(s);
	assert_int_equal(done, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(a[i].calls, 0);
		assert_int_equal(b[i].status, STORE_NOT_FOUND);
	}
	/* the two running a's may or may not have got as far as logging themselves; the
	 * queued one never ran, and every b did */
	assert_true(count_lines(started) >= 3 && count_lines(started) <= 5);
	assert_true(max_seen(seen) <= 2);
}

/* Stores that cannot notify say so. */
static void test_no_watch(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f, "/bin/true", NULL, NULL);
	const struct store_caps *c = store_caps(s);

	assert_int_equal(store_watch(s, KEY_A, (store_change_cb)(void (*)(void))outcome_cb, f),
			 -EOPNOTSUPP);
	assert_false(c->notifies);
	assert_false(c->cheap_reads);
	assert_false(c->dedup_default);
	assert_int_equal(c->value_max, 0);
	assert_int_equal(s->max_running, STORE_DEFAULT_CONCURRENCY);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_line),
		cmocka_unit_test(test_response_parse),
		cmocka_unit_test_setup_teardown(test_seed_python_plugin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_action_sh_plugin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang_group, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwmark_env, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_scrubbed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_logged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_limit_and_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_watch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
