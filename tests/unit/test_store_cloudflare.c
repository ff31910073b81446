/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cloudflare store against tests/cloudflare_fake.py (a local fake of the v4 API:
 * the real one cannot be reached from the test machines), started once for the group
 * on 127.0.0.1 and reset before every case: round trip with create then update,
 * requests shaped as stunmesh-go sends them, not found, long values Cloudflare splits,
 * 429 retried after Retry-After, 403 reported with Cloudflare's words and without the
 * token, 500s and a hanging API ending within the timeout, unknown zone, both config
 * spellings, abandoning operations in flight; and the reply parser on good and
 * malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "proto/cloudflare-reply.h"
#include "store_test.h"

#define TOKEN "fake-token-0123456789abcdefABCDEF"
#define ZONE "example.com"
#define VALUE_B                                                                        \
	"0000000000000000000000000000000000000000000000000174f4836008dccfff078b18623b9fc7" \
	"f433b0b860a63090eb84157ad31a3a3036da2d6fe5893a947c933c3d"

static pid_t fake_pid;
static int fake_port;

struct fixture {
	struct loop *loop;
	struct logger log;
	char *logbuf;
	size_t loglen;
};

/* ---- the fake ---- */

static int start_fake(void **state)
{
	int out[2];
	char buf[64] = "";
	size_t len = 0;
	struct pollfd pfd;
	char api[128];

	(void)state;
	if (pipe2(out, O_CLOEXEC))
		return -1;
	fake_pid = fork();
	if (fake_pid < 0)
		return -1;
	if (!fake_pid) {
		dup2(out[1], 1);
		execlp("python3", "python3", "tests/cloudflare_fake.py", "--token", TOKEN,
		       "--zone", ZONE, "--zone", "example.net", "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	/* Interpreter start-up on a busy machine: up to 20 s for "port N\n". */
	while (!memchr(buf, '\n', len) && len < sizeof(buf) - 1 && poll(&pfd, 1, 20000) == 1) {
		ssize_t n = read(out[0], buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	close(out[0]);
	if (sscanf(buf, "port %d", &fake_port) != 1) {
		fprintf(stderr, "cloudflare_fake.py did not start: '%s'\n", buf);
		return -1;
	}
	snprintf(api, sizeof(api), "http://127.0.0.1:%d/client/v4", fake_port);
	setenv("STUNMESH_CLOUDFLARE_API", api, 1);
	return 0;
}

static int stop_fake(void **state)
{
	(void)state;
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	return 0;
}

/* One blocking request to the fake's control endpoints; the body of the answer goes
 * to out (NUL-terminated). 0 or -1. */
static int control(const char *method, const char *path, const char *body, char *out,
		   size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)fake_port) };
	struct timeval tv = { .tv_sec = 10 };
	char req[1024];
	size_t len = 0;
	char *start;
	int fd, n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	body = body ? body : "";
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
		     "Content-Length: %zu\r\n\r\n%s",
		     method, path, strlen(body), body);
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (len + 1 < size) {
		ssize_t r = read(fd, out + len, size - 1 - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	out[len] = '\0';
	start = strstr(out, "\r\n\r\n");
	if (!start || strncmp(out, "HTTP/1.", 7) || strncmp(out + 9, "200", 3))
		return -1;
	memmove(out, start + 4, strlen(start + 4) + 1);
	return 0;
}

static cJSON *control_json(const char *path)
{
	static char buf[1 << 20];

	assert_int_equal(control("GET", path, NULL, buf, sizeof(buf)), 0);
	return cJSON_Parse(buf);
}

static void fault(const char *json)
{
	char buf[4096];

	assert_int_equal(control("POST", "/_fake/fault", json, buf, sizeof(buf)), 0);
}

/* How many logged API requests have this method (and path containing part). */
static int count_requests(const char *method, const char *part)
{
	cJSON *log = control_json("/_fake/log"), *e;
	int n = 0;

	assert_non_null(log);
	cJSON_ArrayForEach(e, log)
	{
		const char *m = cJSON_GetObjectItem(e, "method")->valuestring;
		const char *p = cJSON_GetObjectItem(e, "path")->valuestring;

		if (!strcmp(m, method) && (!part || strstr(p, part)))
			n++;
	}
	cJSON_Delete(log);
	return n;
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errbuf e;
	char buf[256];

	if (!f || loop_new(&f->loop, &e))
		return -1;
	log_init(&f->log, open_memstream(&f->logbuf, &f->loglen));
	f->log.level = LOG_DEBUG;
	if (control("POST", "/_fake/reset", NULL, buf, sizeof(buf)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	loop_free(f->loop);
	fclose(f->log.out);
	/* Whatever happened, the token never reached the log. */
	if (f->logbuf && strstr(f->logbuf, TOKEN))
		fail_msg("the token is in the log");
	free(f->logbuf);
	free(f);
	return 0;
}

static struct store *new_store_cfg(struct fixture *f, const char *zone, const char *token,
				   const char *subdomain, int ttl, int64_t timeout_ms)
{
	struct store *s = NULL;
	struct errbuf e = { "" };
	char sub[300] = "", ttl_opt[40] = "";

	if (subdomain)
		snprintf(sub, sizeof(sub), ", subdomain: \"%s\"", subdomain);
	if (ttl)
		snprintf(ttl_opt, sizeof(ttl_opt), ", ttl: %d", ttl);
	if (store_test_new(f->loop, &f->log, &s, &e, "cf",
			   "{type: builtin, name: cloudflare, zone: \"%s\", token: \"%s\"%s%s, timeout: %lldms}",
			   zone, token, sub, ttl_opt, (long long)timeout_ms))
		fail_msg("store_new: %s", e.msg);
	return s;
}

static struct store *new_store(struct fixture *f)
{
	return new_store_cfg(f, ZONE, TOKEN, "wg", 0, 5000);
}

/* ---- cases ---- */

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store_cfg(f, ZONE, TOKEN, "wg", 120, 5000);
	static struct outcome o;
	cJSON *recs, *r;

	assert_true(s->dedup); /* TXT records do not expire */
	/* what the engine is told: one TXT string, no push, reads cost API calls */
	assert_int_equal(store_caps(s)->value_max, 255);
	assert_false(store_caps(s)->notifies);
	assert_false(store_caps(s)->cheap_reads);
	assert_int_equal(store_watch(s, KEY_A, NULL, NULL), -EOPNOTSUPP);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_NOT_FOUND);

	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.calls, 1);
	if (o.status != STORE_OK)
		fail_msg("set: %s", o.error);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, VALUE_A);

	assert_true(do_set(f->loop, s, KEY_A, VALUE_B, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, VALUE_B);

	/* Another key is still not found. */
	assert_true(do_get(f->loop, s, KEY_B, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);

	/* The zone id was looked up once; one create, then one update. */
	assert_int_equal(count_requests("GET", NULL), 7);
	assert_int_equal(count_requests("GET", "/dns_records"), 6);
	assert_int_equal(count_requests("POST", NULL), 1);
	assert_int_equal(count_requests("PATCH", NULL), 1);

	/* One record, named and shaped as stunmesh-go makes it. */
	recs = control_json("/_fake/records");
	assert_int_equal(cJSON_GetArraySize(recs), 1);
	r = cJSON_GetArrayItem(recs, 0);
	assert_string_equal(cJSON_GetObjectItem(r, "name")->valuestring, KEY_A ".wg." ZONE);
	assert_string_equal(cJSON_GetObjectItem(r, "type")->valuestring, "TXT");
	assert_string_equal(cJSON_GetObjectItem(r, "content")->valuestring, VALUE_B);
	assert_string_equal(cJSON_GetObjectItem(r, "comment")->valuestring, "Stunmesh");
	assert_int_equal(cJSON_GetObjectItem(r, "ttl")->valueint, 120);
	cJSON_Delete(recs);
	store_free(s);
}

/* The request bodies, byte for byte (stunmesh-go-vectors.txt §5, without a ttl). */
static void test_request_bodies(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;
	cJSON *log, *e;
	int seen = 0;

	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_set(f->loop, s, KEY_A, VALUE_B, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	log = control_json("/_fake/log");
	cJSON_ArrayForEach(e, log)
	{
		const char *m = cJSON_GetObjectItem(e, "method")->valuestring;
		cJSON *body = cJSON_GetObjectItem(e, "body");
		char *text;

		if (!strcmp(m, "GET"))
			continue;
		text = cJSON_PrintUnformatted(body);
		if (!strcmp(m, "POST"))
			assert_string_equal(text, "{\"type\":\"TXT\",\"name\":\"" KEY_A ".wg." ZONE
						  "\",\"content\":\"" VALUE_A
						  "\",\"comment\":\"Stunmesh\"}");
		else
			assert_string_equal(text, "{\"content\":\"" VALUE_B "\"}");
		free(text);
		seen++;
	}
	assert_int_equal(seen, 2);
	cJSON_Delete(log);

	/* The record already holds the value: nothing is written. */
	assert_true(do_set(f->loop, s, KEY_A, VALUE_B, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_int_equal(count_requests("PATCH", NULL) + count_requests("POST", NULL), 2);
	store_free(s);
}

static void test_no_subdomain(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store_cfg(f, "example.net", TOKEN, NULL, 0, 5000);
	static struct outcome o;
	cJSON *recs;

	assert_true(do_set(f->loop, s, KEY_B, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	recs = control_json("/_fake/records");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(recs, 0), "name")->valuestring,
			    KEY_B ".example.net");
	cJSON_Delete(recs);
	assert_true(do_get(f->loop, s, KEY_B, 0, &o, 6000) >= 0);
	assert_string_equal(o.value, VALUE_A);
	store_free(s);
}

/* Longer than one 255-byte character-string: Cloudflare lists it back split. */
static void test_long_value(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;
	char value[601];

	for (size_t i = 0; i < sizeof(value) - 1; i++)
		value[i] = "0123456789abcdef"[(i * 7) % 16];
	value[sizeof(value) - 1] = '\0';
	assert_true(do_set(f->loop, s, KEY_A, value, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, value);
	/* Setting it again compares the joined value: no write. */
	assert_true(do_set(f->loop, s, KEY_A, value, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_int_equal(count_requests("PATCH", NULL), 0);
	store_free(s);
}

static void test_429_retried(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;
	int64_t ms;

	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	fault("{\"status\":429,\"count\":1,\"retry_after\":2}");
	ms = do_get(f->loop, s, KEY_A, 0, &o, 6000);
	assert_int_equal(o.calls, 1);
	if (o.status != STORE_OK)
		fail_msg("get after a 429: %s", o.error);
	assert_string_equal(o.value, VALUE_A);
	/* Retry-After: 2 was honoured (not the 1 s backoff). */
	if (ms < 1900)
		fail_msg("retried after %lld ms", (long long)ms);
	/* A 429 on the write (after the lookup) is retried through the lookup. */
	assert_int_equal(count_requests("PATCH", NULL), 0);
	fault("{\"status\":429,\"count\":1,\"skip\":1,\"retry_after\":1}");
	assert_true(do_set(f->loop, s, KEY_A, VALUE_B, 0, &o, 6000) >= 0);
	if (o.status != STORE_OK)
		fail_msg("set after a 429: %s", o.error);
	assert_int_equal(count_requests("PATCH", NULL), 2);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_string_equal(o.value, VALUE_B);
	store_free(s);
}

/* A create that worked but whose answer was lost (a 502 after the fact) is not
 * repeated as a second record: the retry looks the record up again and finds it. */
static void test_lost_create_answer(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;
	cJSON *recs;

	assert_true(do_get(f->loop, s, KEY_B, 0, &o, 6000) >= 0); /* caches the zone id */
	fault("{\"status\":502,\"count\":1,\"skip\":1,\"commit\":true}");
	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	if (o.status != STORE_OK)
		fail_msg("set after a lost answer: %s", o.error);
	assert_int_equal(count_requests("POST", NULL), 1);
	recs = control_json("/_fake/records");
	assert_int_equal(cJSON_GetArraySize(recs), 1);
	cJSON_Delete(recs);
	store_free(s);
}

static void test_403_reported(void **state)
{
	struct fixture *f = *state;
	const char *wrong = "wrong-token-SHOULD-NOT-APPEAR-42";
	struct store *s = new_store_cfg(f, ZONE, wrong, "wg", 0, 5000);
	static struct outcome o;

	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_ERROR);
	print_message("error: %s\n", o.error);
	if (!strstr(o.error, "Authentication error") || !strstr(o.error, "403"))
		fail_msg("error does not quote Cloudflare: %s", o.error);
	assert_null(strstr(o.error, wrong));
	assert_null(strstr(f->logbuf ? f->logbuf : "", wrong));
	/* Not retried: one request. */
	assert_int_equal(count_requests("GET", NULL), 1);
	store_free(s);
	fflush(f->log.out);
	assert_null(strstr(f->logbuf, wrong));
}

static void test_500_until_timeout(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store_cfg(f, ZONE, TOKEN, "wg", 0, 2500);
	static struct outcome o;
	int64_t ms;

	fault("{\"status\":500,\"count\":100}");
	ms = do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_ERROR);
	print_message("error: %s\n", o.error);
	if (!strstr(o.error, "HTTP 500"))
		fail_msg("error: %s", o.error);
	if (ms > 2500 + 300)
		fail_msg("took %lld ms with a 2500 ms timeout", (long long)ms);
	/* Retried (1 s backoff): more than one try. */
	assert_true(count_requests("GET", NULL) >= 2);
	store_free(s);
}

static void test_hang_until_timeout(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store_cfg(f, ZONE, TOKEN, "wg", 0, 800);
	static struct outcome o;
	int64_t ms;

	fault("{\"hang\":3,\"count\":1}");
	ms = do_get(f->loop, s, KEY_A, 0, &o, 5000);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_ERROR);
	print_message("error: %s\n", o.error);
	if (!strstr(o.error, "800 ms"))
		fail_msg("error: %s", o.error);
	if (ms < 700 || ms > 800 + 300)
		fail_msg("took %lld ms with an 800 ms timeout", (long long)ms);
	store_free(s);
}

static void test_zone_not_found(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store_cfg(f, "not-here.example.org", TOKEN, "wg", 0, 5000);
	static struct outcome o;

	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_ERROR);
	print_message("error: %s\n", o.error);
	if (!strstr(o.error, "zone not-here.example.org not found"))
		fail_msg("error: %s", o.error);
	store_free(s);
}

/* A zone deleted and added again has a new id: one operation fails with Cloudflare's
 * routing error, the next looks the zone up again. */
static void test_zone_recreated(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;
	char buf[256];

	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_int_equal(control("POST", "/_fake/rezone", NULL, buf, sizeof(buf)), 0);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_int_equal(o.status, STORE_ERROR);
	print_message("error: %s\n", o.error);
	assert_non_null(strstr(o.error, "Could not route"));
	assert_true(do_set(f->loop, s, KEY_A, VALUE_B, 0, &o, 6000) >= 0);
	if (o.status != STORE_OK)
		fail_msg("set after the zone came back: %s", o.error);
	assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
	assert_string_equal(o.value, VALUE_B);
	assert_int_equal(count_requests("GET", NULL) - count_requests("GET", "/dns_records"), 2);
	store_free(s);
}

/* Several operations at once share the loop; all finish. */
static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o[4];
	static const char *keys[4] = { KEY_A, KEY_B, "00000000000000000000000000000000000000aa",
					"00000000000000000000000000000000000000bb" };
	int64_t end;
	int done;

	for (int i = 0; i < 4; i++) {
		memset(&o[i], 0, sizeof(o[i]));
		assert_int_equal(store_set(s, keys[i], VALUE_A, 0, outcome_cb, &o[i]), 0);
	}
	loop_update_now(f->loop);
	end = loop_now(f->loop) + 8000;
	do {
		loop_run_once(f->loop, 100);
		done = 0;
		for (int i = 0; i < 4; i++)
			done += o[i].calls;
	} while (done < 4 && loop_now(f->loop) < end);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(o[i].calls, 1);
		if (o[i].status != STORE_OK)
			fail_msg("set %d: %s", i, o[i].error);
	}
	for (int i = 0; i < 4; i++) {
		assert_true(do_get(f->loop, s, keys[i], 0, &o[0], 6000) >= 0);
		assert_string_equal(o[0].value, VALUE_A);
	}
	store_free(s);
}

/* store_free with requests in flight: no callback, nothing left on the loop (ASan
 * checks the rest). */
static void test_free_in_flight(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;

	fault("{\"hang\":2,\"count\":1}");
	memset(&o, 0, sizeof(o));
	assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &o), 0);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->loop, 50);
	store_free(s);
	for (int i = 0; i < 5; i++)
		loop_run_once(f->loop, 20);
	assert_int_equal(o.calls, 0);
}

