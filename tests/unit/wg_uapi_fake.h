/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake userspace WireGuard daemon for the unit tests, in a child process on a unix
 * socket in a temporary directory. Like wireguard-go's IpcHandle it serves several
 * operations on one connection, one after the other, and many connections at once. It
 * answers get=1 with a given reply and set=1 with errno=0 (or a given errno), and logs
 * every request to a file, with a "#connect" line for each accepted connection, so a
 * test can tell which requests shared a connection. Modes: silent (reads the request,
 * never answers), dribble (the reply one byte at a time, a few ms apart), one-shot
 * (closes after each answer, like a daemon without connection reuse). */
#ifndef WG_UAPI_FAKE_H
#define WG_UAPI_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	FAKE_SILENT = 1,
	FAKE_DRIBBLE = 2,
	FAKE_ONE_SHOT = 4,
	FAKE_SET_FAILS = 8,
	FAKE_DROP_SECOND = 16, /* closes, unanswered, at a connection's second request */
};

struct fake {
	char dir[64], path[100], log[100];
	pid_t pid;
};

struct fake_conn {
	int fd;
	char in[65536];
	size_t in_len;
	const char *out;
	size_t out_len, out_off;
	bool close_after;
	unsigned served;
};

static void fake_log(const char *logpath, const char *s, size_t n)
{
	FILE *f = fopen(logpath, "a");

	if (f) {
		fwrite(s, 1, n, f);
		fclose(f);
	}
}

/* A complete request in c->in: its length, else 0. */
static size_t fake_request_end(const struct fake_conn *c)
{
	if (c->in_len >= 7 && !memcmp(c->in, "get=1\n\n", 7))
		return 7;
	for (size_t i = 1; i < c->in_len; i++)
		if (c->in[i] == '\n' && c->in[i - 1] == '\n')
			return i + 1;
	return 0;
}

static void fake_serve(int lfd, const char *reply, const char *logpath, unsigned mode)
{
	static struct fake_conn conns[16];
	static const char set_ok[] = "errno=0\n\n", set_bad[] = "errno=-22\n\n";
	size_t n_conns = 0;

	for (;;) {
		struct pollfd pfd[17];
		bool dribbling = false;

		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (size_t i = 0; i < n_conns; i++) {
			pfd[i + 1] = (struct pollfd){ .fd = conns[i].fd, .events = POLLIN };
			/* dribbling: a byte per wakeup, a wakeup every 3 ms */
			if (conns[i].out && conns[i].out_off < conns[i].out_len) {
				if (mode & FAKE_DRIBBLE)
					dribbling = true;
				else
					pfd[i + 1].events |= POLLOUT;
			}
		}
		if (poll(pfd, n_conns + 1, dribbling ? 3 : -1) < 0 && errno != EINTR)
			_exit(1);
		if ((pfd[0].revents & POLLIN) && n_conns < 16) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0) {
				memset(&conns[n_conns], 0, sizeof(conns[0]));
				conns[n_conns++].fd = c;
				fake_log(logpath, "#connect\n", 9);
			}
		}
		for (size_t i = 0; i < n_conns; i++) {
			struct fake_conn *c = &conns[i];
			bool gone = false;

			if (pfd[i + 1].revents & POLLIN) {
				ssize_t k = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);

				if (k <= 0)
					gone = true;
				else
					c->in_len += (size_t)k;
			}
			if (!gone && !c->out && !(mode & FAKE_SILENT)) {
				size_t end = fake_request_end(c);

				if (end && (mode & FAKE_DROP_SECOND) && c->served == 1) {
					fake_log(logpath, "#dropped\n", 9);
					gone = true;
				} else if (end) {
					bool get = !memcmp(c->in, "get=1\n", 6);

					c->served++;
					fake_log(logpath, c->in, end);
					memmove(c->in, c->in + end, c->in_len - end);
					c->in_len -= end;
					c->out = get ? reply : (mode & FAKE_SET_FAILS) ? set_bad : set_ok;
					c->out_len = strlen(c->out);
					c->out_off = 0;
					c->close_after = mode & FAKE_ONE_SHOT;
				}
			} else if (!gone && (mode & FAKE_SILENT) && fake_request_end(c)) {
				size_t end = fake_request_end(c);

				fake_log(logpath, c->in, end);
				memmove(c->in, c->in + end, c->in_len - end);
				c->in_len -= end;
			}
			if (!gone && c->out && c->out_off < c->out_len) {
				size_t want = (mode & FAKE_DRIBBLE) ? 1 : c->out_len - c->out_off;
				ssize_t k = write(c->fd, c->out + c->out_off, want);

				if (k < 0 && errno != EAGAIN)
					gone = true;
				else if (k > 0)
					c->out_off += (size_t)k;
			}
			if (!gone && c->out && c->out_off == c->out_len) {
				c->out = NULL;
				gone = c->close_after;
			}
			if (gone) {
				close(c->fd);
				conns[i--] = conns[--n_conns];
				pfd[i + 2] = pfd[n_conns + 1];
			}
		}
	}
}

static void fake_start_at(struct fake *fk, const char *reply, unsigned mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", fk->path);
	unlink(fk->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	fk->pid = fork();
	assert_true(fk->pid >= 0);
	if (fk->pid == 0) {
		/* A failed assertion skips fake_stop: go with the test program. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGPIPE, SIG_IGN);
		fake_serve(lfd, reply, fk->log, mode);
	}
	close(lfd);
}

/* A fake serving <tmpdir>/smt0.sock. */
static void fake_start(struct fake *fk, const char *reply, unsigned mode)
{
	snprintf(fk->dir, sizeof(fk->dir), "/tmp/sm-uapi-test.XXXXXX");
	assert_non_null(mkdtemp(fk->dir));
	snprintf(fk->path, sizeof(fk->path), "%s/smt0.sock", fk->dir);
	snprintf(fk->log, sizeof(fk->log), "%s/requests", fk->dir);
	fake_start_at(fk, reply, mode);
}

/* Stops the daemon (its connections close) and starts a new one on the same path. */
static void fake_restart(struct fake *fk, const char *reply, unsigned mode)
{
	kill(fk->pid, SIGKILL);
	waitpid(fk->pid, NULL, 0);
	fake_start_at(fk, reply, mode);
}

static char *fake_requests(struct fake *fk)
{
	static char buf[65536];
	FILE *f = fopen(fk->log, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void fake_stop(struct fake *fk)
{
	kill(fk->pid, SIGKILL);
	waitpid(fk->pid, NULL, 0);
	unlink(fk->path);
	unlink(fk->log);
	rmdir(fk->dir);
}

#endif
