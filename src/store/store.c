/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "store/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STORE_VALUE_MAX (64 * 1024)

#ifndef WITH_CLOUDFLARE
#define WITH_CLOUDFLARE 1
#endif

/* Which config plugin type is which kind; NULL = not built in (make WITH_<KIND>=0). */
static const struct store_ops *const kinds[] = {
	[PLUGIN_EXEC] = &store_exec_ops,
	[PLUGIN_SHELL] = &store_shell_ops,
#if WITH_CLOUDFLARE
	[PLUGIN_CLOUDFLARE] = &store_cloudflare_ops,
#endif
	[PLUGIN_FILE] = &store_file_ops,
};

struct store_dedup {
	struct store_dedup *next;
	char key[STORE_KEY_MAX + 1];
	char *content;
};

int store_new(const struct config_plugin *cfg, const struct store_env *env, struct store **out,
	      struct errbuf *e)
{
	const struct store_ops *ops = NULL;
	struct store *s;
	int r;

	if ((size_t)cfg->type < sizeof(kinds) / sizeof(kinds[0]))
		ops = kinds[cfg->type];
	if (!ops)
		return err_set(e, -EOPNOTSUPP, "plugin %s: type %s is not built into this stunmesh",
			       cfg->name, plugin_type_name(cfg->type));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(cfg->name ? cfg->name : ops->kind))) {
		free(s);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->ops = ops;
	s->loop = env->loop;
	s->log = env->log;
	s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS;
	s->dedup = cfg->dedup_set ? cfg->dedup : ops->dedup_default;
	{
		const char *sec[32];
		size_t n = config_plugin_secrets(cfg, sec, 32);

		s->secrets = calloc(n + 1, sizeof(char *));
		for (size_t i = 0; s->secrets && i < n; i++)
			if ((s->secrets[s->n_secrets] = strdup(sec[i])))
				s->n_secrets++;
	}
	r = ops->init(s, cfg, e);
	if (r) {
		err_prefix(e, r, "plugin %s: ", s->name);
		for (size_t i = 0; i < s->n_secrets; i++)
			free(s->secrets[i]);
		free(s->secrets);
		free(s->name);
		free(s);
		return r;
	}
	*out = s;
	return 0;
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

static void abandon(struct store *s, struct store_op *op)
{
	loop_timer_cancel(s->loop, &op->later);
	if (s->ops->cancel)
		s->ops->cancel(s, op);
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
}

void store_free(struct store *s)
{
	if (!s)
		return;
	while (s->pending) {
		struct store_op *op = s->pending;

		s->pending = op->next;
		abandon(s, op);
	}
	if (s->ops->destroy)
		s->ops->destroy(s);
	while (s->seen) {
		struct store_dedup *d = s->seen;

		s->seen = d->next;
		free(d->content);
		free(d);
	}
	for (size_t i = 0; i < s->n_secrets; i++) {
		secure_zero(s->secrets[i], strlen(s->secrets[i]));
		free(s->secrets[i]);
	}
	free(s->secrets);
	free(s->name);
	free(s);
}

static bool valid_key(const char *key)
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
	if (!valid_key(key) || (is_set && !valid_value(value)))
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
	r = s->ops->start(s, op);
	if (r) {
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
	struct store_result res = { .status = st };
	char *scrubbed = NULL;

	unlink_op(op);
	loop_timer_cancel(op->store->loop, &op->later);
	if (st == STORE_OK && !op->is_set) {
		res.value = value ? value : "";
		res.value_len = strlen(res.value);
	}
	if (st == STORE_ERROR) {
		res.error = error && *error ? error : "unknown error";
		if ((scrubbed = strdup(res.error))) {
			scrub_secrets(scrubbed, op->store->secrets, op->store->n_secrets);
			res.error = scrubbed;
		}
	}
	/* The callback may free the store: nothing of it is touched afterwards. */
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

static struct store_dedup *dedup_find(const struct store *s, const char *key)
{
	for (struct store_dedup *d = s->seen; d; d = d->next)
		if (!strcmp(d->key, key))
			return d;
	return NULL;
}

bool store_dedup_unchanged(const struct store *s, const char *key, const char *content)
{
	const struct store_dedup *d;

	if (!s->dedup)
		return false;
	d = dedup_find(s, key);
	return d && !strcmp(d->content, content);
}

int store_dedup_remember(struct store *s, const char *key, const char *content)
{
	struct store_dedup *d;
	char *c;

	if (!s->dedup)
		return 0;
	if (strlen(key) > STORE_KEY_MAX)
		return -EINVAL;
	c = strdup(content);
	if (!c)
		return -ENOMEM;
	d = dedup_find(s, key);
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (!d) {
			free(c);
			return -ENOMEM;
		}
		strcpy(d->key, key);
		d->next = s->seen;
		s->seen = d;
	}
	free(d->content);
	d->content = c;
	return 0;
}

void store_dedup_forget(struct store *s, const char *key)
{
	for (struct store_dedup **p = &s->seen; *p; p = &(*p)->next) {
		if (!strcmp((*p)->key, key)) {
			struct store_dedup *d = *p;

			*p = d->next;
			free(d->content);
			free(d);
			return;
		}
	}
}
