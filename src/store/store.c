/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The generic part of every store: creating one from a plugin entry, operations and
 * their completion, and the queue that bounds how many run at once.
 *
 * The queue: a store with 1,000 peers gets 1,000 reads at a refresh; an exec store
 * would start 1,000 processes (three fds each: the event loop runs out of descriptors,
 * a router out of memory). At most max_running operations run; the rest wait in
 * order. An operation's timeout counts from when it starts running: the timeout says
 * how long the store may take to answer one request, and an operation that waited
 * behind slow ones has had no chance to be answered yet; counting from the call would
 * fail every queued operation behind a hung plugin instead of giving each its try. The
 * wait is bounded anyway: the queue drains at max_running per timeout at worst. */
#include "store/store.h"
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STORE_VALUE_MAX (64 * 1024)
#define MAX_SECRETS 32

static void free_secrets(struct store *s)
{
	for (size_t i = 0; i < s->n_secrets; i++) {
		secure_zero(s->secrets[i], strlen(s->secrets[i]));
		free(s->secrets[i]);
	}
	free(s->secrets);
	s->secrets = NULL;
	s->n_secrets = 0;
}

static int copy_secrets(struct store *s, const struct config_plugin *cfg)
{
	const char *sec[MAX_SECRETS];
	size_t n = store_schema_secrets(s->ops, cfg, sec, MAX_SECRETS);

	s->secrets = calloc(n + 1, sizeof(char *));
	if (!s->secrets)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!(s->secrets[s->n_secrets] = strdup(sec[i])))
			return -ENOMEM;
		s->n_secrets++;
	}
	return 0;
}

int store_new(const struct config_plugin *cfg, const struct store_env *env, struct store **out,
	      struct errbuf *e)
{
	const struct store_ops *ops;
	struct store *s;
	int r;

