/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/util.h"
#include "store/store.h"

#define KEY_A "pOCSkrZRwni5dyxWn1+puxPZBrRqtoyd+dwrRAn4ogk="
#define KEY_B "zo060cy2M+x7cMF4FKXHbs0CloUFDTRHRboFhw5YfVk="

/* The builtin kinds of this build, as diagnostics list them: the Cloudflare store is
 * optional (make WITH_CLOUDFLARE=0); exec, shell and file are always built. */
#if WITH_CLOUDFLARE
#define BUILTINS "cloudflare or file"
#else
#define BUILTINS "file"
#endif

/* As the daemon and check-config read a file: with the store layer's checks. */
static int parse(const char *text, struct config **cfg, struct config_diags *d)
{
	memset(d, 0, sizeof(*d));
	*cfg = NULL;
	return store_config_parse("t.yaml", text, strlen(text), cfg, d);
}

static const char *opt(const struct config_plugin *pl, const char *key)
{
	const struct config_option *o = config_plugin_option(pl, key);

	return o ? o->value : NULL;
}

/* Finds a diagnostic containing `needle` and checks its line (0 = any). */
static void expect_diag(const struct config_diags *d, enum diag_severity sev, unsigned line,
			const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->items[i].severity == sev && strstr(d->items[i].msg, needle) &&
		    (!line || d->items[i].pos.line == line))
			return;
	for (size_t i = 0; i < d->n; i++)
		fprintf(stderr, "  have: %u:%u %s\n", d->items[i].pos.line, d->items[i].pos.column,
			d->items[i].msg);
	fail_msg("no %s at line %u containing '%s'", sev == DIAG_ERROR ? "error" : "warning", line,
		 needle);
}

static void test_defaults(void **state)
{
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse("", &cfg, &d), 0);
	assert_int_equal(cfg->refresh_interval_ms, 600000);
	assert_int_equal(cfg->log_level, LOG_INFO);
	assert_int_equal(cfg->log_format, LOG_CONSOLE);
	assert_int_equal(cfg->n_stun_servers, 1);
	assert_string_equal(cfg->stun_servers[0], "stun.l.google.com:19302");
	assert_true(cfg->stun_defaulted);
	assert_int_equal(cfg->ping_interval_ms, 1000);
	assert_int_equal(cfg->ping_fixed_retries, 3);
	assert_true(cfg->fast_punch);
	assert_int_equal(cfg->n_ifaces, 0);
	config_free(cfg);
	config_diags_free(&d);
}

static const char full[] = "refresh_interval: 1h30m\n"
			   "log:\n  level: DEBUG\n  format: json\n"
			   "stun:\n  address: a.example:3478\n"
			   "  addresses: [b.example:19302, a.example:3478, '[2001:db8::1]:3478']\n"
			   "interfaces:\n"
			   "  wg0:\n"
			   "    protocol: dualstack\n"
			   "    peers:\n"
			   "      alpha:\n"
			   "        public_key: " KEY_A "\n"
			   "        plugin: ex\n"
			   "        protocol: prefer_ipv6\n"
			   "        ping:\n          enabled: true\n          target: 198.18.0.2\n"
			   "      beta:\n"
			   "        public_key: " KEY_B "\n"
			   "        plugin: fs\n"
			   "plugins:\n"
			   "  ex:\n    type: exec\n    command: /bin/plugin\n    args: [-a, b]\n"
			   "    dedup: \"1\"\n    timeout: 2s\n"
			   "  fs:\n    type: builtin\n    name: file\n    dir: /srv/stunmesh\n"
			   "    dedup: false\n    max_concurrent: 3\n";

