/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's control socket: a unix stream socket only root can open (0600 in a
 * 0700 directory). A client writes one line and reads the answer until EOF; what a
 * request means is the handler's business (engine-control.c):
 *   "status"        the status as text
 *   "status json"   the status as one JSON object
 *   "refresh [PEER]" re-discover and re-fetch now (all peers or the named one)
 * The server never blocks the loop: clients are read and written as their sockets
 * allow, each within a deadline, and only so many at once.
 * control_request() is the client side, used by `stunmesh status` and `refresh`. */
#ifndef SM_CONTROL_H
#define SM_CONTROL_H

#include <stddef.h>
#include <stdio.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

struct control;

/* Answers one request line (without its newline): a malloc'd answer of *len bytes, or
 * NULL when there is none (out of memory; the client then reads nothing). */
typedef char *(*control_handler)(void *arg, const char *request, size_t *len);

struct control_limits {
	int64_t client_deadline_ms; /* to send the request and read the answer, in all */
	size_t max_clients;	    /* more at once are turned away */
};

/* Listens on path; requests go to handler(arg, ...). limits NULL: 5 s, 16 clients. */
int control_open(struct loop *l, const struct logger *log, const char *path,
		 const struct control_limits *limits, control_handler handler, void *arg,
		 struct control **out, struct errbuf *e);
/* Closes the socket and every client, removes the socket file. NULL is fine. */
void control_close(struct control *c);
/* Clients being served right now. */
size_t control_clients(const struct control *c);

/* Sends request to the daemon at path and copies the answer to out. 0 or -errno (with
 * words in e: -ENOENT/-ECONNREFUSED mean no daemon is running). */
int control_request(const char *path, const char *request, FILE *out, struct errbuf *e);

#endif
