/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/signals.h"
#include <time.h>
#include <unistd.h>

struct loop_fd {
	int fd;
	unsigned events;
	bool dead;
	loop_fd_cb cb;
	void *arg;
};

struct loop_child {
	pid_t pid;
	bool dead; /* reaped, or forgotten and reaped */
	loop_child_cb cb; /* NULL once forgotten */
	void *arg;
};

struct loop_sig {
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	int64_t now;
	loop_clock_fn clock; /* NULL: CLOCK_MONOTONIC */
	void *clock_ctx;
	bool stop;
	bool in_round; /* inside loop_run_once: a nested call is refused */
	const struct sig_backend *sb;
	struct sig_source *sig;
	bool routed[NSIG]; /* signals handed to the backend */
	struct sigaction old_pipe;
	/* Removed entries stay (dead) until the next round starts, as the current
	 * round's snapshot may point at them; poll() only ever sees live ones. */
	struct loop_fd **fds;
	size_t n_fds, cap_fds;
	bool fds_dirty;
	/* The arrays handed to poll, kept between rounds. */
	struct pollfd *pfd;
	struct loop_fd **snap;
	size_t cap_pfd, cap_snap;
	bool reap_due; /* a child was added: look once without waiting for SIGCHLD */
	struct loop_timer **heap;
	size_t n_heap, cap_heap;
	uint64_t seq;
	struct loop_child *children;
	size_t n_children, cap_children;
	struct loop_sig sigs[NSIG];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t loop_now(const struct loop *l)
{
	return l->now;
}

void loop_update_now(struct loop *l)
{
	l->now = l->clock ? l->clock(l->clock_ctx) : mono_ms();
}

void loop_set_clock(struct loop *l, loop_clock_fn fn, void *ctx)
{
	l->clock = fn;
	l->clock_ctx = ctx;
	loop_update_now(l);
}

int64_t loop_next_timer(const struct loop *l)
{
	return l->n_heap ? l->heap[0]->when : INT64_MAX;
}

bool loop_stop_requested(const struct loop *l)
{
	return l->stop;
}

const struct sig_backend *sig_backend_default(void)
{
#if SM_SIGNALS_SIGNALFD
	return &sig_backend_signalfd;
#else
	return &sig_backend_selfpipe;
#endif
}

int loop_new(struct loop **out, struct errbuf *e)
{
	return loop_new_with_signals(out, sig_backend_default(), e);
}

int loop_new_with_signals(struct loop **out, const struct sig_backend *sb, struct errbuf *e)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return err_set(e, -ENOMEM, "out of memory");
	l->sb = sb;
	r = sb->open(&l->sig, e);
	if (r) {
		free(l);
		return r;
	}
	sigaction(SIGPIPE, &ign, &l->old_pipe);
	l->now = mono_ms();
	*out = l;
	return 0;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n_fds; i++)
		free(l->fds[i]);
	free(l->fds);
	for (size_t i = 0; i < l->n_heap; i++)
		l->heap[i]->idx = SIZE_MAX;
	free(l->heap);
	free(l->children);
	free(l->pfd);
	free(l->snap);
	l->sb->close(l->sig);
	sigaction(SIGPIPE, &l->old_pipe, NULL);
	free(l);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static struct loop_fd *find_fd(struct loop *l, int fd)
{
	for (size_t i = 0; i < l->n_fds; i++)
		if (!l->fds[i]->dead && l->fds[i]->fd == fd)
			return l->fds[i];
	return NULL;
}

int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *arg)
{
	struct loop_fd *f;

	if (fd < 0)
		return -EBADF;
	if (find_fd(l, fd))
		return -EEXIST;
	if (grow((void **)&l->fds, &l->cap_fds, l->n_fds + 1, sizeof(*l->fds)))
		return -ENOMEM;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->events = events;
	f->cb = cb;
	f->arg = arg;
	l->fds[l->n_fds++] = f;
	return 0;
}

int loop_fd_modify(struct loop *l, int fd, unsigned events)
{
	struct loop_fd *f = find_fd(l, fd);

	if (!f)
		return -ENOENT;
	f->events = events;
	return 0;
}

