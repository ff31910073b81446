/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the store tests: run one operation to completion on a loop, and
 * check that the callback never comes from inside store_get/store_set. */
#ifndef SM_STORE_TEST_H
#define SM_STORE_TEST_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "store/store.h"

struct outcome {
	int calls;
	enum store_status status;
	char value[70000];
	char error[512];
};

static inline void outcome_cb(const struct store_result *res, void *arg)
{
	struct outcome *o = arg;

	o->calls++;
	o->status = res->status;
	o->value[0] = o->error[0] = '\0';
	if (res->value)
		snprintf(o->value, sizeof(o->value), "%s", res->value);
	if (res->error)
		snprintf(o->error, sizeof(o->error), "%s", res->error);
}

/* Runs the loop until the operation completes or deadline_ms pass; returns the
 * elapsed milliseconds. */
static inline int64_t wait_done(struct loop *l, struct outcome *o, int64_t deadline_ms)
{
	int64_t start, end;

	loop_update_now(l);
	start = loop_now(l);
	end = start + deadline_ms;
	while (!o->calls && loop_now(l) < end)
		loop_run_once(l, (int)(end - loop_now(l)));
	return loop_now(l) - start;
}

static inline int64_t do_get(struct loop *l, struct store *s, const char *key, uint32_t fwmark,
			     struct outcome *o, int64_t deadline_ms)
{
	memset(o, 0, sizeof(*o));
	if (store_get(s, key, fwmark, outcome_cb, o))
		return -1;
	/* Never from inside store_get. */
	if (o->calls)
		return -2;
	return wait_done(l, o, deadline_ms);
}

static inline int64_t do_set(struct loop *l, struct store *s, const char *key,
			     const char *value, uint32_t fwmark, struct outcome *o,
			     int64_t deadline_ms)
{
	memset(o, 0, sizeof(*o));
	if (store_set(s, key, value, fwmark, outcome_cb, o))
		return -1;
	if (o->calls)
		return -2;
	return wait_done(l, o, deadline_ms);
}

/* args as a YAML flow list of double-quoted strings, into buf. */
static inline const char *yaml_list(char *buf, size_t len, char *const *args, size_t n)
{
	size_t off = 0;

	off += (size_t)snprintf(buf + off, len - off, "[");
	for (size_t i = 0; i < n && off < len; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s\"", i ? ", " : "");
		for (const char *c = args[i]; *c && off + 3 < len; c++) {
			if (*c == '"' || *c == '\\')
				buf[off++] = '\\';
			buf[off++] = *c;
		}
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "\"");
	}
	if (off < len)
		snprintf(buf + off, len - off, "]");
	return buf;
}

/* The store one plugin entry makes: name, and the entry as a YAML flow mapping
 * ("{type: exec, command: /bin/sh, args: [a, b]}"). The text is parsed without the
 * store layer's checks (config_parse), so store_new's own check is what stands
 * between a bad entry and the kind. Returns store_new's result. */
static inline __attribute__((format(printf, 6, 7))) int
store_test_new(struct loop *l, const struct logger *log, struct store **out, struct errbuf *e,
	       const char *name, const char *fmt, ...)
{
	struct config_diags d = { 0 };
	struct store_env env = { l, log };
	struct config *cfg = NULL;
	char entry[2048], text[2300];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(entry, sizeof(entry), fmt, ap);
	va_end(ap);
	snprintf(text, sizeof(text), "plugins:\n  %s: %s\n", name, entry);
	*out = NULL;
	e->msg[0] = '\0';
	r = config_parse("test", text, strlen(text), &cfg, &d);
	if (r) {
		config_diags_print(&d, stderr);
		snprintf(e->msg, sizeof(e->msg), "%s", d.n ? d.items[0].msg : "config_parse failed");
		config_diags_free(&d);
		return r;
	}
	config_diags_free(&d);
	r = store_new(&cfg->plugins[0], &env, out, e);
	config_free(cfg); /* a store keeps copies of what it needs */
	return r;
}

static inline char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/sm-store-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void remove_tree(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#define KEY_A "12850bc1c76f60f1b38169066b58097a94c7c366"
#define KEY_B "f9022a8f02048b82ac6bb16887c666834ae6c204"
#define VALUE_A                                                                        \
	"0000000000000000000000000000000000000000000000000174f4836008dccfff078b18623b9fc7" \
	"f433b0b860a63090eb84157ad31a3a3036da2d6fe5893a947c933c3c"

#endif
