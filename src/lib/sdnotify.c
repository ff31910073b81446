/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify in a few lines; see sdnotify.h for why it is not libsystemd. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/sdnotify.h"

int sdnotify_open(struct sdnotify *n, const char *addr, struct errbuf *e)
{
	size_t len;
	int fd;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (!addr || !*addr)
		return 0;
	if (strncmp(addr, "vsock:", 6) == 0)
		return err_set(e, -EAFNOSUPPORT, "NOTIFY_SOCKET %s: vsock is not supported", addr);
	if (addr[0] != '/' && addr[0] != '@')
		return err_set(e, -EINVAL, "NOTIFY_SOCKET %s: not an absolute path or @name", addr);
	len = strlen(addr);
	if (len >= sizeof(n->addr.sun_path))
		return err_set(e, -EINVAL, "NOTIFY_SOCKET: name longer than %zu bytes",
			       sizeof(n->addr.sun_path) - 1);
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, addr, len);
	if (addr[0] == '@') {
		/* abstract namespace: a leading NUL, and the length says where the name ends */
		n->addr.sun_path[0] = '\0';
		n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		n->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(e, -errno, "NOTIFY_SOCKET: socket: %s", strerror(errno));
	n->fd = fd;
	return 0;
}

void sdnotify_close(struct sdnotify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
}

int sdnotify_enabled(const struct sdnotify *n)
{
	return n->fd >= 0;
}

int sdnotify_send(const struct sdnotify *n, const char *msg)
{
	ssize_t r;

	if (n->fd < 0)
		return 0;
	r = sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL, (const struct sockaddr *)&n->addr,
		   n->addrlen);
	if (r < 0)
		return -errno;
	return (size_t)r == strlen(msg) ? 0 : -EMSGSIZE;
}

/* Appends "STATUS=<text>\n" to buf (which holds used bytes) with the text cleaned. */
static void put_status(char *buf, size_t size, size_t used, const char *text)
{
	size_t i, max = SDNOTIFY_STATUS_MAX;

	used += (size_t)snprintf(buf + used, size - used, "STATUS=");
	for (i = 0; text[i] && i < max && used + 2 < size; i++) {
		unsigned char c = (unsigned char)text[i];

		buf[used++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	buf[used++] = '\n';
	buf[used] = '\0';
}

int sdnotify_ready(const struct sdnotify *n, const char *status)
{
	char buf[SDNOTIFY_STATUS_MAX + 32];

	snprintf(buf, sizeof(buf), "READY=1\n");
	if (status)
		put_status(buf, sizeof(buf), strlen(buf), status);
	return sdnotify_send(n, buf);
}

int sdnotify_reloading(const struct sdnotify *n)
{
	struct timespec ts;
	char buf[64];

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return -errno;
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu\n",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
	return sdnotify_send(n, buf);
}

int sdnotify_stopping(const struct sdnotify *n)
{
	return sdnotify_send(n, "STOPPING=1\n");
}

int sdnotify_status(const struct sdnotify *n, const char *text)
{
	char buf[SDNOTIFY_STATUS_MAX + 16];

	buf[0] = '\0';
	put_status(buf, sizeof(buf), 0, text);
	return sdnotify_send(n, buf);
}
