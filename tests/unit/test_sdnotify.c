/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify: a test socket plays the service manager (bound both as a file and in the
 * abstract namespace) and every datagram is read back and compared. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/sdnotify.h"

struct manager {
	int fd;
	char name[108]; /* as $NOTIFY_SOCKET says it */
	char dir[64];
};

static void manager_bind(struct manager *m, int abstract)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(m, 0, sizeof(*m));
	m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(m->fd >= 0);
	if (abstract) {
		snprintf(m->name, sizeof(m->name), "@stunmesh-test-sdnotify-%ld-%ld", (long)getpid(),
			 (long)time(NULL));
		memcpy(a.sun_path, m->name, strlen(m->name));
		a.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(m->name));
	} else {
		snprintf(m->dir, sizeof(m->dir), "/tmp/sm-sdnotify-XXXXXX");
		assert_non_null(mkdtemp(m->dir));
		snprintf(m->name, sizeof(m->name), "%s/notify", m->dir);
		strcpy(a.sun_path, m->name);
		len = sizeof(a);
	}
	assert_int_equal(bind(m->fd, (struct sockaddr *)&a, len), 0);
	/* a bounded wait for each datagram, so a missing one fails instead of hanging */
	struct timeval tv = { .tv_sec = 2 };
	assert_int_equal(setsockopt(m->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
}

static void manager_close(struct manager *m)
{
	close(m->fd);
	if (m->dir[0]) {
		unlink(m->name);
		rmdir(m->dir);
	}
}

/* The next datagram, NUL-terminated. */
static void manager_recv(struct manager *m, char *buf, size_t size)
{
	ssize_t r = recv(m->fd, buf, size - 1, 0);

	assert_true(r >= 0);
	buf[r] = '\0';
}

static void check_messages(int abstract)
{
	struct manager m;
	struct sdnotify n;
	struct errbuf e = { { 0 } };
	char buf[512];

	manager_bind(&m, abstract);
	assert_int_equal(sdnotify_open(&n, m.name, &e), 0);
	assert_true(sdnotify_enabled(&n));

	assert_int_equal(sdnotify_ready(&n, NULL), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\n");

	assert_int_equal(sdnotify_ready(&n, "2 interfaces, 3 of 4 peers connected"), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1\nSTATUS=2 interfaces, 3 of 4 peers connected\n");

	assert_int_equal(sdnotify_stopping(&n), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1\n");

	assert_int_equal(sdnotify_status(&n, "reading wg0"), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=reading wg0\n");

	sdnotify_close(&n);
	assert_false(sdnotify_enabled(&n));
	manager_close(&m);
}

static void test_path_socket(void **state)
{
	(void)state;
	check_messages(0);
}

static void test_abstract_socket(void **state)
{
	(void)state;
	check_messages(1);
}

static unsigned long long now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000;
}

/* MONOTONIC_USEC must be the time of sending, on CLOCK_MONOTONIC, in microseconds. */
static void test_reloading_timestamp(void **state)
{
	struct manager m;
	struct sdnotify n;
	struct errbuf e = { { 0 } };
	unsigned long long before, after, sent;
	char buf[256], *end;

	(void)state;
	manager_bind(&m, 1);
	assert_int_equal(sdnotify_open(&n, m.name, &e), 0);
	before = now_usec();
	assert_int_equal(sdnotify_reloading(&n), 0);
	after = now_usec();
	manager_recv(&m, buf, sizeof(buf));
	assert_memory_equal(buf, "RELOADING=1\nMONOTONIC_USEC=", 27);
	sent = strtoull(buf + 27, &end, 10);
	assert_string_equal(end, "\n");
	assert_true(sent >= before);
	assert_true(sent <= after);
	sdnotify_close(&n);
	manager_close(&m);
}

/* Text from the configuration (peer names) cannot add assignments of its own. */
static void test_status_cleaned_and_cut(void **state)
{
	struct manager m;
	struct sdnotify n;
	struct errbuf e = { { 0 } };
	char buf[1024], longtext[600];

	(void)state;
	manager_bind(&m, 1);
	assert_int_equal(sdnotify_open(&n, m.name, &e), 0);
	assert_int_equal(sdnotify_status(&n, "peer evil\nREADY=1\tx\x7f"), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=peer evil READY=1 x \n");

	memset(longtext, 'a', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(sdnotify_ready(&n, longtext), 0);
	manager_recv(&m, buf, sizeof(buf));
	assert_int_equal(strlen(buf), strlen("READY=1\nSTATUS=\n") + SDNOTIFY_STATUS_MAX);
	assert_memory_equal(buf, "READY=1\nSTATUS=aaa", 18);
	assert_int_equal(buf[strlen(buf) - 1], '\n');
	sdnotify_close(&n);
	manager_close(&m);
}

/* Not run by a manager: everything is a quiet no-op. */
static void test_unset_is_noop(void **state)
{
	struct sdnotify n;
	struct errbuf e = { { 0 } };

	(void)state;
	assert_int_equal(sdnotify_open(&n, NULL, &e), 0);
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(sdnotify_ready(&n, "x"), 0);
	assert_int_equal(sdnotify_reloading(&n), 0);
	assert_int_equal(sdnotify_stopping(&n), 0);
	sdnotify_close(&n);
	assert_int_equal(sdnotify_open(&n, "", &e), 0);
	assert_false(sdnotify_enabled(&n));
}

static void test_bad_names(void **state)
{
	struct sdnotify n;
	struct errbuf e = { { 0 } };
	char longname[200];

	(void)state;
	assert_int_equal(sdnotify_open(&n, "run/notify", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "run/notify"));
	assert_false(sdnotify_enabled(&n));
	assert_int_equal(sdnotify_open(&n, "vsock:2:1234", &e), -EAFNOSUPPORT);
	assert_false(sdnotify_enabled(&n));
	longname[0] = '/';
	memset(longname + 1, 'x', sizeof(longname) - 2);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(sdnotify_open(&n, longname, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "longer"));
	assert_false(sdnotify_enabled(&n));
}

/* A manager that went away is an error to report, not a crash or a block. */
static void test_nobody_listening(void **state)
{
	struct sdnotify n;
	struct errbuf e = { { 0 } };
	int r;

	(void)state;
	assert_int_equal(sdnotify_open(&n, "/nonexistent-sm-dir/notify", &e), 0);
	r = sdnotify_ready(&n, NULL);
	assert_int_equal(r, -ENOENT);
	sdnotify_close(&n);
	assert_int_equal(sdnotify_open(&n, "@stunmesh-test-nobody-here", &e), 0);
	r = sdnotify_stopping(&n);
	assert_int_equal(r, -ECONNREFUSED);
	sdnotify_close(&n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_reloading_timestamp),
		cmocka_unit_test(test_status_cleaned_and_cut),
		cmocka_unit_test(test_unset_is_noop),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_nobody_listening),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
