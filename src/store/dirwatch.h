/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Watching one directory for files that change in it, on the event loop: what the
 * file store's change notification is built on. Platform code: dirwatch-<platform>.c
 * (inotify on Linux). */
#ifndef SM_DIRWATCH_H
#define SM_DIRWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/loop.h"
#include "lib/util.h"

struct dirwatch;

/* name: a file in the directory that was written and closed, moved in, deleted or
 * moved away. NULL: events were lost (the kernel's queue overflowed) or the directory
 * itself was removed or moved: anything may have changed. Runs from the loop; it may
 * not close the watch. */
typedef void (*dirwatch_cb)(void *arg, const char *name);

/* 0 with *out set, or -errno with why in e (-ENOTDIR, -EMFILE when no inotify
 * instance is left, -ENOSPC when no watch is). */
int dirwatch_open(struct loop *l, const char *dir, dirwatch_cb cb, void *arg,
		  struct dirwatch **out, struct errbuf *e);
void dirwatch_close(struct dirwatch *w);
/* False once the directory itself went away (removed, moved, unmounted): the watch
 * sees nothing more; a directory made again under the name needs a new watch. */
bool dirwatch_alive(const struct dirwatch *w);

/* The events in buf (len bytes, as read from the watch), each given to cb; a
 * truncated or malformed event ends the walk. Returns how many were given; *gone is
 * set when the directory itself went away. Split out so it can be tested on its own. */
size_t dirwatch_parse(const uint8_t *buf, size_t len, dirwatch_cb cb, void *arg, bool *gone);

#endif
