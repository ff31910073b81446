/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the store tests: run one operation to completion on a loop, and
 * check that the callback never comes from inside store_get/store_set. */
#ifndef SM_STORE_TEST_H
#define SM_STORE_TEST_H

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

static inline char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/sm-store-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void remove_tree(const char *dir)
{
	char cmd[512];

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
