/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file store: round trip, not found vs error, atomic replacement, what it refuses,
 * and the generic store behaviour (async callbacks, dedup, freeing with work pending). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "proto/record.h"
#include "store_test.h"
#include "store/dirwatch.h"

extern char **environ;

struct fixture {
	struct loop *loop;
	struct logger log;
	char *dir;
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct errbuf e;

	if (!f || loop_new(&f->loop, &e) || !(f->dir = make_tmpdir()))
		return -1;
	log_init(&f->log, NULL);
	/* The store creates its directory. */
	if (store_test_new(f->loop, &f->log, &f->store, &e, "files",
			   "{type: builtin, name: file, dir: '%s/records'}", f->dir)) {
		fprintf(stderr, "store_new: %s\n", e.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_free(f->store);
	loop_free(f->loop);
	remove_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void read_file(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	char path[700], buf[400];

	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, STORE_NOT_FOUND);

	assert_true(do_set(f->loop, f->store, KEY_A, VALUE_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, VALUE_A);
	/* The layout other tools see: <dir>/<key>.txt holding the value and a newline. */
	snprintf(path, sizeof(path), "%s/records/%s.txt", f->dir, KEY_A);
	read_file(path, buf, sizeof(buf));
	assert_string_equal(buf, VALUE_A "\n");
	/* Overwrite. */
	assert_true(do_set(f->loop, f->store, KEY_A, "abcdef", 0, &o, 1000) >= 0);
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_string_equal(o.value, "abcdef");
	/* Other keys are untouched. */
	assert_true(do_get(f->loop, f->store, KEY_B, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
}

static void test_no_temp_files_left(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	char path[700];
	struct dirent *de;
	struct stat st;
	int n = 0;
	DIR *d;

	for (int i = 0; i < 5; i++)
		assert_true(do_set(f->loop, f->store, KEY_B, VALUE_A, 0, &o, 1000) >= 0);
	snprintf(path, sizeof(path), "%s/records", f->dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	/* Readable by others sharing the folder. */
	snprintf(path, sizeof(path), "%s/records/%s.txt", f->dir, KEY_B);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_bad_contents(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	char path[700];

	snprintf(path, sizeof(path), "%s/records/%s.txt", f->dir, KEY_A);
	/* Hand-written with whitespace around: trimmed. */
	write_file(path, "  ABCdef01 \r\n");
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_string_equal(o.value, "ABCdef01");
	/* Not hex: an error that names the file, not "not found". */
	write_file(path, "{\"ipv4\":\"203.0.113.7:1\"}\n");
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_ERROR);
	assert_non_null(strstr(o.error, "hex"));
	assert_non_null(strstr(o.error, KEY_A));
	/* Empty: nothing stored. */
	write_file(path, "\n");
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	/* Unreadable (a directory in its place): an error. */
	unlink(path);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_ERROR);
	assert_true(do_set(f->loop, f->store, KEY_A, "aa", 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_ERROR);
	rmdir(path);
}

static void test_refused_input(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;

	/* Keys become file names: only lowercase hex, so no path can be smuggled in. */
	assert_int_equal(store_get(f->store, "../../etc/passwd", 0, outcome_cb, &o), -EINVAL);
	assert_int_equal(store_get(f->store, "", 0, outcome_cb, &o), -EINVAL);
	assert_int_equal(store_get(f->store, "ABCDEF", 0, outcome_cb, &o), -EINVAL);
	assert_int_equal(store_set(f->store, KEY_A, "", 0, outcome_cb, &o), -EINVAL);
	assert_int_equal(store_set(f->store, KEY_A, "aa\nSTUNMESH_KEY=x", 0, outcome_cb, &o),
			 -EINVAL);
	assert_int_equal(o.calls, 0);
}

static void test_config_errors(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct errbuf e = { "" };
	char path[700];

	/* store_new checks the entry itself: one that skipped the config check fails */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "bad", "{type: builtin, name: file}"),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "option 'dir' is required"));
	assert_non_null(strstr(e.msg, "bad"));
	snprintf(path, sizeof(path), "%s/plainfile", f->dir);
	write_file(path, "x");
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "bad",
					"{type: file, dir: '%s'}", path),
			 -ENOTDIR);
	assert_non_null(strstr(e.msg, "is not a directory"));
	/* an option of the wrong shape */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "bad", "{type: file, dir: [a, b]}"),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "plugins.bad.dir: expected a value, found a list"));
