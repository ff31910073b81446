/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shell store: the exact stdin lines, a round trip through a case-loop plugin,
 * not found (exit 0, nothing printed) vs failure (non-zero exit, stderr quoted), and
 * the shared limits: timeout, crash, flood. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store_test.h"

#define TIMEOUT_MS 400

struct fixture {
	struct loop *loop;
	struct logger log;
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errbuf e;

	if (!f || loop_new(&f->loop, &e) || !(f->dir = make_tmpdir()))
		return -1;
	log_init(&f->log, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	loop_free(f->loop);
	remove_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static struct store *new_store(struct fixture *f, char **args, size_t n)
{
	struct store *s = NULL;
	struct errbuf e;
	char list[1500];

	if (store_test_new(f->loop, &f->log, &s, &e, "sh",
			   "{type: shell, command: /bin/sh, args: %s, timeout: %dms}",
			   yaml_list(list, sizeof(list), args, n), TIMEOUT_MS))
		fail_msg("store_new: %s", e.msg);
	return s;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	char *args[2] = { "tests/plugins/shell-storage.sh", f->dir };
	struct store *s = new_store(f, args, 2);
	static struct outcome o;

	s->timeout_ms = 5000;
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, VALUE_A); /* the newline it printed is trimmed */
	store_free(s);
}

/* The request bytes, exactly as stunmesh-go writes them (vectors §4). */
static void test_exact_stdin(void **state)
{
	struct fixture *f = *state;
	char script[800], copy[700], buf[600];
	char *args[2] = { "-c", script };
	struct store *s;
	static struct outcome o;
	FILE *fp;
	size_t n;

	snprintf(copy, sizeof(copy), "%s/stdin", f->dir);
	snprintf(script, sizeof(script), "cat > '%s'", copy);
	s = new_store(f, args, 2);
	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 2000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	fp = fopen(copy, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "STUNMESH_ACTION=set\nSTUNMESH_KEY=" KEY_A
				 "\nSTUNMESH_VALUE=" VALUE_A "\n");
	assert_true(do_get(f->loop, s, KEY_B, 0, &o, 2000) >= 0);
	fp = fopen(copy, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, "STUNMESH_ACTION=get\nSTUNMESH_KEY=" KEY_B "\n");
	/* It printed nothing and exited 0: not found. */
	assert_int_equal(o.status, STORE_NOT_FOUND);
	store_free(s);
}

static void run_mode(struct fixture *f, const char *mode, struct outcome *o)
{
	char *args[3] = { "tests/plugins/misbehave.sh", (char *)mode, "/dev/null" };
	struct store *s = new_store(f, args, 3);
	int64_t ms;

	/* Only the hanging plugin gets the short timeout: on a loaded machine the others
	 * must not turn into timeouts. */
	if (strcmp(mode, "hang"))
		s->timeout_ms = 5000;
	ms = do_get(f->loop, s, KEY_A, 0x1234, o, s->timeout_ms + 3000);
	assert_true(ms >= 0);
	assert_true(ms <= s->timeout_ms + 1000);
	assert_int_equal(o->calls, 1);
	store_free(s);
}

static void test_failures(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;

	run_mode(f, "fail-stderr", &o);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "exit status 1"));
	assert_non_null(strstr(o.error, "connection refused"));
	run_mode(f, "hang", &o);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "timed out"));
	run_mode(f, "crash", &o);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "signal 11"));
	run_mode(f, "flood", &o);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "output too large"));
	run_mode(f, "shell-fwmark", &o);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, "4660");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exact_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