/* With a fwmark the sockets are marked: that needs CAP_NET_ADMIN, which the tests
 * have as root; without it the failure is reported, not hidden. */
static void test_fwmark(void **state)
{
	struct fixture *f = *state;
	struct store *s = new_store(f);
	static struct outcome o;

	assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0x5a5a, &o, 6000) >= 0);
	assert_int_equal(o.calls, 1);
	if (geteuid() == 0) {
		if (o.status != STORE_OK)
			fail_msg("set with a fwmark: %s", o.error);
		/* Another mark, then none: fresh connections, still working. */
		assert_true(do_get(f->loop, s, KEY_A, 0x77, &o, 6000) >= 0);
		assert_int_equal(o.status, STORE_OK);
		assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
		assert_int_equal(o.status, STORE_OK);
		assert_string_equal(o.value, VALUE_A);
	} else {
		assert_int_equal(o.status, STORE_ERROR);
		assert_non_null(strstr(o.error, "SO_MARK"));
	}
	store_free(s);
}

#define A50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LONG_ZONE A50 "." A50 "." A50 "." A50 ".example.com" /* 216 characters */

static void test_bad_config(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *entry, *want;
	} bad[] = {
		{ "zone: \"exa mple.com\", token: " TOKEN, "not a DNS name" },
		{ "zone: " ZONE ", token: " TOKEN ", subdomain: a/b", "not DNS labels" },
		{ "zone: " ZONE ", token: \"two\\r\\nlines\"", "blank or control character" },
		{ "zone: " ZONE ", token: \"\"", "option 'token' is required" },
		{ "zone: " ZONE ", token: " TOKEN ", ttl: 5", "1 (automatic) or 30-86400" },
		{ "zone: " ZONE ", token: " TOKEN ", ttl: soon", "not a number" },
		{ "zone: " ZONE ", zone_name: " ZONE ", token: " TOKEN, "the same option" },
		{ "zone: " LONG_ZONE ", subdomain: wg, token: " TOKEN, "more than the 253 of a DNS name" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store *s = NULL;
		struct errbuf e = { "" };

		assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "cf",
						"{type: builtin, name: cloudflare, %s}", bad[i].entry),
				 -EINVAL);
		if (!strstr(e.msg, bad[i].want))
			fail_msg("%zu: '%s' does not say '%s'", i, e.msg, bad[i].want);
		assert_null(strstr(e.msg, "two"));
		assert_null(s);
	}
}