#if WITH_CLOUDFLARE
	/* another kind's required option: a cloudflare entry without a zone */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "bad",
					"{type: builtin, name: cloudflare, token: t}"),
			 -EINVAL);
	assert_non_null(strstr(e.msg, "zone"));
#else
	/* a kind this build leaves out */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "cf",
					"{type: builtin, name: cloudflare, token: t}"),
			 -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "plugins.cf: the cloudflare store is not built into"));
#endif
	/* a kind that is not built in */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "dht",
					"{type: builtin, name: opendht}"),
			 -EOPNOTSUPP);
	assert_non_null(strstr(e.msg, "not built into this stunmesh"));
	assert_null(s);
}

static void test_dedup(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct errbuf e;
	const char *c1 = "{\"ipv4\":\"203.0.113.7:51820\"}";

	/* On by default for files, which never expire. */
	assert_true(f->store->dedup);
	assert_false(store_dedup_unchanged(f->store, KEY_A, c1));
	assert_int_equal(store_dedup_remember(f->store, KEY_A, c1), 0);
	assert_true(store_dedup_unchanged(f->store, KEY_A, c1));
	assert_false(store_dedup_unchanged(f->store, KEY_B, c1));
	assert_false(store_dedup_unchanged(f->store, KEY_A, "{\"ipv4\":\"203.0.113.7:1\"}"));
	assert_int_equal(store_dedup_remember(f->store, KEY_A, "x"), 0);
	assert_true(store_dedup_unchanged(f->store, KEY_A, "x"));
	store_dedup_forget(f->store, KEY_A);
	assert_false(store_dedup_unchanged(f->store, KEY_A, "x"));
	/* Switched off in the config: never "unchanged". */
	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "nodedup",
					"{type: file, dir: '%s', dedup: false}", f->dir),
			 0);
	assert_false(s->dedup);
	assert_int_equal(store_dedup_remember(s, KEY_A, c1), 0);
	assert_false(store_dedup_unchanged(s, KEY_A, c1));
	store_free(s);
}

static void test_free_with_pending(void **state)
{
	struct fixture *f = *state;
	struct store *s = NULL;
	struct errbuf e;
	static struct outcome o;

	assert_int_equal(store_test_new(f->loop, &f->log, &s, &e, "short",
					"{type: file, dir: '%s'}", f->dir),
			 0);
	memset(&o, 0, sizeof(o));
	assert_int_equal(store_get(s, KEY_A, 0, outcome_cb, &o), 0);
	assert_int_equal(store_set(s, KEY_A, "aa", 0, outcome_cb, &o), 0);
	store_free(s);
	loop_run_once(f->loop, 20);
	assert_int_equal(o.calls, 0);
}

/* The whole path one publish and one fetch take, with the vector keys: the device
 * seals for the peer and writes its key; the peer reads that key and opens. */