void loop_fd_remove(struct loop *l, int fd)
{
	struct loop_fd *f = find_fd(l, fd);

	/* Freed after dispatch: the current round may still hold a pointer to it. */
	if (f) {
		f->dead = true;
		l->fds_dirty = true;
	}
}

static void compact_fds(struct loop *l)
{
	size_t j = 0;

	for (size_t i = 0; i < l->n_fds; i++) {
		if (l->fds[i]->dead)
			free(l->fds[i]);
		else
			l->fds[j++] = l->fds[i];
	}
	l->n_fds = j;
	l->fds_dirty = false;
}

/* Timer heap ordered by (when, seq). */
static bool before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void heap_set(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(t, l->heap[p]))
			break;
		heap_set(l, i, l->heap[p]);
		i = p;
	}
	heap_set(l, i, t);
}

static void sift_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= l->n_heap)
			break;
		if (c + 1 < l->n_heap && before(l->heap[c + 1], l->heap[c]))
			c++;
		if (!before(l->heap[c], t))
			break;
		heap_set(l, i, l->heap[c]);
		i = c;
	}
	heap_set(l, i, t);
}

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->idx = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

bool loop_timer_pending(const struct loop_timer *t)
{
	return t->idx != SIZE_MAX;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	size_t i = t->idx;
	struct loop_timer *last;

	if (i == SIZE_MAX)
		return;
	t->idx = SIZE_MAX;
	last = l->heap[--l->n_heap];
	if (i == l->n_heap)
		return;
	heap_set(l, i, last);
	sift_up(l, i);
	sift_down(l, last->idx);
}

int loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t delay_ms)
{
	loop_timer_cancel(l, t);
	if (grow((void **)&l->heap, &l->cap_heap, l->n_heap + 1, sizeof(*l->heap)))
		return -ENOMEM;
	t->when = l->now + (delay_ms > 0 ? delay_ms : 0);
	t->seq = l->seq++;
	heap_set(l, l->n_heap++, t);
	sift_up(l, t->idx);
	return 0;
}

static int route_signal(struct loop *l, int signo)
{
	int r;

	if (l->routed[signo])
		return 0;
	r = l->sb->watch(l->sig, signo);
	if (!r)
		l->routed[signo] = true;
	return r;
}

int loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	int r;

	if (signo <= 0 || signo >= NSIG || signo == SIGCHLD || signo == SIGKILL ||
	    signo == SIGSTOP)
		return -EINVAL;
	r = route_signal(l, signo);
	if (r)
		return r;
	l->sigs[signo].cb = cb;
	l->sigs[signo].arg = arg;
	return 0;
}

int loop_child_add(struct loop *l, pid_t pid, loop_child_cb cb, void *arg)
{
	struct loop_child *c;
	int r;

	if (pid <= 0)
		return -EINVAL;
	r = route_signal(l, SIGCHLD);
	if (r)
		return r;
	if (grow((void **)&l->children, &l->cap_children, l->n_children + 1,
		 sizeof(*l->children)))
		return -ENOMEM;
	c = &l->children[l->n_children++];
	c->pid = pid;
	c->dead = false;
	c->cb = cb;
	c->arg = arg;
	/* It may have ended before SIGCHLD was routed here (the signal was then discarded
	 * by its default action), so the next round looks without waiting for one. */
	l->reap_due = true;
	return 0;
}

void loop_child_forget(struct loop *l, pid_t pid)
{
	for (size_t i = 0; i < l->n_children; i++)
		if (l->children[i].pid == pid && !l->children[i].dead)
			l->children[i].cb = NULL;
}

/* SIGCHLD coalesces (two exits may give one signal), so every tracked child is
 * polled. Children the loop does not track are left to whoever started them. */
static void reap_children(struct loop *l)
{
	size_t j = 0;

	for (size_t i = 0; i < l->n_children; i++) {
		struct loop_child *c = &l->children[i];
		int status;
		pid_t r;

		if (c->dead)
			continue;
		do
			r = waitpid(c->pid, &status, WNOHANG);
		while (r < 0 && errno == EINTR);
		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			/* ECHILD: someone else reaped it; report it as lost. */
			c->dead = true;
			if (r < 0)
				status = 0x7f00; /* looks like "exited 127" */
			if (c->cb)
				c->cb(l, c->pid, status, c->arg);
		}
	}
	/* A callback may have added children (realloc moved the array): index again. */
	for (size_t i = 0; i < l->n_children; i++)
		if (!l->children[i].dead)
			l->children[j++] = l->children[i];
	l->n_children = j;
}

