/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon's control socket: a unix stream socket only root can open (0600 in a
 * 0700 directory). A client writes one line and reads the answer until EOF:
 *   "status"        the status as text
 *   "status json"   the status as one JSON object
 *   "refresh [PEER]" re-discover and re-fetch now (all peers or the named one)
 * control_request() is the client side, used by `stunmesh status` and `refresh`. */
#ifndef SM_CONTROL_H
#define SM_CONTROL_H

#include <stdio.h>

#include "lib/util.h"

struct engine;

int control_open(struct engine *eng, const char *path, struct errbuf *e);
void control_close(struct engine *eng);

/* Sends request to the daemon at path and copies the answer to out. 0 or -errno (with
 * words in e: -ENOENT/-ECONNREFUSED mean no daemon is running). */
int control_request(const char *path, const char *request, FILE *out, struct errbuf *e);

#endif