static void test_record_through_store(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	uint8_t dev_priv[32], dev_pub[32], peer_priv[32], peer_pub[32];
	char wkey[RECORD_KEY_HEX_LEN + 1], rkey[RECORD_KEY_HEX_LEN + 1], *hex = NULL;
	struct record rec, got;
	union sm_addr ep;
	struct errbuf e;

	assert_true(sodium_init() >= 0);
	memset(dev_priv, 1, 32);
	memset(peer_priv, 2, 32);
	crypto_scalarmult_base(dev_pub, dev_priv);
	crypto_scalarmult_base(peer_pub, peer_priv);
	memset(&rec, 0, sizeof(rec));
	rec.ipv4.in.sin_family = AF_INET;
	rec.ipv4.in.sin_port = htons(51820);
	inet_pton(AF_INET, "203.0.113.7", &rec.ipv4.in.sin_addr);
	rec.has_ts = true;
	rec.ts = 1764130000;
	assert_int_equal(record_seal(&rec, peer_pub, dev_priv, &hex, &e), 0);
	record_write_key(dev_pub, peer_pub, wkey);
	assert_string_equal(wkey, KEY_A);
	assert_true(do_set(f->loop, f->store, wkey, hex, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	free(hex);

	record_read_key(peer_pub, dev_pub, rkey);
	assert_string_equal(rkey, wkey);
	assert_true(do_get(f->loop, f->store, rkey, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	assert_int_equal(record_open(o.value, strlen(o.value), dev_pub, peer_priv, &got, &e), 0);
	assert_int_equal(record_select(&got, PEER_PREFER_IPV6, &ep, &e), 0);
	assert_int_equal(ep.sa.sa_family, AF_INET);
	assert_int_equal(ntohs(ep.in.sin_port), 51820);
	assert_int_equal(got.ts, 1764130000);
}


/* Each hostile-file test is bounded: an open() that blocks (a FIFO without a writer)
 * is interrupted by SIGALRM after 3 s and the test fails on its message instead of
 * hanging the suite. */
static void on_alarm(int sig)
{
	(void)sig;
}

static void arm_alarm(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked open returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(3);
}

static void get_refused(struct fixture *f, const char *want)
{
	static struct outcome o;
	int64_t ms;

	arm_alarm();
	ms = do_get(f->loop, f->store, KEY_A, 0, &o, 2000);
	alarm(0);
	assert_true(ms >= 0);
	assert_int_equal(o.calls, 1);
	if (o.status != STORE_ERROR || !strstr(o.error, want))
		fail_msg("status %d, error '%s', want an error with '%s'", o.status, o.error, want);
	assert_non_null(strstr(o.error, KEY_A));
}

static void record_path(struct fixture *f, char *path, size_t len)
{
	snprintf(path, len, "%s/records/%s.txt", f->dir, KEY_A);
}

static void test_fifo_refused(void **state)
{
	struct fixture *f = *state;
	char path[700];

	record_path(f, path, sizeof(path));
	assert_int_equal(mkfifo(path, 0644), 0);
	get_refused(f, "not a regular file");
}

static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char path[700], target[700], fifo[700];

	/* to a valid record elsewhere: still refused (the folder is shared; a link can
	 * point anywhere on this machine) */
	snprintf(target, sizeof(target), "%s/elsewhere.txt", f->dir);
	write_file(target, VALUE_A "\n");
	record_path(f, path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
	get_refused(f, "symbolic link");
	/* to a FIFO */
	unlink(path);
	snprintf(fifo, sizeof(fifo), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(symlink(fifo, path), 0);
	get_refused(f, "symbolic link");
}

static void test_directory_refused(void **state)
{
	struct fixture *f = *state;
	char path[700];

	record_path(f, path, sizeof(path));
	assert_int_equal(mkdir(path, 0755), 0);
	get_refused(f, "not a regular file");
}

static void test_huge_file_refused(void **state)
{
	struct fixture *f = *state;
	char path[700];
	int fd;

	/* 1 GiB, sparse: refused by its size, before anything is read */
	record_path(f, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1L << 30), 0);
	close(fd);
	get_refused(f, "larger than");
}

/* A write replaces whatever is at the record's name, a link included, and never
 * writes through it. */
static void test_set_replaces_link(void **state)
{
	struct fixture *f = *state;
	static struct outcome o;
	char path[700], target[700], buf[200];
	struct stat st;

	snprintf(target, sizeof(target), "%s/victim", f->dir);
	write_file(target, "precious\n");
	record_path(f, path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
	assert_true(do_set(f->loop, f->store, KEY_A, VALUE_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_OK);
	read_file(target, buf, sizeof(buf));
	assert_string_equal(buf, "precious\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_string_equal(o.value, VALUE_A);
	/* a FIFO in its place: replaced as well, nothing blocks */
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	arm_alarm();
	assert_true(do_set(f->loop, f->store, KEY_A, VALUE_A, 0, &o, 1000) >= 0);
	alarm(0);
	assert_int_equal(o.status, STORE_OK);
}

/* ---- change notification ---- */

struct watcher {
	int calls;
	char last_key[STORE_KEY_MAX + 1];
	struct fixture *f;
	bool free_store; /* free the store from the callback */
};

static void watch_cb(void *arg, const char *key)
{
	struct watcher *w = arg;

	w->calls++;
	snprintf(w->last_key, sizeof(w->last_key), "%s", key);
	if (w->free_store) {
		store_free(w->f->store);
		w->f->store = NULL;
	}
}

/* Runs the loop until w has been called `calls` times or ms pass; the elapsed time. */
static int64_t wait_watch(struct fixture *f, struct watcher *w, int calls, int64_t ms)
{
	int64_t start, end;

	loop_update_now(f->loop);
	start = loop_now(f->loop);
	end = start + ms;
	while (w->calls < calls && loop_now(f->loop) < end)
		loop_run_once(f->loop, (int)(end - loop_now(f->loop)));
	return loop_now(f->loop) - start;
}

/* sh -c script, run to its end: another process writing into the folder. */
static void run_sh(const char *script)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	pid_t pid;
	int st;

	assert_int_equal(posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_caps(void **state)
{
	struct fixture *f = *state;
	const struct store_caps *c = store_caps(f->store);

	assert_true(c->cheap_reads);
	assert_true(c->notifies);
	assert_true(c->dedup_default);
	assert_int_equal(c->value_max, 0);
	assert_int_equal(c->value_ttl_ms, 0);
}

/* Another process writes a record in place (IN_CLOSE_WRITE) and another renames one
 * into place (IN_MOVED_TO): each wakes the watcher of that key, and only that one. */
static void test_watch_other_process(void **state)
{
	struct fixture *f = *state;
	static struct watcher wa, wb;
	char script[1600];

	memset(&wa, 0, sizeof(wa));
	memset(&wb, 0, sizeof(wb));
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &wa), 0);
	assert_int_equal(store_watch(f->store, KEY_B, watch_cb, &wb), 0);
	/* nothing happened yet: no callback, not from inside store_watch either */
	loop_run_once(f->loop, 50);
	assert_int_equal(wa.calls + wb.calls, 0);

	snprintf(script, sizeof(script), "printf '%%s\\n' %s >%s/records/%s.txt", VALUE_A, f->dir,
		 KEY_A);
	run_sh(script);
	assert_true(wait_watch(f, &wa, 1, 3000) < 3000);
	assert_int_equal(wa.calls, 1);
	assert_string_equal(wa.last_key, KEY_A);
	assert_int_equal(wb.calls, 0);

	snprintf(script, sizeof(script), "printf aa >%s/records/.x && mv %s/records/.x %s/records/%s.txt",
		 f->dir, f->dir, f->dir, KEY_B);
	run_sh(script);
	assert_true(wait_watch(f, &wb, 1, 3000) < 3000);
	assert_string_equal(wb.last_key, KEY_B);
	assert_int_equal(wa.calls, 1);
	/* removed: also a change (the record went away) */
	snprintf(script, sizeof(script), "rm %s/records/%s.txt", f->dir, KEY_A);
	run_sh(script);
	assert_true(wait_watch(f, &wa, 2, 3000) < 3000);
}

/* A burst of writes is one callback; a later write is another. */
static void test_watch_coalesces(void **state)
{
	struct fixture *f = *state;
	static struct watcher w;
	char path[700];

	memset(&w, 0, sizeof(w));
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w), 0);
	snprintf(path, sizeof(path), "%s/records/%s.txt", f->dir, KEY_A);
	for (int i = 0; i < 20; i++)
		write_file(path, VALUE_A "\n");
	assert_true(wait_watch(f, &w, 1, 3000) < 3000);
	/* the rest of the burst, if it were delivered separately, would come now */
	wait_watch(f, &w, 2, 3 * STORE_NOTIFY_MS + 50);
	assert_int_equal(w.calls, 1);
	write_file(path, "abcd\n");
	assert_true(wait_watch(f, &w, 2, 3000) < 3000);
	assert_int_equal(w.calls, 2);
}

/* unwatch and cancel end the callbacks; the store may be freed from one. */
static void test_watch_lifetimes(void **state)
{
	struct fixture *f = *state;
	static struct watcher w1, w2;
	char path[700];

	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	snprintf(path, sizeof(path), "%s/records/%s.txt", f->dir, KEY_A);
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w1), 0);
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w1), 0); /* one watch */
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w2), 0);
	assert_int_equal(store_watch(f->store, "not a key", watch_cb, &w2), -EINVAL);
	write_file(path, "aa\n");
	assert_true(wait_watch(f, &w2, 1, 3000) < 3000);
	assert_int_equal(w1.calls, 1);
	store_unwatch(f->store, KEY_A, &w1);
	write_file(path, "bb\n");
	assert_true(wait_watch(f, &w2, 2, 3000) < 3000);
	assert_int_equal(w1.calls, 1);
	/* store_cancel drops the watches with that argument */
	store_cancel(f->store, &w2);
	write_file(path, "cc\n");
	wait_watch(f, &w2, 3, 200);
	assert_int_equal(w2.calls, 2);
	/* freed from inside its own callback (ASan: no use after free) */
	w1.f = f;
	w1.free_store = true;
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w1), 0);
	assert_int_equal(store_watch(f->store, KEY_B, watch_cb, &w1), 0);
	store_notify(f->store, NULL);
	assert_true(wait_watch(f, &w1, 2, 1000) < 1000);
	assert_null(f->store);
	loop_run_once(f->loop, 50);
	assert_int_equal(w1.calls, 2);
}