static void test_full(void **state)
{
	struct config *cfg;
	struct config_diags d;
	const struct config_iface *ifc;

	(void)state;
	assert_int_equal(parse(full, &cfg, &d), 0);
	assert_int_equal(d.n_errors, 0);
	assert_int_equal(cfg->refresh_interval_ms, 5400000);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	assert_int_equal(cfg->log_format, LOG_JSON);
	/* stun.address first, then the list, duplicates dropped */
	assert_int_equal(cfg->n_stun_servers, 3);
	assert_string_equal(cfg->stun_servers[0], "a.example:3478");
	assert_string_equal(cfg->stun_servers[1], "b.example:19302");
	assert_string_equal(cfg->stun_servers[2], "[2001:db8::1]:3478");
	assert_false(cfg->stun_defaulted);
	expect_diag(&d, DIAG_WARNING, 6, "deprecated");
	assert_int_equal(cfg->n_ifaces, 1);
	ifc = &cfg->ifaces[0];
	assert_string_equal(ifc->name, "wg0");
	assert_int_equal(ifc->protocol, FAMILY_DUALSTACK);
	assert_int_equal(ifc->n_peers, 2);
	assert_string_equal(ifc->peers[0].name, "alpha");
	assert_int_equal(ifc->peers[0].public_key[0], 0xa4);
	assert_int_equal(ifc->peers[0].public_key[31], 0x09);
	assert_int_equal(ifc->peers[0].protocol, PEER_PREFER_IPV6);
	assert_true(ifc->peers[0].ping.enabled);
	assert_string_equal(ifc->peers[0].ping.target, "198.18.0.2");
	assert_ptr_equal(ifc->peers[0].plugin, &cfg->plugins[0]);
	assert_ptr_equal(ifc->peers[1].plugin, &cfg->plugins[1]);
	assert_int_equal(cfg->n_plugins, 2);
	assert_string_equal(cfg->plugins[0].type_name, "exec");
	assert_null(cfg->plugins[0].builtin);
	assert_string_equal(opt(&cfg->plugins[0], "command"), "/bin/plugin");
	{
		const struct config_option *a = config_plugin_option(&cfg->plugins[0], "args");

		assert_non_null(a);
		assert_null(a->value); /* written as a list */
		assert_int_equal(a->n_items, 2);
		assert_string_equal(a->items[1], "b");
		assert_int_equal(a->pos.line, 26);
		assert_int_equal(a->pos.column, 11);
	}
	assert_true(cfg->plugins[0].dedup);
	assert_int_equal(cfg->plugins[0].timeout_ms, 2000);
	assert_string_equal(cfg->plugins[1].type_name, "builtin");
	assert_string_equal(cfg->plugins[1].builtin, "file");
	assert_string_equal(opt(&cfg->plugins[1], "dir"), "/srv/stunmesh");
	assert_int_equal(config_plugin_option(&cfg->plugins[1], "dir")->pos.line, 32);
	assert_false(cfg->plugins[1].dedup);
	assert_true(cfg->plugins[1].dedup_set);
	assert_int_equal(cfg->plugins[1].max_concurrent, 3);
	/* the file store has no secret option */
	assert_false(config_plugin_option(&cfg->plugins[1], "dir")->secret);
	config_free(cfg);
	config_diags_free(&d);
}

#if WITH_CLOUDFLARE
/* A builtin with options of its own: the values as written, and the schema says which
 * are secret. */
static void test_cloudflare_options(void **state)
{
	const char *text = "plugins:\n  cf:\n    type: builtin\n    name: cloudflare\n"
			   "    zone: example.com\n    token: sekrit\n    subdomain: wg\n";
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	assert_string_equal(cfg->plugins[0].type_name, "builtin");
	assert_string_equal(cfg->plugins[0].builtin, "cloudflare");
	assert_string_equal(opt(&cfg->plugins[0], "zone"), "example.com");
	assert_string_equal(opt(&cfg->plugins[0], "token"), "sekrit");
	assert_string_equal(opt(&cfg->plugins[0], "subdomain"), "wg");
	assert_true(config_plugin_option(&cfg->plugins[0], "token")->secret);
	assert_false(config_plugin_option(&cfg->plugins[0], "zone")->secret);
	config_free(cfg);
	config_diags_free(&d);
}
#endif

/* ${VAR} in an option: an unset variable is one error at the value (the option is not
 * also "required"); a set one is its value. */
