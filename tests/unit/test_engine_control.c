/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket on the loop, on a fake clock: a client that sends nothing or reads
 * slowly never holds up the loop or the other clients, each client has a deadline, the
 * number of clients is capped; and the engine's requests (status, status json,
 * refresh). Clients here are non-blocking sockets the test drives between loop rounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/control.h"
#include "fake_site.h"

#define BIG_ANSWER (4 * 1024 * 1024)

struct bench {
	struct fake_world w;
	char path[128];
	struct control *ctl;
	unsigned requests;
	char last[300];
};

static char *handler(void *arg, const char *req, size_t *len)
{
	struct bench *t = arg;
	char *out;

	t->requests++;
	snprintf(t->last, sizeof(t->last), "%s", req);
	if (!strcmp(req, "big")) {
		out = malloc(BIG_ANSWER);
		if (out) {
			for (size_t i = 0; i < BIG_ANSWER; i++)
				out[i] = (char)('a' + i % 26);
			*len = BIG_ANSWER;
		}
		return out;
	}
	out = malloc(strlen(req) + 8);
	if (out)
		*len = (size_t)sprintf(out, "echo %s\n", req);
	return out;
}

static int setup(void **state)
{
	struct bench *t = calloc(1, sizeof(*t));
	struct control_limits lim = { .client_deadline_ms = 5000, .max_clients = 3 };
	struct errbuf e = { "" };

	assert_non_null(t);
	world_init(&t->w);
	snprintf(t->path, sizeof(t->path), "%s/ctl/sock", t->w.dir);
	assert_int_equal(control_open(t->w.loop, &t->w.log, t->path, &lim, handler, t, &t->ctl, &e), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct bench *t = *state;

	control_close(t->ctl);
	world_free(&t->w);
	free(t);
	return 0;
}

static int client(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

static void rounds(struct bench *t, int n)
{
	for (int i = 0; i < n; i++)
		loop_run_once(t->w.loop, 0);
}

/* Reads what is there; returns bytes read, -1 at EOF with nothing read. */
static ssize_t drain(int fd, char *buf, size_t cap, size_t *total)
{
	ssize_t n = 1, got = 0;

	while (*total < cap && (n = recv(fd, buf + *total, cap - *total, MSG_DONTWAIT)) > 0) {
		*total += (size_t)n;
		got += n;
	}
	if (n == 0 && !got)
		return -1;
	return got;
}

/* The whole answer, running the loop in between; true at EOF. */
static bool answer(struct bench *t, int fd, char *buf, size_t cap, size_t *total)
{
	for (int i = 0; i < 10000; i++) {
		if (drain(fd, buf, cap, total) < 0)
			return true;
		rounds(t, 1);
	}
	return false;
}

static void test_idle_client_does_not_block_others(void **state)
{
	struct bench *t = *state;
	int idle = client(t->path), c2;
	char buf[256] = "";
	size_t got = 0;

	rounds(t, 3);
	assert_int_equal(control_clients(t->ctl), 1);
	/* another client is served while the first one says nothing */
	c2 = client(t->path);
	assert_int_equal(send(c2, "status\n", 7, 0), 7);
	assert_true(answer(t, c2, buf, sizeof(buf) - 1, &got));
	assert_string_equal(buf, "echo status\n");
	assert_int_equal(t->requests, 1);
	close(c2);
	/* the idle one is dropped at its deadline, not before */
	world_run(&t->w, 4900);
	assert_int_equal(control_clients(t->ctl), 1);
	world_run(&t->w, 200);
	assert_int_equal(control_clients(t->ctl), 0);
	got = 0;
	assert_int_equal(drain(idle, buf, sizeof(buf), &got), -1); /* EOF, no answer */
	assert_int_equal(t->requests, 1);
	close(idle);
}

static void test_request_in_pieces_and_eof(void **state)
{
	struct bench *t = *state;
	int fd = client(t->path);
	char buf[256] = "";
	size_t got = 0;

	assert_int_equal(send(fd, "refr", 4, 0), 4);
	rounds(t, 3);
	assert_int_equal(t->requests, 0);
	assert_int_equal(send(fd, "esh wgB", 7, 0), 7);
	rounds(t, 3);
	assert_int_equal(t->requests, 0);
	/* no newline: the end of what the client writes ends the request */
	shutdown(fd, SHUT_WR);
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	assert_string_equal(t->last, "refresh wgB");
	assert_string_equal(buf, "echo refresh wgB\n");
	close(fd);
}

static void test_slow_reader(void **state)
{
	struct bench *t = *state;
	int slow = client(t->path), other;
	char *buf = malloc(BIG_ANSWER + 1), small[64] = "";
	size_t got = 0, got2 = 0;

	assert_non_null(buf);
	assert_int_equal(send(slow, "big\n", 4, 0), 4);
	rounds(t, 5);
	/* the answer does not fit the socket: the rest waits, the loop goes on */
	assert_int_equal(control_clients(t->ctl), 1);
	other = client(t->path);
	assert_int_equal(send(other, "ping\n", 5, 0), 5);
	assert_true(answer(t, other, small, sizeof(small) - 1, &got2));
	assert_string_equal(small, "echo ping\n");
	close(other);
	/* the slow reader gets all of it, as it reads */
	assert_true(answer(t, slow, buf, BIG_ANSWER + 1, &got));
	assert_int_equal(got, BIG_ANSWER);
	for (size_t i = 0; i < BIG_ANSWER; i += 4099)
		assert_int_equal(buf[i], 'a' + (int)(i % 26));
	assert_int_equal(control_clients(t->ctl), 0);
	close(slow);
	free(buf);
}

static void test_client_cap(void **state)
{
	struct bench *t = *state;
	int fds[3], extra;
	char buf[64] = "";
	size_t got = 0;

	for (int i = 0; i < 3; i++)
		fds[i] = client(t->path);
	rounds(t, 3);
	assert_int_equal(control_clients(t->ctl), 3);
	extra = client(t->path);
	rounds(t, 3);
	assert_true(answer(t, extra, buf, sizeof(buf) - 1, &got));
	assert_string_equal(buf, "error: busy, try again\n");
	assert_int_equal(control_clients(t->ctl), 3);
	close(extra);
	/* once one is done, there is room again */
	close(fds[0]);
	rounds(t, 3);
	assert_int_equal(control_clients(t->ctl), 2);
	extra = client(t->path);
	assert_int_equal(send(extra, "status\n", 7, 0), 7);
	got = 0;
	memset(buf, 0, sizeof(buf));
	assert_true(answer(t, extra, buf, sizeof(buf) - 1, &got));
	assert_string_equal(buf, "echo status\n");
	close(extra);
	close(fds[1]);
	close(fds[2]);
}

/* The engine's requests through its own control socket. */
static void test_engine_requests(void **state)
{
	struct bench *t = *state;
	struct fake_dev *a = fake_net_add_dev(&t->w.net, "wgA", 51820, "203.0.113.11:40001");
	struct fake_dev *b = fake_net_add_dev(&t->w.net, "wgB", 51821, "203.0.113.12:40002");
	struct engine_opts o = { 0 };
	struct fake_site sa;
	char path[160], buf[4096];
	size_t got;
	int fd;

	fake_net_link(a, 0, b, 0);
	site_init(&sa, &t->w, a, "a");
	site_write_std(&sa, &b, NULL, 1, NULL);
	snprintf(path, sizeof(path), "%s/engine.sock", t->w.dir);
	o.control_path = path;
	assert_int_equal(site_start(&sa, &o), 0);
	world_run(&t->w, 2000);

	fd = client(path);
	assert_int_equal(send(fd, "status json\n", 12, 0), 12);
	memset(buf, 0, sizeof(buf));
	got = 0;
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	close(fd);
	{
		cJSON *root = cJSON_Parse(buf);

		assert_non_null(root);
		assert_non_null(cJSON_GetObjectItem(root, "interfaces"));
		cJSON_Delete(root);
	}
	assert_int_equal(buf[got - 1], '\n');

	fd = client(path);
	assert_int_equal(send(fd, "status\n", 7, 0), 7);
	memset(buf, 0, sizeof(buf));
	got = 0;
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	close(fd);
	assert_non_null(strstr(buf, "interface wgA: listen port 51820"));
	assert_non_null(strstr(buf, "peer wgB: "));

	fd = client(path);
	assert_int_equal(send(fd, "refresh wgB\n", 12, 0), 12);
	memset(buf, 0, sizeof(buf));
	got = 0;
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	close(fd);
	assert_string_equal(buf, "refreshing 1 peer\n");

	fd = client(path);
	assert_int_equal(send(fd, "refresh nobody\n", 15, 0), 15);
	memset(buf, 0, sizeof(buf));
	got = 0;
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	close(fd);
	assert_string_equal(buf, "error: no such peer\n");

	fd = client(path);
	assert_int_equal(send(fd, "reboot\n", 7, 0), 7);
	memset(buf, 0, sizeof(buf));
	got = 0;
	assert_true(answer(t, fd, buf, sizeof(buf) - 1, &got));
	close(fd);
	assert_non_null(strstr(buf, "error: unknown request"));
	site_stop(&sa);
	assert_int_equal(access(path, F_OK), -1); /* the socket file is removed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_idle_client_does_not_block_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_in_pieces_and_eof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_engine_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
