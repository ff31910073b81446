/* SPDX-License-Identifier: GPL-2.0-or-later */
/* raise_nofile_limit: the soft limit goes up to the hard one (never past the ceiling,
 * never down), and the fds it allows can then be opened and watched by the loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/rlimit.h"

static void nop_fd(struct loop *l, int fd, unsigned ev, void *arg)
{
	(void)l;
	(void)fd;
	(void)ev;
	(void)arg;
}

static void test_raise(void **state)
{
	struct rlimit old, rl;
	rlim_t before = 0, after = 0, want;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 256)
		skip();
	want = old.rlim_max == RLIM_INFINITY || old.rlim_max > NOFILE_CEILING ? NOFILE_CEILING
									       : old.rlim_max;
	rl = old;
	rl.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(raise_nofile_limit(&before, &after), 0);
	assert_int_equal(before, 64);
	assert_int_equal(after, want);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	assert_int_equal(rl.rlim_cur, want);
	assert_int_equal(rl.rlim_max, old.rlim_max);
	/* Already there: nothing changes. */
	assert_int_equal(raise_nofile_limit(&before, &after), 0);
	assert_int_equal(before, want);
	assert_int_equal(after, want);
	assert_int_equal(raise_nofile_limit(NULL, NULL), 0);
	setrlimit(RLIMIT_NOFILE, &old);
}

/* With the soft limit at 64, 100 pipes (200 fds) cannot be opened; after raising it they
 * can, and the loop watches all of them. */
static void test_many_fds_after_raise(void **state)
{
	enum { PIPES = 100 };
	struct rlimit old, rl;
	struct errbuf e = { "" };
	struct loop *l = NULL;
	int p[PIPES][2], opened = 0, r = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max != RLIM_INFINITY && old.rlim_max < 512)
		skip();
	rl = old;
	rl.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	while (opened < PIPES && pipe(p[opened]) == 0)
		opened++;
	assert_true(opened < PIPES); /* the small limit bites */
	for (int i = 0; i < opened; i++)
		close(p[i][0]), close(p[i][1]);
	assert_int_equal(raise_nofile_limit(NULL, NULL), 0);
	assert_int_equal(loop_new(&l, &e), 0);
	for (opened = 0; opened < PIPES; opened++) {
		assert_int_equal(pipe(p[opened]), 0);
		assert_int_equal(loop_fd_add(l, p[opened][0], LOOP_READ, nop_fd, NULL), 0);
	}
	for (int i = 0; i < 3 && !r; i++)
		r = loop_run_once(l, 1);
	assert_int_equal(r, 0);
	for (int i = 0; i < PIPES; i++)
		close(p[i][0]), close(p[i][1]);
	loop_free(l);
	setrlimit(RLIMIT_NOFILE, &old);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raise),
		cmocka_unit_test(test_many_fds_after_raise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
