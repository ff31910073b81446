/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signals through a self-pipe, for systems without signalfd: a handler marks the signal
 * pending and writes one byte to a non-blocking pipe whose read end the loop polls;
 * drain empties the pipe and reports the pending marks. A full pipe only drops wake-up
 * bytes, never a signal: the marks are separate from the bytes.
 *
 * A handler gets no argument, so where it writes has to be process-wide state: the two
 * statics below are the program's only mutable globals outside main.c, and they are
 * why a second self-pipe source cannot be opened while one is (-EBUSY). Only
 * async-signal-safe calls happen in the handler (write, and errno is preserved). */
#include "lib/signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t sp_pending[NSIG];
static volatile sig_atomic_t sp_wfd = -1;

struct sig_source {
	int rfd, wfd;
	sigset_t old_mask; /* restored by close */
	bool watched[NSIG];
	struct sigaction old[NSIG];
};

static void sp_handler(int signo)
{
	int saved = errno;
	char b = 0;

	if (signo > 0 && signo < NSIG)
		sp_pending[signo] = 1;
	if (write(sp_wfd, &b, 1) < 0) {
		/* full: a wake-up is already queued */
	}
	errno = saved;
}

static int set_flags(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

static int sp_open(struct sig_source **out, struct errbuf *e)
{
	struct sig_source *s;
	int p[2], r;

	if (sp_wfd != -1)
		return err_set(e, -EBUSY, "a self-pipe signal source is already open");
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(e, -ENOMEM, "out of memory");
	/* pipe + fcntl rather than pipe2: pipe2 is not in every libc this is for. */
	if (pipe(p) < 0) {
		r = -errno;
		free(s);
		return err_set(e, r, "pipe: %s", strerror(-r));
	}
	r = set_flags(p[0]);
	if (!r)
		r = set_flags(p[1]);
	if (r) {
		close(p[0]);
		close(p[1]);
		free(s);
		return err_set(e, r, "pipe flags: %s", strerror(-r));
	}
	s->rfd = p[0];
	s->wfd = p[1];
	sigprocmask(SIG_BLOCK, NULL, &s->old_mask);
	for (int i = 0; i < NSIG; i++)
		sp_pending[i] = 0;
	sp_wfd = s->wfd;
	*out = s;
	return 0;
}

static void sp_close(struct sig_source *s)
{
	if (!s)
		return;
	for (int i = 1; i < NSIG; i++)
		if (s->watched[i])
			sigaction(i, &s->old[i], NULL);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	sp_wfd = -1;
	close(s->rfd);
	close(s->wfd);
	free(s);
}

static int sp_fd(const struct sig_source *s)
{
	return s->rfd;
}

static int sp_watch(struct sig_source *s, int signo)
{
	struct sigaction sa;
	sigset_t one;

	if (signo <= 0 || signo >= NSIG)
		return -EINVAL;
	if (s->watched[signo])
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sp_handler;
	/* SA_RESTART: code elsewhere doing a blocking call is not cut short by a
	 * signal the loop will handle anyway (poll itself still wakes with EINTR). */
	sa.sa_flags = SA_RESTART | (signo == SIGCHLD ? SA_NOCLDSTOP : 0);
	sigfillset(&sa.sa_mask);
	if (sigaction(signo, &sa, &s->old[signo]) < 0)
		return -errno;
	s->watched[signo] = true;
	/* A blocked signal would never reach the handler. */
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	return 0;
}

static void sp_drain(struct sig_source *s, sig_fn fn, void *arg)
{
	char buf[64];

	while (read(s->rfd, buf, sizeof(buf)) > 0)
		;
	/* Cleared before the callback: an arrival during it marks it again and writes
	 * a new byte, so it is seen next round. */
	for (int i = 1; i < NSIG; i++) {
		if (!s->watched[i] || !sp_pending[i])
			continue;
		sp_pending[i] = 0;
		fn(arg, i);
	}
}

const struct sig_backend sig_backend_selfpipe = {
	.name = "self-pipe",
	.open = sp_open,
	.close = sp_close,
	.fd = sp_fd,
	.watch = sp_watch,
	.drain = sp_drain,
};
