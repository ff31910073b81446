/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/control.h"
#include "daemon/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX 256
#define CLIENT_DEADLINE_MS 500 /* a client gets this long, in all, to ask and to read */

static int fill_addr(struct sockaddr_un *sun, const char *path, struct errbuf *e)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return err_set(e, -ENAMETOOLONG, "control socket path too long: %s", path);
	strcpy(sun->sun_path, path);
	return 0;
}

static void set_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready until the absolute deadline; false when time is up. */
static bool wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left = deadline - mono_ms();

	if (left <= 0)
		return false;
	return poll(&pfd, 1, (int)left) > 0;
}

/* With a deadline for the whole answer: a client that reads slowly costs the loop
 * that long at most, not a timeout per send. */
static void send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n;

		if (deadline && !wait_fd(fd, POLLOUT, deadline))
			return;
		n = send(fd, buf, len, MSG_NOSIGNAL | (deadline ? MSG_DONTWAIT : 0));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* One request per connection. The client is root (the socket is 0600), so a short
 * blocking read with a timeout is simpler than per-client state and costs at most
 * that timeout if a client stalls. */
static void on_accept(struct loop *l, int fd, unsigned events, void *arg)
{
	struct engine *eng = arg;
	char req[REQUEST_MAX + 1];
	int64_t deadline = mono_ms() + CLIENT_DEADLINE_MS;
	size_t len = 0;
	int c;

	(void)l;
	(void)events;
	c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0)
		return;
	while (len < REQUEST_MAX && wait_fd(c, POLLIN, deadline)) {
		ssize_t n = recv(c, req + len, REQUEST_MAX - len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(req, '\n', len))
			break;
	}
	req[len] = '\0';
	req[strcspn(req, "\r\n")] = '\0';
	if (!strcmp(req, "status json")) {
		char *js = engine_status_json(eng);

		if (js) {
			send_all(c, js, strlen(js), deadline);
			send_all(c, "\n", 1, deadline);
		}
		free(js);
	} else if (!strcmp(req, "status")) {
		char *text = NULL;
		size_t tlen = 0;
		FILE *f = open_memstream(&text, &tlen);

		if (f) {
			engine_status_text(eng, f);
			fclose(f);
			send_all(c, text, tlen, deadline);
		}
		free(text);
	} else if (!strncmp(req, "refresh", 7) && (req[7] == '\0' || req[7] == ' ')) {
		const char *peer = req[7] ? req + 8 : NULL;
		size_t n = engine_refresh(eng, peer && *peer ? peer : NULL);
		char msg[128];

		snprintf(msg, sizeof(msg), n ? "refreshing %zu peer%s\n" : "error: no such peer\n", n,
			 n == 1 ? "" : "s");
		send_all(c, msg, strlen(msg), deadline);
		log_info(eng->log, "refresh requested for %s (%zu peer%s)",
			 peer && *peer ? peer : "all peers", n, n == 1 ? "" : "s");
	} else {
		static const char msg[] = "error: unknown request (status, status json, refresh [PEER])\n";

		send_all(c, msg, sizeof(msg) - 1, deadline);
	}
	close(c);
}

int control_open(struct engine *eng, const char *path, struct errbuf *e)
{
	struct sockaddr_un sun;
	char *dir_copy = NULL;
	struct stat st;
	int fd = -1, r;
	mode_t old;

	if ((r = fill_addr(&sun, path, e)))
		return r;
	dir_copy = strdup(path);
	if (!dir_copy)
		return err_set(e, -ENOMEM, "out of memory");
	/* the directory is made private; an existing one is used as it is */
	if (mkdir(dirname(dir_copy), 0700) && errno != EEXIST) {
		r = err_set(e, -errno, "cannot create %s: %s", dir_copy, strerror(errno));
		goto out;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = err_set(e, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	/* a socket file left by a daemon that died: remove it, unless one still answers */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
		r = err_set(e, -EADDRINUSE, "another stunmesh answers on %s", path);
		goto out;
	}
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = err_set(e, -errno, "socket: %s", strerror(errno));
		goto out;
	}
	/* only a socket is ours to replace: a mistyped path must not delete a file */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		r = err_set(e, -EEXIST, "%s exists and is not a socket; not replacing it", path);
		goto out;
	}
	unlink(path);
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r || listen(fd, 8)) {
		r = err_set(e, -errno, "cannot listen on %s: %s", path, strerror(errno));
		goto out;
	}
	chmod(path, 0600);
	if ((r = loop_fd_add(eng->loop, fd, LOOP_READ, on_accept, eng))) {
		err_set(e, r, "cannot watch the control socket");
		unlink(path);
		goto out;
	}
	eng->control_fd = fd;
	eng->control_path = strdup(path);
	fd = -1;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir_copy);
	return r;
}

void control_close(struct engine *eng)
{
	if (eng->control_fd < 0)
		return;
	loop_fd_remove(eng->loop, eng->control_fd);
	close(eng->control_fd);
	eng->control_fd = -1;
	if (eng->control_path)
		unlink(eng->control_path);
	free(eng->control_path);
	eng->control_path = NULL;
}

int control_request(const char *path, const char *request, FILE *out, struct errbuf *e)
{
	struct sockaddr_un sun;
	char buf[4096];
	int fd, r;

	if ((r = fill_addr(&sun, path, e)))
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		r = -errno;
		err_set(e, r, "cannot reach the daemon at %s: %s%s", path, strerror(errno),
			r == -ENOENT || r == -ECONNREFUSED ? " (is stunmesh running?)" :
			r == -EACCES ? " (run as root)" : "");
		close(fd);
		return r;
	}
	set_timeouts(fd, 5000);
	send_all(fd, request, strlen(request), 0);
	send_all(fd, "\n", 1, 0);
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, out);
	}
	close(fd);
	return 0;
}
