/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The service manager's readiness protocol (systemd's sd_notify): one datagram of
 * NAME=value lines to the AF_UNIX socket named in $NOTIFY_SOCKET ("/path" or "@abstract").
 * Written here rather than linked from libsystemd: the protocol is a sendto() of a few
 * lines, and libsystemd would add a library (and its dependencies) to every router build.
 * With no socket configured every call is a no-op returning 0, so callers need no check. */
#ifndef SM_SDNOTIFY_H
#define SM_SDNOTIFY_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/util.h"

struct sdnotify {
	int fd; /* -1 when disabled */
	struct sockaddr_un addr;
	socklen_t addrlen;
};

/* Longest STATUS= text sent; longer text is cut (a status line, not a report). */
#define SDNOTIFY_STATUS_MAX 200

/* Prepares n for the socket named by addr (the value of $NOTIFY_SOCKET, which the caller
 * reads: NULL or "" disables n and returns 0). A name that is neither "/absolute" nor
 * "@abstract", or too long for sockaddr_un, is -EINVAL (-EAFNOSUPPORT for systemd's
 * "vsock:" form, which a host's service manager does not give a local daemon), with
 * words in e. Nothing is sent yet: a manager that is not listening shows on the first
 * send. */
int sdnotify_open(struct sdnotify *n, const char *addr, struct errbuf *e);
void sdnotify_close(struct sdnotify *n);
/* Whether messages go anywhere. */
int sdnotify_enabled(const struct sdnotify *n);

/* Sends msg as one datagram, never blocking (a full queue is -EAGAIN; the manager would
 * rather miss a STATUS= than have the daemon stall). 0 or -errno. */
int sdnotify_send(const struct sdnotify *n, const char *msg);

/* READY=1, with STATUS=status when status is not NULL. */
int sdnotify_ready(const struct sdnotify *n, const char *status);
/* RELOADING=1 with MONOTONIC_USEC= now on CLOCK_MONOTONIC, as systemd requires so it can
 * tell this reload from an older one; READY=1 (sdnotify_ready) ends the reload. */
int sdnotify_reloading(const struct sdnotify *n);
/* STOPPING=1. */
int sdnotify_stopping(const struct sdnotify *n);
/* STATUS=text, control characters turned into spaces (a newline would start another
 * assignment: peer names from the configuration must not say READY=1) and cut at
 * SDNOTIFY_STATUS_MAX bytes. */
int sdnotify_status(const struct sdnotify *n, const char *text);

#endif
