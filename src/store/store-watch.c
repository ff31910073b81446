/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Change notification: who watches which key, and the delivery. A kind says "the value
 * under key may have changed" (store_notify) as often as its source does; a write by a
 * sync tool is often several events (temp file, rename, attribute change), so the
 * watchers hear of it once, STORE_NOTIFY_MS later, from a timer of the loop. */
#include "store/store.h"
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store_watch {
	struct store_watch *next;
	char key[STORE_KEY_MAX + 1];
	store_change_cb cb;
	void *arg;
	bool pending; /* notified, not yet delivered */
	bool due;     /* being delivered in this round */
};

bool store_watched(const struct store *s, const char *key)
{
	for (const struct store_watch *w = s->watches; w; w = w->next)
		if (!strcmp(w->key, key))
			return true;
	return false;
}

static void deliver(struct loop *l, void *arg)
{
	struct store *s = arg;
	bool freed = false;

	(void)l;
	for (struct store_watch *w = s->watches; w; w = w->next) {
		w->due = w->pending;
		w->pending = false;
	}
	s->freed = &freed;
	for (;;) {
		struct store_watch *w = s->watches;
		char key[STORE_KEY_MAX + 1];

		while (w && !w->due)
			w = w->next;
		if (!w)
			break;
		w->due = false;
		/* the callback may unwatch (free w) or free the store */
		strcpy(key, w->key);
		w->cb(w->arg, key);
		if (freed)
			return;
	}
	s->freed = NULL;
}

int store_watch(struct store *s, const char *key, store_change_cb cb, void *arg)
{
	struct store_watch *w;
	int r;

	if (!s->ops->watch)
		return -EOPNOTSUPP;
	if (!store_valid_key(key) || !cb)
		return -EINVAL;
	for (w = s->watches; w; w = w->next)
		if (w->arg == arg && !strcmp(w->key, key)) {
			w->cb = cb;
			return 0;
		}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	strcpy(w->key, key);
	w->cb = cb;
	w->arg = arg;
	if (!store_watched(s, key) && (r = s->ops->watch(s, key))) {
		free(w);
		return r;
	}
	w->next = s->watches;
	s->watches = w;
	return 0;
}

/* Removes the watches matching key (NULL: any) and arg; the kind hears of keys that
 * lost their last watcher. */
static void drop(struct store *s, const char *key, void *arg)
{
	struct store_watch **p = &s->watches;

	while (*p) {
		struct store_watch *w = *p;

		if (w->arg != arg || (key && strcmp(w->key, key))) {
			p = &w->next;
			continue;
		}
		*p = w->next;
		if (s->ops->unwatch && !store_watched(s, w->key))
			s->ops->unwatch(s, w->key);
		free(w);
	}
	if (!s->watches)
		loop_timer_cancel(s->loop, &s->notify_timer);
}

void store_unwatch(struct store *s, const char *key, void *arg)
{
	drop(s, key, arg);
}

void store_watch_cancel(struct store *s, void *arg)
{
	drop(s, NULL, arg);
}

void store_notify(struct store *s, const char *key)
{
	bool any = false;

	for (struct store_watch *w = s->watches; w; w = w->next)
		if (!key || !strcmp(w->key, key))
			any = w->pending = true;
	if (any && !loop_timer_pending(&s->notify_timer) &&
	    loop_timer_arm(s->loop, &s->notify_timer, STORE_NOTIFY_MS))
		log_warn(s->log, "store %s: a change notification is lost (out of memory)",
			 s->name);
}

void store_watch_init(struct store *s)
{
	loop_timer_init(&s->notify_timer, deliver, s);
}

void store_watch_free(struct store *s)
{
	if (s->freed)
		*s->freed = true;
	loop_timer_cancel(s->loop, &s->notify_timer);
	while (s->watches) {
		struct store_watch *w = s->watches;

		s->watches = w->next;
		free(w);
	}
}
