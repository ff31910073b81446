/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "lib/loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
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
	int sfd;
	sigset_t mask;	   /* signals routed to sfd */
	sigset_t old_mask; /* the process mask before loop_new, restored by loop_free */
	struct sigaction old_pipe;
	struct loop_fd **fds;
	size_t n_fds, cap_fds;
	bool fds_dirty;
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

int loop_new(struct loop **out, struct errbuf *e)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return err_set(e, -ENOMEM, "out of memory");
	sigemptyset(&l->mask);
	l->sfd = signalfd(-1, &l->mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sfd < 0) {
		int r = -errno;

		free(l);
		return err_set(e, r, "signalfd: %s", strerror(-r));
	}
	sigprocmask(SIG_BLOCK, NULL, &l->old_mask);
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
	close(l->sfd);
	sigprocmask(SIG_SETMASK, &l->old_mask, NULL);
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
	sigset_t one;

	if (sigismember(&l->mask, signo) == 1)
		return 0;
	sigaddset(&l->mask, signo);
	if (signalfd(l->sfd, &l->mask, 0) < 0) {
		int r = -errno;

		sigdelset(&l->mask, signo);
		return r;
	}
	sigemptyset(&one);
	sigaddset(&one, signo);
	/* Blocked so the signal queues for the signalfd instead of running its default
	 * action. Single-threaded, so sigprocmask is the thread's mask. */
	sigprocmask(SIG_BLOCK, &one, NULL);
	return 0;
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

static void read_signals(struct loop *l)
{
	struct signalfd_siginfo si;
	bool chld = false;

	while (read(l->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo == SIGCHLD)
			chld = true;
		else if (signo > 0 && signo < NSIG && l->sigs[signo].cb)
			l->sigs[signo].cb(l, signo, l->sigs[signo].arg);
	}
	if (chld)
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
	size_t n = l->n_fds + 1;
	struct pollfd *pfd;
	struct loop_fd **snap;
	int r, wait = timeout_ms;

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
	pfd = calloc(n, sizeof(*pfd));
	snap = calloc(n, sizeof(*snap));
	if (!pfd || !snap) {
		r = -ENOMEM;
		goto out;
	}
	pfd[0].fd = l->sfd;
	pfd[0].events = POLLIN;
	for (size_t i = 0; i < l->n_fds; i++) {
		snap[i + 1] = l->fds[i];
		pfd[i + 1].fd = l->fds[i]->dead ? -1 : l->fds[i]->fd;
		pfd[i + 1].events = (short)to_poll(l->fds[i]->events);
	}
	r = poll(pfd, n, wait);
	if (r < 0) {
		r = errno == EINTR ? 0 : -errno;
		goto out;
	}
	loop_update_now(l);
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
	if (l->fds_dirty)
		compact_fds(l);
	run_timers(l);
	r = 0;
out:
	free(pfd);
	free(snap);
	return r;
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
