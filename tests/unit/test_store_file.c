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
#include <sys/stat.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "proto/record.h"
#include "store_test.h"

struct fixture {
	struct loop *loop;
	struct logger log;
	char *dir;
	struct store *store;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct config_plugin cfg = { .name = "files", .type = PLUGIN_FILE };
	struct store_env env;
	struct errbuf e;
	char sub[600];

	if (!f || loop_new(&f->loop, &e) || !(f->dir = make_tmpdir()))
		return -1;
	log_init(&f->log, NULL);
	/* The store creates its directory. */
	snprintf(sub, sizeof(sub), "%s/records", f->dir);
	cfg.dir = sub;
	env.loop = f->loop;
	env.log = &f->log;
	if (store_new(&cfg, &env, &f->store, &e)) {
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
	struct config_plugin cfg = { .name = "bad", .type = PLUGIN_FILE };
	struct store_env env = { f->loop, &f->log };
	struct store *s = NULL;
	struct errbuf e = { "" };
	char path[700];

	assert_int_equal(store_new(&cfg, &env, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "dir"));
	assert_non_null(strstr(e.msg, "bad"));
	snprintf(path, sizeof(path), "%s/plainfile", f->dir);
	write_file(path, "x");
	cfg.dir = path;
	assert_int_equal(store_new(&cfg, &env, &s, &e), -ENOTDIR);
	/* Built in now: a cloudflare entry without a zone is a bad option. */
	cfg.type = PLUGIN_CLOUDFLARE;
	assert_int_equal(store_new(&cfg, &env, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "zone"));
	assert_null(s);
}

static void test_dedup(void **state)
{
	struct fixture *f = *state;
	struct config_plugin cfg = { .name = "nodedup", .type = PLUGIN_FILE, .dir = f->dir,
				     .dedup = false, .dedup_set = true };
	struct store_env env = { f->loop, &f->log };
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
	assert_int_equal(store_new(&cfg, &env, &s, &e), 0);
	assert_false(s->dedup);
	assert_int_equal(store_dedup_remember(s, KEY_A, c1), 0);
	assert_false(store_dedup_unchanged(s, KEY_A, c1));
	store_free(s);
}

static void test_free_with_pending(void **state)
{
	struct fixture *f = *state;
	struct config_plugin cfg = { .name = "short", .type = PLUGIN_FILE, .dir = f->dir };
	struct store_env env = { f->loop, &f->log };
	struct store *s = NULL;
	struct errbuf e;
	static struct outcome o;

	assert_int_equal(store_new(&cfg, &env, &s, &e), 0);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
