/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signals through a signalfd: the routed signals are blocked, so they queue for the
 * descriptor instead of running their default action, and no handler ever runs. The
 * loop is single-threaded, so sigprocmask is the thread's mask; threads other libraries
 * start (glibc's getaddrinfo_a helpers) block every signal themselves. */
#include "lib/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct sig_source {
	int fd;
	sigset_t mask;	   /* signals routed to fd */
	sigset_t old_mask; /* the process mask before open, restored by close */
};

static int sfd_open(struct sig_source **out, struct errbuf *e)
{
	struct sig_source *s = calloc(1, sizeof(*s));

	if (!s)
		return err_set(e, -ENOMEM, "out of memory");
	sigemptyset(&s->mask);
	s->fd = signalfd(-1, &s->mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->fd < 0) {
		int r = -errno;

		free(s);
		return err_set(e, r, "signalfd: %s", strerror(-r));
	}
	sigprocmask(SIG_BLOCK, NULL, &s->old_mask);
	*out = s;
	return 0;
}

static void sfd_close(struct sig_source *s)
{
	if (!s)
		return;
	close(s->fd);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	free(s);
}

static int sfd_fd(const struct sig_source *s)
{
	return s->fd;
}

static int sfd_watch(struct sig_source *s, int signo)
{
	sigset_t one;

	if (sigismember(&s->mask, signo) == 1)
		return 0;
	sigaddset(&s->mask, signo);
	if (signalfd(s->fd, &s->mask, 0) < 0) {
		int r = -errno;

		sigdelset(&s->mask, signo);
		return r;
	}
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigprocmask(SIG_BLOCK, &one, NULL);
	return 0;
}

static void sfd_drain(struct sig_source *s, sig_fn fn, void *arg)
{
	struct signalfd_siginfo si;

	while (read(s->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo;

		if (signo > 0 && signo < NSIG)
			fn(arg, signo);
	}
}

const struct sig_backend sig_backend_signalfd = {
	.name = "signalfd",
	.open = sfd_open,
	.close = sfd_close,
	.fd = sfd_fd,
	.watch = sfd_watch,
	.drain = sfd_drain,
};
