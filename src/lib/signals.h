/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How the event loop hears signals: one small interface, one backend per way of doing
 * it, the default chosen by the Makefile (SIGNALS=signalfd|selfpipe, from PLATFORM).
 *
 *  - signalfd (signals-linux.c): routed signals stay blocked and are read from a
 *    descriptor. No handler, no global state, nothing runs asynchronously.
 *  - self-pipe (signals-posix.c): works on any POSIX system. A handler notes the
 *    signal and writes a byte to a pipe the loop polls; that handler needs the one
 *    piece of process-wide state (where to write), so one self-pipe source at a time.
 *
 * Internal to src/lib: loop.c is the only caller, and the tests reach both backends
 * through loop_new_with_signals. */
#ifndef SM_SIGNALS_H
#define SM_SIGNALS_H

#include "lib/util.h"

struct loop;
struct sig_source;

typedef void (*sig_fn)(void *arg, int signo);

struct sig_backend {
	const char *name;
	int (*open)(struct sig_source **out, struct errbuf *e);
	/* Gives back what open and watch changed (signal mask, handlers). */
	void (*close)(struct sig_source *s);
	/* Readable when drain has something to report. */
	int (*fd)(const struct sig_source *s);
	/* From now on signo comes here instead of taking its default action. */
	int (*watch)(struct sig_source *s, int signo);
	/* Calls fn for each signal that arrived since the last drain. Several arrivals
	 * of one signal may come as one call, as the kernel merges them too. */
	void (*drain)(struct sig_source *s, sig_fn fn, void *arg);
};

extern const struct sig_backend sig_backend_selfpipe;
#if SM_PLATFORM_LINUX
extern const struct sig_backend sig_backend_signalfd;
#endif

/* The build's choice (see the Makefile's SIGNALS). */
const struct sig_backend *sig_backend_default(void);

/* loop_new with a given backend. */
int loop_new_with_signals(struct loop **out, const struct sig_backend *sb, struct errbuf *e);

#endif