static void test_env_in_options(void **state)
{
	const char *text = "plugins:\n  ex:\n    type: exec\n"
			   "    command: \"${SM_TEST_CMD}\"\n    args: [\"-d\", \"${SM_TEST_CMD}/x\"]\n";
	struct config *cfg;
	struct config_diags d;

	(void)state;
	unsetenv("SM_TEST_CMD");
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 4, "environment variable SM_TEST_CMD is not set");
	expect_diag(&d, DIAG_ERROR, 5, "environment variable SM_TEST_CMD is not set");
	assert_int_equal(d.n_errors, 2); /* not also "command is required" */
	config_diags_free(&d);

	setenv("SM_TEST_CMD", "/opt/sm", 1);
	assert_int_equal(parse(text, &cfg, &d), 0);
	assert_string_equal(opt(&cfg->plugins[0], "command"), "/opt/sm");
	assert_string_equal(config_plugin_option(&cfg->plugins[0], "args")->items[1], "/opt/sm/x");
	config_free(cfg);
	config_diags_free(&d);
	unsetenv("SM_TEST_CMD");
}

#if WITH_CLOUDFLARE
/* The seed README's form: type cloudflare, zone_name, api_token from ${VAR}. */
static void test_legacy_cloudflare_env(void **state)
{
	const char *text = "interfaces:\n  wg0:\n    peers:\n      p:\n"
			   "        public_key: \"" KEY_B "\"\n        plugin: cloudflare1\n"
			   "plugins:\n  cloudflare1:\n    type: cloudflare\n"
			   "    zone_name: \"example.com\"\n    subdomain: \"wg\"\n"
			   "    api_token: \"${SM_TEST_TOKEN}\"\n";
	struct config *cfg;
	struct config_diags d;

	(void)state;
	unsetenv("SM_TEST_TOKEN");
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 12, "environment variable SM_TEST_TOKEN is not set");
	assert_int_equal(d.n_errors, 1); /* not also "api_token is required" */
	config_diags_free(&d);

	setenv("SM_TEST_TOKEN", "t0k3n", 1);
	assert_int_equal(parse(text, &cfg, &d), 0);
	/* normalised to today's spelling */
	assert_string_equal(cfg->plugins[0].type_name, "builtin");
	assert_string_equal(cfg->plugins[0].builtin, "cloudflare");
	assert_string_equal(opt(&cfg->plugins[0], "zone"), "example.com");
	assert_string_equal(opt(&cfg->plugins[0], "token"), "t0k3n");
	assert_string_equal(opt(&cfg->plugins[0], "subdomain"), "wg");
	assert_null(config_plugin_option(&cfg->plugins[0], "zone_name"));
	assert_int_equal(config_plugin_option(&cfg->plugins[0], "zone")->pos.line, 10);
	config_free(cfg);
	config_diags_free(&d);
	unsetenv("SM_TEST_TOKEN");
}
#endif

static void test_errors_with_positions(void **state)
{
	const char *text = "refresh_interval: 90\n"			 /* 1 */
			   "log:\n  level: loud\n  format: xml\n"	 /* 2-4 */
			   "interfaces:\n  wg0:\n    protocol: ipv5\n" /* 5-7 */
			   "    peers:\n"				 /* 8 */
			   "      a:\n        public_key: not-base64!\n" /* 9-10 */
			   "        plugin: missing\n"			 /* 11 */
			   "      b:\n        public_key: AAAA\n"	 /* 12-13 */
			   "        plugin: ex\n"			 /* 14 */
			   "        protocol: ipv7\n"			 /* 15 */
			   "        colour: blue\n"			 /* 16 */
			   "plugins:\n  ex:\n    type: exec\n"		 /* 17-19 */
			   "  sh:\n    type: shell\n"			 /* 20-21 */
			   "  fs:\n    type: builtin\n    name: file\n    dedup: true\n" /* 22-25 */
			   "  bad:\n    type: ftp\n";			 /* 26-27 */
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 1, "has no unit");
	expect_diag(&d, DIAG_ERROR, 3, "unknown level 'loud'");
	expect_diag(&d, DIAG_ERROR, 4, "unknown format 'xml'");
	expect_diag(&d, DIAG_ERROR, 7, "unknown protocol 'ipv5'");
	expect_diag(&d, DIAG_ERROR, 10, "not valid base64");
	expect_diag(&d, DIAG_ERROR, 11, "plugin 'missing' is not defined");
	expect_diag(&d, DIAG_ERROR, 13, "decodes to 3 bytes");
	expect_diag(&d, DIAG_ERROR, 15, "unknown protocol 'ipv7'");
	expect_diag(&d, DIAG_WARNING, 16, "unknown key 'peers.<name>.colour'");
	expect_diag(&d, DIAG_ERROR, 18, "option 'command' is required");
	expect_diag(&d, DIAG_ERROR, 20, "option 'command' is required");
	expect_diag(&d, DIAG_ERROR, 22, "plugins.fs: option 'dir' is required");
	expect_diag(&d, DIAG_ERROR, 27, "unknown type 'ftp'");
	/* file order */
	for (size_t i = 1; i < d.n; i++)
		assert_true(d.items[i - 1].pos.line <= d.items[i].pos.line);
	assert_null(cfg);
	config_diags_free(&d);
}