/* Both spellings the config parser accepts reach the same store. */
static void test_config_spellings(void **state)
{
	struct fixture *f = *state;
	static const char *yaml[] = {
		"plugins:\n  cf:\n    type: builtin\n    name: cloudflare\n    zone: example.com\n"
		"    token: " TOKEN "\n    subdomain: wg\n    ttl: 300\n",
		"plugins:\n  cf:\n    type: cloudflare\n    zone_name: example.com\n"
		"    api_token: " TOKEN "\n    subdomain: wg\n    ttl: 300\n",
	};
	static struct outcome o;

	for (size_t i = 0; i < 2; i++) {
		struct config_diags d = { 0 };
		struct config *cfg = NULL;
		struct store_env env = { f->loop, &f->log };
		struct store *s = NULL;
		struct errbuf e = { "" };
		char buf[256];

		assert_int_equal(control("POST", "/_fake/reset", NULL, buf, sizeof(buf)), 0);
		if (store_config_parse("test", yaml[i], strlen(yaml[i]), &cfg, &d)) {
			config_diags_print(&d, stderr);
			fail_msg("config %zu rejected", i);
		}
		assert_int_equal(cfg->n_plugins, 1);
		assert_int_equal(store_new(&cfg->plugins[0], &env, &s, &e), 0);
		assert_true(do_set(f->loop, s, KEY_A, VALUE_A, 0, &o, 6000) >= 0);
		if (o.status != STORE_OK)
			fail_msg("config %zu: %s", i, o.error);
		assert_true(do_get(f->loop, s, KEY_A, 0, &o, 6000) >= 0);
		assert_string_equal(o.value, VALUE_A);
		store_free(s);
		config_free(cfg);
		config_diags_free(&d);
	}
}