/* The directory removed and made again: the watchers hear "anything may have
 * changed", and after the next read (the timer fallback) a write in the new directory
 * wakes them again. */
static void test_watch_directory_recreated(void **state)
{
	struct fixture *f = *state;
	static struct watcher w;
	static struct outcome o;
	char dir[700], path[800];

	memset(&w, 0, sizeof(w));
	snprintf(dir, sizeof(dir), "%s/records", f->dir);
	snprintf(path, sizeof(path), "%s/%s.txt", dir, KEY_A);
	assert_int_equal(store_watch(f->store, KEY_A, watch_cb, &w), 0);
	remove_tree(dir);
	assert_true(wait_watch(f, &w, 1, 3000) < 3000);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_true(do_get(f->loop, f->store, KEY_A, 0, &o, 1000) >= 0);
	assert_int_equal(o.status, STORE_NOT_FOUND);
	w.calls = 0;
	write_file(path, "abcd\n");
	assert_true(wait_watch(f, &w, 1, 3000) < 3000);
	assert_string_equal(w.last_key, KEY_A);
}

static void count_event(void *arg, const char *name)
{
	int *n = arg;

	(void)name;
	(*n)++;
}

/* The event walk stops at a truncated event and at a name without its NUL. */
static void test_dirwatch_parse(void **state)
{
	struct {
		struct inotify_event ev;
		char name[16];
	} __attribute__((packed)) one = { { 1, IN_CLOSE_WRITE, 0, 16 }, "x.txt" };
	uint8_t buf[2 * sizeof(one)];
	bool gone = false;
	int n = 0;

	(void)state;
	memcpy(buf, &one, sizeof(one));
	memcpy(buf + sizeof(one), &one, sizeof(one));
	assert_int_equal(dirwatch_parse(buf, sizeof(buf), count_event, &n, &gone), 2);
	assert_int_equal(dirwatch_parse(buf, sizeof(buf) - 1, count_event, &n, &gone), 1);
	assert_int_equal(dirwatch_parse(buf, sizeof(struct inotify_event) - 1, count_event, &n, &gone), 0);
	memset(one.name, 'a', sizeof(one.name)); /* no NUL */
	memcpy(buf, &one, sizeof(one));
	assert_int_equal(dirwatch_parse(buf, sizeof(one), count_event, &n, &gone), 0);
	assert_false(gone);
	one.ev.mask = IN_IGNORED;
	one.ev.len = 0;
	memcpy(buf, &one, sizeof(one.ev));
	assert_int_equal(dirwatch_parse(buf, sizeof(one.ev), count_event, &n, &gone), 1);
	assert_true(gone);
	assert_int_equal(n, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_temp_files_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_contents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dedup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_free_with_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_through_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_replaces_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_other_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_coalesces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_lifetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_directory_recreated, setup, teardown),
		cmocka_unit_test(test_dirwatch_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
