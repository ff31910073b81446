/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dirwatch on Linux: one inotify instance per directory, non-blocking, on the loop.
 * Watched: IN_CLOSE_WRITE (written in place and closed), IN_MOVED_TO (a temporary
 * file renamed over the record, as we and most sync tools write), IN_DELETE and
 * IN_MOVED_FROM (the record went away); IN_Q_OVERFLOW and the directory's own removal
 * or move are "anything may have changed". IN_MODIFY is not watched: a file being
 * written is not worth reading until it is closed. */
#include "store/dirwatch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define DIRWATCH_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | \
			 IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define READS_PER_WAKE 16 /* then back to the loop; the rest is read next round */

struct dirwatch {
	struct loop *loop;
	int fd;
	dirwatch_cb cb;
	void *arg;
	bool gone;
};

size_t dirwatch_parse(const uint8_t *buf, size_t len, dirwatch_cb cb, void *arg, bool *gone)
{
	size_t off = 0, n = 0;

	while (len - off >= sizeof(struct inotify_event)) {
		struct inotify_event ev;
		const char *name;
		size_t nlen;

		memcpy(&ev, buf + off, sizeof(ev));
		if (ev.len > len - off - sizeof(ev))
			break;
		name = (const char *)buf + off + sizeof(ev);
		/* the kernel pads the name with NULs; no NUL at all is not an event of ours */
		nlen = ev.len ? strnlen(name, ev.len) : 0;
		off += sizeof(ev) + ev.len;
		if (ev.len && nlen == ev.len)
			break;
		if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT))
			*gone = true;
		if (ev.mask & (IN_Q_OVERFLOW | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT))
			cb(arg, NULL);
		else if (nlen && !(ev.mask & IN_ISDIR))
			cb(arg, name);
		else
			continue;
		n++;
	}
	return n;
}

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	struct dirwatch *w = arg;
	/* aligned for struct inotify_event, large enough for one with the longest name */
	uint8_t buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	(void)l;
	(void)events;
	for (int i = 0; i < READS_PER_WAKE; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN: all read */
		dirwatch_parse(buf, (size_t)n, w->cb, w->arg, &w->gone);
	}
}

int dirwatch_open(struct loop *l, const char *dir, dirwatch_cb cb, void *arg,
		  struct dirwatch **out, struct errbuf *e)
{
	struct dirwatch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return err_set(e, -ENOMEM, "out of memory");
	w->loop = l;
	w->cb = cb;
	w->arg = arg;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		r = err_set(e, -errno, "inotify: %s", strerror(errno));
		free(w);
		return r;
	}
	if (inotify_add_watch(w->fd, dir, DIRWATCH_EVENTS) < 0) {
		r = err_set(e, -errno, "watching %s: %s", dir, strerror(errno));
		goto fail;
	}
	r = loop_fd_add(l, w->fd, LOOP_READ, on_readable, w);
	if (r) {
		err_set(e, r, "out of memory");
		goto fail;
	}
	*out = w;
	return 0;
fail:
	close(w->fd);
	free(w);
	return r;
}

bool dirwatch_alive(const struct dirwatch *w)
{
	return w && !w->gone;
}

void dirwatch_close(struct dirwatch *w)
{
	if (!w)
		return;
	loop_fd_remove(w->loop, w->fd);
	close(w->fd);
	free(w);
}