/* ---- the parser ---- */

static int parse(const char *s, struct cf_reply *r)
{
	struct errbuf e;

	return cf_reply_parse((const uint8_t *)s, strlen(s), r, &e);
}

static void test_reply_parse(void **state)
{
	struct cf_reply r;
	static const char *bad[] = {
		"",
		"   ",
		"<html><body>502 Bad Gateway</body></html>",
		"[]",
		"{}",
		"{\"success\":\"true\"}",
		"{\"success\":1}",
		"{\"success\":true,\"result\":5}",
		"{\"success\":true,\"result\":[5]}",
		"{\"success\":true,\"result\":{\"id\":7}}",
		"{\"success\":true,\"result\":{\"id\":\"\"}}",
		"{\"success\":true,\"result\":{\"id\":\"../../zones\"}}",
		"{\"success\":true,\"result\":{\"id\":\"a\\r\\nX-Evil: 1\"}}",
		("{\"success\":true,\"result\":{\"id\":"
		 "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}"),
		"{\"success\":true,\"result\":[{\"id\":\"ab\",\"content\":[]}]}",
		"{\"success\":true,\"result\":[{\"id\":\"ab\",\"content\":\"x\"}",
		"{\"success\":tru",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!parse(bad[i], &r))
			fail_msg("accepted: %s", bad[i]);

	assert_int_equal(parse("{\"success\":true,\"errors\":[],\"messages\":[],\"result\":"
			       "[{\"id\":\"023e105f4ecef8ad9ca31a8372d0c353\",\"name\":\"x\","
			       "\"content\":\"abc\"},{\"id\":\"zz\"}],\"result_info\":{\"page\":1}}",
			       &r),
			 0);
	assert_true(r.success);
	assert_int_equal(r.n_results, 2);
	assert_string_equal(r.id, "023e105f4ecef8ad9ca31a8372d0c353");
	assert_string_equal(r.content, "abc");
	assert_int_equal(r.err_code, 0);
	cf_reply_free(&r);

	assert_int_equal(parse("{\"success\":true,\"result\":[]}", &r), 0);
	assert_int_equal(r.n_results, 0);
	assert_null(r.content);
	cf_reply_free(&r);

	assert_int_equal(parse("{\"result\":{\"id\":\"k_-9\"},\"success\":true} trailing", &r), 0);
	assert_int_equal(r.n_results, 1);
	assert_string_equal(r.id, "k_-9");
	cf_reply_free(&r);

	/* An error: the first message, control characters defused. */
	assert_int_equal(parse("{\"success\":false,\"errors\":[{\"code\":10000,\"message\":"
			       "\"Authentication\\nerror\"},{\"code\":1,\"message\":\"b\"}],"
			       "\"messages\":[],\"result\":null}",
			       &r),
			 0);
	assert_false(r.success);
	assert_int_equal(r.err_code, 10000);
	assert_string_equal(r.err_msg, "Authentication?error");
	assert_int_equal(r.n_results, 0);
	cf_reply_free(&r);

	/* Odd but harmless error shapes give no message rather than a failure. */
	assert_int_equal(parse("{\"success\":false,\"errors\":[\"x\"]}", &r), 0);
	assert_string_equal(r.err_msg, "");
	cf_reply_free(&r);
	assert_int_equal(parse("{\"success\":false,\"errors\":{\"code\":1}}", &r), 0);
	assert_string_equal(r.err_msg, "");
	cf_reply_free(&r);
}

