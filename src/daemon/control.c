/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/control.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REQUEST_MAX 256
#define DEFAULT_DEADLINE_MS 5000
#define DEFAULT_MAX_CLIENTS 16
#define ACCEPTS_PER_WAKEUP 16
#define CLIENT_TIMEOUT_MS 5000 /* control_request's own wait for the daemon */

struct ctl_client {
	struct control *c;
	struct ctl_client *next;
	int fd;
	char req[REQUEST_MAX + 1];
	size_t req_len;
	char *out; /* the answer, once the request is complete */
	size_t out_len, out_off;
	struct loop_timer deadline;
};

struct control {
	struct loop *loop;
	const struct logger *log;
	struct control_limits lim;
	control_handler handler;
	void *arg;
	int fd;
	char *path;
	struct ctl_client *clients;
	size_t n_clients;
};

static int fill_addr(struct sockaddr_un *sun, const char *path, struct errbuf *e)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return err_set(e, -ENAMETOOLONG, "control socket path too long: %s", path);
	strcpy(sun->sun_path, path);
	return 0;
}

/* ---- server: one small state machine per client -------------------------------------- */

static void client_close(struct ctl_client *cl)
{
	struct control *c = cl->c;

	for (struct ctl_client **pp = &c->clients; *pp; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	c->n_clients--;
	loop_timer_cancel(c->loop, &cl->deadline);
	loop_fd_remove(c->loop, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

static void client_deadline(struct loop *l, void *arg)
{
	struct ctl_client *cl = arg;

	(void)l;
	log_debug(cl->c->log, "control: a client took too long; dropped");
	client_close(cl);
}

/* Writes what the socket takes now; true when the client is done with. */
static bool client_write(struct ctl_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0)
			return true; /* the client went away */
		cl->out_off += (size_t)n;
	}
	return true;
}

/* The request is complete (a newline, EOF or the size limit): answer it. */
static bool client_answer(struct ctl_client *cl)
{
	struct control *c = cl->c;

	cl->req[cl->req_len] = '\0';
	cl->req[strcspn(cl->req, "\r\n")] = '\0';
	cl->out = c->handler(c->arg, cl->req, &cl->out_len);
	if (!cl->out)
		return true;
	if (client_write(cl))
		return true;
	loop_fd_modify(c->loop, cl->fd, LOOP_WRITE);
	return false;
}

/* Reads what has arrived; true when the client is done with. */
static bool client_read(struct ctl_client *cl)
{
	for (;;) {
		ssize_t n = recv(cl->fd, cl->req + cl->req_len, REQUEST_MAX - cl->req_len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0)
			return true;
		cl->req_len += (size_t)n;
		if (n == 0 || cl->req_len == REQUEST_MAX || memchr(cl->req, '\n', cl->req_len))
			return client_answer(cl);
	}
}

static void on_client(struct loop *l, int fd, unsigned events, void *arg)
{
	struct ctl_client *cl = arg;
	bool done;

	(void)l;
	(void)fd;
	if (cl->out)
		done = (events & LOOP_ERROR) || client_write(cl);
	else
		done = client_read(cl) || (events & LOOP_ERROR && !cl->out);
	if (done)
		client_close(cl);
}

static void client_new(struct control *c, int fd)
{
	struct ctl_client *cl = calloc(1, sizeof(*cl));

	if (!cl || loop_fd_add(c->loop, fd, LOOP_READ, on_client, cl)) {
		free(cl);
		close(fd);
		return;
	}
	cl->c = c;
	cl->fd = fd;
	loop_timer_init(&cl->deadline, client_deadline, cl);
	loop_timer_arm(c->loop, &cl->deadline, c->lim.client_deadline_ms);
	cl->next = c->clients;
	c->clients = cl;
	c->n_clients++;
}

static void on_accept(struct loop *l, int fd, unsigned events, void *arg)
{
	static const char busy[] = "error: busy, try again\n";
	struct control *c = arg;

	(void)l;
	(void)events;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0)
			return;
		if (c->n_clients >= c->lim.max_clients) {
			/* one try, never a wait: a full socket just closes */
			if (send(cfd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug(c->log, "control: could not tell a client we are busy");
			close(cfd);
			continue;
		}
		client_new(c, cfd);
	}
}

/* ---- the listening socket ------------------------------------------------------------ */

/* The socket file's directory is made private (an existing one is used as it is); a
 * socket file left by a daemon that died is replaced, unless one still answers. */
static int prepare_path(const char *path, const struct sockaddr_un *sun, struct errbuf *e)
{
	char *dir_copy = strdup(path);
	struct stat st;
	int fd, r = 0;

	if (!dir_copy)
		return err_set(e, -ENOMEM, "out of memory");
	if (mkdir(dirname(dir_copy), 0700) && errno != EEXIST)
		r = err_set(e, -errno, "cannot create %s: %s", dir_copy, strerror(errno));
	free(dir_copy);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (r == 0)
		return err_set(e, -EADDRINUSE, "another stunmesh answers on %s", path);
	/* only a socket is ours to replace: a mistyped path must not delete a file */
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return err_set(e, -EEXIST, "%s exists and is not a socket; not replacing it", path);
	unlink(path);
	return 0;
}

int control_open(struct loop *l, const struct logger *log, const char *path,
		 const struct control_limits *limits, control_handler handler, void *arg,
		 struct control **out, struct errbuf *e)
{
	struct sockaddr_un sun;
	struct control *c = NULL;
	int fd = -1, r;
	mode_t old;

	if ((r = fill_addr(&sun, path, e)) || (r = prepare_path(path, &sun, e)))
		return r;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = err_set(e, -errno, "socket: %s", strerror(errno));
		goto fail;
	}
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r || listen(fd, 8)) {
		r = err_set(e, -errno, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	chmod(path, 0600);
	if ((r = loop_fd_add(l, fd, LOOP_READ, on_accept, c))) {
		err_set(e, r, "cannot watch the control socket");
		unlink(path);
		goto fail;
	}
	c->loop = l;
	c->log = log;
	c->lim.client_deadline_ms = limits ? limits->client_deadline_ms : DEFAULT_DEADLINE_MS;
	c->lim.max_clients = limits ? limits->max_clients : DEFAULT_MAX_CLIENTS;
	c->handler = handler;
	c->arg = arg;
	c->fd = fd;
	*out = c;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (c)
		free(c->path);
	free(c);
	return r;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	while (c->clients)
		client_close(c->clients);
	loop_fd_remove(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

size_t control_clients(const struct control *c)
{
	return c ? c->n_clients : 0;
}

/* ---- client ---------------------------------------------------------------------------- */

static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

int control_request(const char *path, const char *request, FILE *out, struct errbuf *e)
{
	struct timeval tv = { .tv_sec = CLIENT_TIMEOUT_MS / 1000 };
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
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	send_all(fd, request, strlen(request));
	send_all(fd, "\n", 1);
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
