/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dedup memory per store: what the last successful set of each key carried. */
#include "store/store.h"
#include "store/store-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store_dedup {
	struct store_dedup *next;
	char key[STORE_KEY_MAX + 1];
	char *content;
};

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

void store_dedup_free(struct store *s)
{
	while (s->seen) {
		struct store_dedup *d = s->seen;

		s->seen = d->next;
		free(d->content);
		free(d);
	}
}