static void unquote_is(const char *in, const char *want)
{
	char *out = NULL;

	assert_int_equal(cf_txt_unquote(in, strlen(in), &out), 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_txt_unquote(void **state)
{
	(void)state;
	unquote_is("abc", "abc");
	unquote_is("", "");
	unquote_is("\"abc\"", "abc");
	unquote_is("\"ab\" \"cd\"", "abcd");
	unquote_is("  \"ab\"\t\"cd\"  ", "abcd");
	unquote_is("\"a\\\"b\" \"\\\\\"", "a\"b\\");
	unquote_is("\"\\065\\066\"", "AB");
	/* Not quoted strings: verbatim. */
	unquote_is("\"ab", "\"ab");
	unquote_is("\"ab\"cd", "\"ab\"cd");
	unquote_is("\"ab\"\"cd\"", "\"ab\"\"cd\"");
	unquote_is("\"a\\06\"", "\"a\\06\"");
	unquote_is("\"a\\000\"", "\"a\\000\"");
	unquote_is("\"a\\999\"", "\"a\\999\"");
	unquote_is("\"a\\", "\"a\\");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_request_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_subdomain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_create_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_403_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_500_until_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hang_until_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fwmark, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_spellings, setup, teardown),
		cmocka_unit_test(test_reply_parse),
		cmocka_unit_test(test_txt_unquote),
	};

	/* tests/integration/store_cloudflare_fwmark.sh runs test_fwmark alone. */
	if (getenv("CF_TEST_FILTER"))
		cmocka_set_test_filter(getenv("CF_TEST_FILTER"));
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, start_fake, stop_fake);
}