static void test_yaml_syntax_error(void **state)
{
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse("log:\n  level: [debug\n", &cfg, &d), -EINVAL);
	assert_int_equal(d.n_errors, 1);
	expect_diag(&d, DIAG_ERROR, 0, "YAML syntax");
	assert_true(d.items[0].pos.line >= 2);
	config_diags_free(&d);

	assert_int_equal(parse("a: b\na: c\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_WARNING, 1, "unknown key 'a'"); /* unknown keys only warn... */
	expect_diag(&d, DIAG_ERROR, 2, "defined twice");      /* ...a repeated one is an error */
	config_diags_free(&d);
}

static void test_stun_addresses(void **state)
{
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse("stun:\n  addresses: \"x.example:1, y.example\"\n", &cfg, &d), 0);
	assert_int_equal(cfg->n_stun_servers, 2);
	assert_string_equal(cfg->stun_servers[0], "x.example:1");
	assert_string_equal(cfg->stun_servers[1], "y.example");
	config_free(cfg);
	config_diags_free(&d);

	assert_int_equal(parse("stun:\n  addresses: []\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 2, "no STUN server");
	config_diags_free(&d);

	assert_int_equal(parse("stun:\n  addresses: [\"h:0\", \"2001:db8::1:3478\", \"[::1\"]\n",
			       &cfg, &d),
			 -EINVAL);
	expect_diag(&d, DIAG_ERROR, 2, "port must be 1-65535");
	expect_diag(&d, DIAG_ERROR, 2, "write IPv6 addresses as [addr]:port");
	expect_diag(&d, DIAG_ERROR, 2, "unterminated");
	config_diags_free(&d);
}

static void test_durations(void **state)
{
	static const struct {
		const char *in;
		int64_t ms;
	} ok[] = {
		{ "90s", 90000 },  { "1m", 60000 },	 { "1h30m", 5400000 }, { "250ms", 250 },
		{ "1.5h", 5400000 }, { "0", 0 },	 { "2h0m0s", 7200000 }, { "10us", 1 },
		{ ".5s", 500 },	   { "-1s", -1000 },
	};
	static const char *bad[] = { "", "s", "10", "1x", "1h x", "1..5s", "m1", "-" };
	char buf[32];
	int64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_duration(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(parse_duration(bad[i], &ms), 0);
	format_duration(5400000, buf, sizeof(buf));
	assert_string_equal(buf, "1h30m0s");
	format_duration(250, buf, sizeof(buf));
	assert_string_equal(buf, "250ms");
	format_duration(600000, buf, sizeof(buf));
	assert_string_equal(buf, "10m0s");
}

static void test_print_masks_secrets(void **state)
{
	const char *text = "interfaces:\n  wg0:\n    peers:\n      p:\n"
			   "        public_key: " KEY_A "\n        plugin: fs\n"
			   "      q:\n        public_key: " KEY_B "\n        plugin: ex\n"
			   "plugins:\n  fs:\n    type: builtin\n    name: file\n"
			   "    dir: /srv/example.com\n    token: TOPSECRET1\n"
			   "  ex:\n    type: exec\n    command: cf-plugin\n"
			   "    args: [-zone, example.com, -token, TOPSECRET2, --api-key=TOPSECRET3]\n";
	struct config *cfg, *again;
	struct config_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), 0);
	/* an option the file store does not know, named like a secret: ignored */
	expect_diag(&d, DIAG_WARNING, 15, "unknown key 'plugins.fs.token'");
	config_diags_free(&d);
	f = open_memstream(&out, &len);
	assert_non_null(f);
	config_print(cfg, f);
	fclose(f);
	assert_null(strstr(out, "TOPSECRET"));
	assert_non_null(strstr(out, "/srv/example.com"));
	assert_non_null(strstr(out, "\"-zone\""));
	assert_non_null(strstr(out, "\"-token\""));
	/* the output is itself a valid configuration */
	assert_int_equal(store_config_parse("printed", out, len, &again, &d), 0);
	assert_int_equal(again->n_plugins, 2);
	assert_string_equal(again->plugins[0].builtin, "file");
	assert_string_equal(opt(&again->plugins[0], "dir"), "/srv/example.com");
	config_free(again);
	config_diags_free(&d);
	config_free(cfg);
	free(out);
}

static void test_find(void **state)
{
	char dir[] = "/tmp/sm-cfgfind-XXXXXX", path[512], *found = NULL;
	struct config_source src = { 0 };
	struct errbuf e;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	src.dir = dir;
	assert_int_equal(config_find(&src, &found, &e), -ENOENT);
	assert_non_null(strstr(e.msg, dir));
	snprintf(path, sizeof(path), "%s/config.yml", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(config_find(&src, &found, &e), 0);
	assert_string_equal(found, path);
	free(found);
	/* config.yaml wins over config.yml */
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(config_find(&src, &found, &e), 0);
	assert_string_equal(found, path);
	free(found);
	/* $STUNMESH_CONFIG_DIR comes first in the search */
	src.dir = NULL;
	setenv("STUNMESH_CONFIG_DIR", dir, 1);
	assert_int_equal(config_find(&src, &found, &e), 0);
	assert_string_equal(found, path);
	free(found);
	unsetenv("STUNMESH_CONFIG_DIR");
	unlink(path);
	snprintf(path, sizeof(path), "%s/config.yml", dir);
	unlink(path);
	rmdir(dir);
	src.file = "/nonexistent/sm.yaml";
	assert_int_equal(config_find(&src, &found, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/sm.yaml"));
}

static void test_limits_and_types(void **state)
{
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse("interfaces: [a, b]\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 1, "expected a mapping");
	config_diags_free(&d);
	assert_int_equal(parse("interfaces:\n  this-name-is-far-too-long:\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 2, "not a valid interface name");
	config_diags_free(&d);
	assert_int_equal(parse("refresh_interval: {a: 1}\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 1, "found a mapping");
	config_diags_free(&d);
	assert_int_equal(parse("refresh_interval: 10ms\n", &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 1, "too short");
	config_diags_free(&d);
	/* aliases reuse a node: fine, and bounded */
	assert_int_equal(parse("x: &k {level: debug}\nlog: *k\n", &cfg, &d), 0);
	assert_int_equal(cfg->log_level, LOG_DEBUG);
	config_free(cfg);
	config_diags_free(&d);
}

/* What the store layer checks in a plugin entry, with positions: the kind, the
 * options' types and the kind's own checks, unknown options, older spellings. */
static void test_plugin_schema(void **state)
{
	const char *text = "plugins:\n"						   /* 1 */
			   "  a: {type: builtin, name: opendht}\n"		   /* 2 */
			   "  b: {type: builtin, name: exec, command: x}\n"	   /* 3 */
			   "  c: {type: builtin}\n"				   /* 4 */
			   "  d: {type: exec, command: [a, b]}\n"		   /* 5 */
			   "  e: {type: exec, command: x, colour: blue, name: n}\n" /* 6 */
			   "  f: {type: cloudflare, zone: 'a b', token: t, ttl: 7}\n" /* 7 */
			   "  g: {type: exec, command: x, max_concurrent: 0}\n"    /* 8 */
			   "  h: {type: exec, command: x, timeout: 1}\n"	   /* 9 */
			   "  i: {command: x}\n"				   /* 10 */
			   "  j: {type: file, dir: /tmp, dedup: maybe}\n"	   /* 11 */
			   "  k: {type: cloudflare, zone: z, zone_name: z, token: t}\n"; /* 12 */
	struct config *cfg;
	struct config_diags d;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 2, "the opendht store is not built into this stunmesh");
	expect_diag(&d, DIAG_ERROR, 3, "unknown builtin 'exec' (" BUILTINS ")");
	expect_diag(&d, DIAG_ERROR, 4, "option 'name' is required (" BUILTINS ")");
	expect_diag(&d, DIAG_ERROR, 5, "plugins.d.command: expected a value, found a list");
	expect_diag(&d, DIAG_WARNING, 6, "unknown key 'plugins.e.colour' (ignored by exec plugins)");
	expect_diag(&d, DIAG_WARNING, 6, "unknown key 'plugins.e.name' (ignored by exec plugins)");
#if WITH_CLOUDFLARE
	expect_diag(&d, DIAG_ERROR, 7, "plugins.f.zone: 'a b' is not a DNS name");
	expect_diag(&d, DIAG_ERROR, 7, "plugins.f.ttl: '7' must be 1 (automatic) or 30-86400");
#else
	/* one error for the entry, not one per option it holds */
	expect_diag(&d, DIAG_ERROR, 7, "plugins.f: the cloudflare store is not built into");
#endif
	expect_diag(&d, DIAG_ERROR, 8, "plugins.g.max_concurrent: '0' is not a number from 1");
	expect_diag(&d, DIAG_ERROR, 9, "plugins.h.timeout: '1' is not a duration");
	expect_diag(&d, DIAG_ERROR, 10, "plugins.i: option 'type' is required");
	expect_diag(&d, DIAG_ERROR, 11, "plugins.j.dedup: 'maybe' is not a boolean");
#if WITH_CLOUDFLARE
	expect_diag(&d, DIAG_ERROR, 12, "'zone_name' and 'zone' are the same option");
#else
	expect_diag(&d, DIAG_ERROR, 12, "plugins.k: the cloudflare store is not built into");
#endif
	/* the column points at the value */
	for (size_t i = 0; i < d.n; i++) {
		if (strstr(d.items[i].msg, "'a b' is not a DNS name"))
			assert_int_equal(d.items[i].pos.column, 31);
		if (strstr(d.items[i].msg, "'maybe' is not a boolean"))
			assert_int_equal(d.items[i].pos.column, 37);
		if (strstr(d.items[i].msg, "opendht store is not built"))
			assert_int_equal(d.items[i].pos.column, 28);
	}
	/* each problem once */
	assert_int_equal(d.n_errors, WITH_CLOUDFLARE ? 11 : 10);
	config_diags_free(&d);
}

/* A config read without the store layer (config_parse) keeps every option as written;
 * the checks are what reject them. */
static void test_plugin_unchecked(void **state)
{
	const char *text = "plugins:\n  x: {type: ftp, anything: [1, 2], other: \"a,b\"}\n";
	struct config *cfg = NULL;
	struct config_diags d = { 0 };
	const struct config_option *o;

	(void)state;
	assert_int_equal(config_parse("t", text, strlen(text), &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	assert_false(cfg->plugins[0].checked);
	o = config_plugin_option(&cfg->plugins[0], "other");
	assert_string_equal(o->value, "a,b");
	assert_int_equal(o->n_items, 2); /* the scalar form of a list */
	assert_string_equal(o->items[1], "b");
	config_free(cfg);
	config_diags_free(&d);
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	expect_diag(&d, DIAG_ERROR, 2, "unknown type 'ftp' (exec, shell or builtin)");
	config_diags_free(&d);
}

static struct config *two(const char *a, const char *b)
{
	struct config_diags d = { 0 };
	struct config *cfg = NULL;
	char text[1024];

	snprintf(text, sizeof(text), "plugins:\n  a: %s\n  b: %s\n", a, b);
	if (parse(text, &cfg, &d)) {
		config_diags_print(&d, stderr);
		fail_msg("rejected: %s", text);
	}
	config_diags_free(&d);
	return cfg;
}

/* Reload keeps a store only when nothing that makes it changed: every option of its
 * kind counts (the engine's own comparison forgot some), spellings and defaults do
 * not. */
static void test_store_config_equal(void **state)
{
	static const struct {
		const char *a, *b;
		bool equal;
	} cases[] = {
		{ "{type: exec, command: x, args: [a, b]}", "{type: exec, command: x, args: [a, b]}", true },
		{ "{type: exec, command: x, args: [a, b]}", "{type: exec, command: x, args: [a, c]}", false },
		{ "{type: exec, command: x, args: [a, b]}", "{type: exec, command: x, args: \"a,b\"}", true },
		{ "{type: exec, command: x}", "{type: exec, command: y}", false },
		{ "{type: exec, command: x}", "{type: shell, command: x}", false },
		{ "{type: exec, command: x}", "{type: exec, command: x, timeout: 10s}", true },
		{ "{type: exec, command: x}", "{type: exec, command: x, timeout: 11s}", false },
		{ "{type: exec, command: x}", "{type: exec, command: x, max_concurrent: 4}", true },
		{ "{type: exec, command: x}", "{type: exec, command: x, max_concurrent: 2}", false },
		{ "{type: exec, command: x}", "{type: exec, command: x, dedup: false}", true },
		{ "{type: exec, command: x}", "{type: exec, command: x, dedup: true}", false },
		{ "{type: exec, command: x}", "{type: exec, command: x, colour: blue}", true },
		{ "{type: file, dir: /a}", "{type: builtin, name: file, dir: /a, dedup: true}", true },
		{ "{type: file, dir: /a}", "{type: builtin, name: file, dir: /b}", false },
		{ "{type: file, dir: /a}", "{type: file, dir: /a, dedup: false}", false },
		{ "{type: file, dir: /a}", "{type: shell, command: /a}", false },
#if WITH_CLOUDFLARE
		{ "{type: cloudflare, zone_name: e.com, api_token: t}",
		  "{type: builtin, name: cloudflare, zone: e.com, token: t}", true },
		{ "{type: cloudflare, zone: e.com, token: t}", "{type: cloudflare, zone: e.com, token: u}", false },
		{ "{type: cloudflare, zone: e.com, token: t}",
		  "{type: cloudflare, zone: e.com, token: t, ttl: 300}", false },
		{ "{type: cloudflare, zone: e.com, token: t, subdomain: wg}",
		  "{type: cloudflare, zone: e.com, token: t}", false },
#endif
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config *cfg = two(cases[i].a, cases[i].b);

		if (store_config_equal(&cfg->plugins[0], &cfg->plugins[1]) != cases[i].equal ||
		    store_config_equal(&cfg->plugins[1], &cfg->plugins[0]) != cases[i].equal)
			fail_msg("case %zu: %s vs %s should be %s", i, cases[i].a, cases[i].b,
				 cases[i].equal ? "equal" : "different");
		assert_true(store_config_equal(&cfg->plugins[0], &cfg->plugins[0]));
		config_free(cfg);
	}
}

/* Masking follows the schema's secret flag, not only names; what is printed reads
 * back as the same stores; keys are quoted so a file's text stays text. */
static void test_print_by_schema(void **state)
{
	const char *text = "plugins:\n  fs:\n    type: file\n    dir: /srv/PLAINDIR\n"
			   "    \"we:ird\": x\n"
			   "  ex:\n    type: exec\n    command: p\n    args: \"-a,--password=PW1\"\n";
	struct config *cfg, *again;
	struct config_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), 0);
	config_diags_free(&d);
	/* as a kind would flag an option with an innocent name */
	((struct config_option *)config_plugin_option(&cfg->plugins[0], "dir"))->secret = true;
	assert_string_equal(opt(&cfg->plugins[1], "args"), "-a,--password=PW1");
	f = open_memstream(&out, &len);
	config_print(cfg, f);
	fclose(f);
	assert_null(strstr(out, "PLAINDIR"));
	assert_null(strstr(out, "PW1"));
	/* the older spelling printed as today's */
	assert_non_null(strstr(out, "type: \"builtin\""));
	assert_non_null(strstr(out, "name: \"file\""));
	assert_non_null(strstr(out, "\"dir\": \"********\""));
	assert_non_null(strstr(out, "\"args\": \"-a,--password=********\""));
	assert_null(strstr(out, "we:ird")); /* an unknown option is not in effect */
	/* valid YAML and a valid configuration */
	assert_int_equal(config_parse("printed", out, len, &again, &d), 0);
	config_diags_free(&d);
	assert_string_equal(opt(&again->plugins[1], "command"), "p");
	assert_string_equal(again->plugins[0].builtin, "file");
	config_free(again);
	config_free(cfg);
	free(out);
}

#if WITH_CLOUDFLARE
/* The Cloudflare token is secret by its schema, in either spelling; the older form
 * prints as today's and reads back as the same store. */
static void test_print_cloudflare(void **state)
{
	const char *text = "plugins:\n  cf:\n    type: builtin\n    name: cloudflare\n"
			   "    zone: example.com\n    token: TOPSECRET1\n"
			   "  old:\n    type: cloudflare\n    zone_name: example.net\n"
			   "    api_token: PLAINTOKEN\n";
	struct config *cfg, *again;
	struct config_diags d;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), 0);
	config_diags_free(&d);
	f = open_memstream(&out, &len);
	config_print(cfg, f);
	fclose(f);
	assert_null(strstr(out, "TOPSECRET1"));
	assert_null(strstr(out, "PLAINTOKEN"));
	assert_non_null(strstr(out, "example.com"));
	assert_non_null(strstr(out, "\"zone\": \"example.net\""));
	assert_null(strstr(out, "zone_name"));
	assert_null(strstr(out, "api_token"));
	assert_non_null(strstr(out, "name: \"cloudflare\""));
	assert_int_equal(store_config_parse("printed", out, len, &again, &d), 0);
	config_diags_free(&d);
	assert_int_equal(again->n_plugins, 2);
	assert_string_equal(again->plugins[1].builtin, "cloudflare");
	assert_string_equal(opt(&again->plugins[1], "zone"), "example.net");
	config_free(again);
	config_free(cfg);
	free(out);
}
#else
/* A build without the Cloudflare store: an entry for it, in either spelling, is one
 * clear error at the word that names it, saying how to get it; nothing about its
 * options. Reload never keeps such an entry as "the same store". */
static void test_cloudflare_not_built(void **state)
{
	const char *text = "plugins:\n"				     /* 1 */
			   "  a: {type: cloudflare, zone_name: e.com, api_token: t}\n" /* 2 */
			   "  b:\n    type: builtin\n    name: cloudflare\n"  /* 3-5 */
			   "    zone: e.com\n    colour: blue\n"	     /* 6-7 */
			   "  c: {type: file, dir: /srv/sm}\n";		     /* 8 */
	struct config *cfg;
	struct config_diags d;
	unsigned seen = 0;

	(void)state;
	assert_int_equal(parse(text, &cfg, &d), -EINVAL);
	assert_null(cfg);
	for (size_t i = 0; i < d.n; i++) {
		const struct config_diag *it = &d.items[i];

		assert_int_equal(it->severity, DIAG_ERROR);
		assert_non_null(strstr(it->msg, "the cloudflare store is not built into this "
						"stunmesh (build with make WITH_CLOUDFLARE=1)"));
		if (strstr(it->msg, "plugins.a:")) {
			assert_int_equal(it->pos.line, 2);
			assert_int_equal(it->pos.column, 13);
			seen |= 1;
		} else if (strstr(it->msg, "plugins.b:")) {
			assert_int_equal(it->pos.line, 5);
			assert_int_equal(it->pos.column, 11);
			seen |= 2;
		}
	}
	assert_int_equal(seen, 3);
	assert_int_equal(d.n, 2);
	config_diags_free(&d);

	/* as read without the checks, and compared the way reload does */
	memset(&d, 0, sizeof(d));
	assert_int_equal(config_parse("t", text, strlen(text), &cfg, &d), 0);
	assert_false(store_config_equal(&cfg->plugins[0], &cfg->plugins[0]));
	assert_false(store_config_equal(&cfg->plugins[1], &cfg->plugins[1]));
	assert_true(store_config_equal(&cfg->plugins[2], &cfg->plugins[2]));
	config_free(cfg);
	config_diags_free(&d);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_env_in_options),
#if WITH_CLOUDFLARE
		cmocka_unit_test(test_cloudflare_options),
		cmocka_unit_test(test_legacy_cloudflare_env),
		cmocka_unit_test(test_print_cloudflare),
#else
		cmocka_unit_test(test_cloudflare_not_built),
#endif
		cmocka_unit_test(test_errors_with_positions),
		cmocka_unit_test(test_yaml_syntax_error),
		cmocka_unit_test(test_stun_addresses),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_print_masks_secrets),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_limits_and_types),
		cmocka_unit_test(test_plugin_schema),
		cmocka_unit_test(test_plugin_unchecked),
		cmocka_unit_test(test_store_config_equal),
		cmocka_unit_test(test_print_by_schema),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