struct sig_round {
	struct loop *l;
	bool chld;
};

static void on_signal(void *arg, int signo)
{
	struct sig_round *sr = arg;
	struct loop *l = sr->l;

	if (signo == SIGCHLD)
		sr->chld = true;
	else if (l->sigs[signo].cb)
		l->sigs[signo].cb(l, signo, l->sigs[signo].arg);
}

static void read_signals(struct loop *l)
{
	struct sig_round sr = { .l = l, .chld = false };

	l->sb->drain(l->sig, on_signal, &sr);
	if (sr.chld)
		reap_children(l);
}

static void run_timers(struct loop *l)
{
	uint64_t round = l->seq;

	/* Timers armed during this round (even for "now") wait for the next one, so a
	 * timer re-arming itself with 0 ms cannot starve the fds. */
	while (l->n_heap && l->heap[0]->when <= l->now && l->heap[0]->seq < round) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		t->cb(l, t->arg);
	}
}

static unsigned to_poll(unsigned ev)
{
	return (ev & LOOP_READ ? POLLIN : 0) | (ev & LOOP_WRITE ? POLLOUT : 0);
}

int loop_run_once(struct loop *l, int timeout_ms)
{
	struct pollfd *pfd;
	struct loop_fd **snap;
	size_t n;
	int r, wait = timeout_ms;

	/* A round holds pointers into fds and the poll arrays; a nested round from a
	 * callback would compact and reuse them under it. */
	if (l->in_round)
		return -EBUSY;
	/* Before every poll, not only after a dispatch: timers and signal callbacks
	 * remove fds too, and poll() refuses (EINVAL) more entries than RLIMIT_NOFILE
	 * even when they are -1. Live entries are distinct open fds, so they fit. */
	if (l->fds_dirty)
		compact_fds(l);
	n = l->n_fds + 1;
	if (grow((void **)&l->pfd, &l->cap_pfd, n, sizeof(*l->pfd)) ||
	    grow((void **)&l->snap, &l->cap_snap, n, sizeof(*l->snap)))
		return -ENOMEM;
	pfd = l->pfd;
	snap = l->snap;

	loop_update_now(l);
	if (l->n_heap) {
		int64_t d = l->heap[0]->when - l->now;

		if (d < 0)
			d = 0;
		if (d > 86400000)
			d = 86400000;
		if (wait < 0 || d < wait)
			wait = (int)d;
	}
	if (l->reap_due)
		wait = 0;
	pfd[0] = (struct pollfd){ .fd = l->sb->fd(l->sig), .events = POLLIN };
	snap[0] = NULL;
	for (size_t i = 0; i < l->n_fds; i++) {
		snap[i + 1] = l->fds[i];
		pfd[i + 1] = (struct pollfd){ .fd = l->fds[i]->fd,
					      .events = (short)to_poll(l->fds[i]->events) };
	}
	r = poll(pfd, (nfds_t)n, wait);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	loop_update_now(l);
	l->in_round = true;
	for (size_t i = 1; i < n && r > 0; i++) {
		unsigned ev = 0;

		if (!pfd[i].revents || snap[i]->dead)
			continue;
		if (pfd[i].revents & POLLIN)
			ev |= LOOP_READ;
		if (pfd[i].revents & POLLOUT)
			ev |= LOOP_WRITE;
		if (pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL))
			ev |= LOOP_ERROR;
		snap[i]->cb(l, snap[i]->fd, ev, snap[i]->arg);
	}
	if (pfd[0].revents)
		read_signals(l);
	if (l->reap_due) {
		l->reap_due = false;
		reap_children(l);
	}
	run_timers(l);
	l->in_round = false;
	return 0;
}

int loop_run(struct loop *l)
{
	int r = 0;

	l->stop = false;
	while (!l->stop && !r)
		r = loop_run_once(l, -1);
	return r;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