	ops = store_schema_check(cfg, e, &r);
	if (!ops)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(cfg->name ? cfg->name : ops->kind))) {
		free(s);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->ops = ops;
	s->caps = ops->caps;
	s->loop = env->loop;
	s->log = env->log;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS;
	s->dedup = cfg->dedup_set ? cfg->dedup : ops->caps.dedup_default;
	s->max_running = cfg->max_concurrent > 0 ? (size_t)cfg->max_concurrent
			 : ops->max_concurrent	  ? ops->max_concurrent
						  : STORE_DEFAULT_CONCURRENCY;
	s->queue_tail = &s->queue;
	store_watch_init(s);
	r = copy_secrets(s, cfg);
	if (r)
		err_set(e, r, "out of memory");
	else
		r = ops->init(s, cfg, e);
	if (r) {
		err_prefix(e, r, "plugin %s: ", s->name);
		free_secrets(s);
		free(s->name);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

const struct store_caps *store_caps(const struct store *s)
{
	return &s->caps;
}

static void op_free(struct store_op *op)
{
	free(op->value);
	free(op->result_value);
	free(op->result_error);
	free(op);
}

static void unlink_op(struct store_op *op)
{
	for (struct store_op **p = &op->store->pending; *p; p = &(*p)->next) {
		if (*p == op) {
			*p = op->next;
			return;
		}
	}
}

static void dequeue(struct store *s, struct store_op *op)
{
	for (struct store_op **p = &s->queue; *p; p = &(*p)->qnext) {
		if (*p == op) {
			*p = op->qnext;
			if (s->queue_tail == &op->qnext)
				s->queue_tail = p;
			op->qnext = NULL;
			return;
		}
	}
}

/* Starts queued operations while there is room. A kind that cannot start one has its
 * error delivered like any other result. */
static void pump(struct store *s)
{
	if (s->pumping)
		return;
	s->pumping = true;
	while (s->queue && s->running < s->max_running) {
		struct store_op *op = s->queue;
		int r;

		dequeue(s, op);
		op->queued = false;
		s->running++;
		r = s->ops->start(s, op);
		if (r)
			store_op_complete_later(op, STORE_ERROR, NULL,
						r == -ENOMEM ? "out of memory" : strerror(-r));
	}
	s->pumping = false;
}

static void abandon(struct store *s, struct store_op *op)
{
	loop_timer_cancel(s->loop, &op->later);
	if (op->queued) {
		dequeue(s, op);
	} else {
		if (s->ops->cancel)
			s->ops->cancel(s, op);
		s->running--;
	}
	op_free(op);
}

void store_cancel(struct store *s, void *arg)
{
	struct store_op **p = &s->pending;

	while (*p) {
		struct store_op *op = *p;

		if (op->arg == arg) {
			*p = op->next;
			abandon(s, op);
		} else {
			p = &op->next;
		}
	}
	store_watch_cancel(s, arg);
	pump(s);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	/* a cancelled running operation must not start a queued one */
	s->pumping = true;
	while (s->pending) {
		struct store_op *op = s->pending;

		s->pending = op->next;
		abandon(s, op);
	}
	store_watch_free(s);
	if (s->ops->destroy)
		s->ops->destroy(s);
	store_dedup_free(s);
	free_secrets(s);
	free(s->name);
	free(s);
}

bool store_valid_key(const char *key)
{
	size_t n = strlen(key);

	if (!n || n > STORE_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
			return false;
	return true;
}

static bool valid_value(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > STORE_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f') ||
		      (v[i] >= 'A' && v[i] <= 'F')))
			return false;
	return true;
}

static void on_later(struct loop *l, void *arg)
{
	struct store_op *op = arg;

	(void)l;
	store_op_done(op, op->status, op->result_value, op->result_error);
}

static int start(struct store *s, bool is_set, const char *key, const char *value,
		 uint32_t fwmark, store_cb cb, void *arg)
{
	struct store_op *op;
	int r;

	/* Keys become file names and plugin arguments, values go into line-based
	 * protocols: both are hex by construction, anything else is a bug upstream. */
	if (!store_valid_key(key) || (is_set && !valid_value(value)))
		return -EINVAL;
	op = calloc(1, sizeof(*op));
	if (!op)
		return -ENOMEM;
	op->store = s;
	op->is_set = is_set;
	strcpy(op->key, key);
	op->fwmark = fwmark;
	op->cb = cb;
	op->arg = arg;
	loop_timer_init(&op->later, on_later, op);
	if (is_set && !(op->value = strdup(value))) {
		op_free(op);
		return -ENOMEM;
	}
	op->next = s->pending;
	s->pending = op;
	if (s->queue || s->running >= s->max_running) {
		op->queued = true;
		*s->queue_tail = op;
		s->queue_tail = &op->qnext;
		return 0;
	}
	s->running++;
	r = s->ops->start(s, op);
	if (r) {
		s->running--;
		unlink_op(op);
		loop_timer_cancel(s->loop, &op->later);
		op_free(op);
	}
	return r;
}

int store_get(struct store *s, const char *key, uint32_t fwmark, store_cb cb, void *arg)
{
	return start(s, false, key, NULL, fwmark, cb, arg);
}

int store_set(struct store *s, const char *key, const char *value, uint32_t fwmark, store_cb cb,
	      void *arg)
{
	return start(s, true, key, value, fwmark, cb, arg);
}

void store_op_done(struct store_op *op, enum store_status st, const char *value,
		   const char *error)
{
	struct store *s = op->store;
	struct store_result res = { .status = st };
	char *scrubbed = NULL;

	unlink_op(op);
	loop_timer_cancel(s->loop, &op->later);
	if (st == STORE_OK && !op->is_set) {
		res.value = value ? value : "";
		res.value_len = strlen(res.value);
	}
	if (st == STORE_ERROR) {
		res.error = error && *error ? error : "unknown error";
		if ((scrubbed = strdup(res.error))) {
			scrub_secrets(scrubbed, s->secrets, s->n_secrets);
			res.error = scrubbed;
		}
	}
	/* The slot is free: the next one starts before the callback, which may free the
	 * store; nothing of it is touched afterwards. */
	s->running--;
	pump(s);
	op->cb(&res, op->arg);
	op_free(op);
	free(scrubbed);
}

void store_op_complete_later(struct store_op *op, enum store_status st, const char *value,
			     const char *error)
{
	op->status = st;
	free(op->result_value);
	free(op->result_error);
	op->result_value = value ? strdup(value) : NULL;
	op->result_error = error ? strdup(error) : NULL;
	if ((value && !op->result_value) || (error && !op->result_error)) {
		op->status = STORE_ERROR;
		free(op->result_error);
		op->result_error = NULL; /* store_op_done says "unknown error" */
	}
	if (loop_timer_arm(op->store->loop, &op->later, 0))
		store_op_done(op, STORE_ERROR, NULL, "out of memory");
}
