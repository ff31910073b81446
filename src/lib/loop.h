/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: one thread, poll(2) over registered fds, a min-heap of timers on
 * CLOCK_MONOTONIC (milliseconds), signals through a small backend (lib/signals.h: a
 * signalfd on Linux, a self-pipe elsewhere), and child processes reaped on SIGCHLD
 * with a callback per child. The loop is passed explicitly; there is no global state
 * (with the signalfd backend no handler needs to find the loop).
 *
 * poll() is O(fds) per wakeup; stunmesh watches a handful of fds (a raw socket per
 * family, the control socket, a few plugin pipes), so an epoll backend would buy
 * nothing but platform code. Removed fds never reach poll(), so the array handed to it
 * is never longer than the number of open fds (RLIMIT_NOFILE bounds both).
 *
 * Signals given to loop_signal_add (and SIGCHLD once a child is tracked) are blocked
 * in the process (signalfd) or caught by a handler (self-pipe), so a child must get an
 * empty signal mask and default handlers before exec (child.c does). loop_new also
 * ignores SIGPIPE: a plugin that exits without reading its stdin must give EPIPE on
 * write, not kill the daemon. loop_free restores all of it. */
#ifndef SM_LOOP_H
#define SM_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"

struct loop;

enum {
	LOOP_READ = 1U << 0,
	LOOP_WRITE = 1U << 1,
	LOOP_ERROR = 1U << 2, /* delivered only: POLLERR, POLLHUP or POLLNVAL */
};

typedef void (*loop_fd_cb)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *arg);
/* status as from waitpid (WIFEXITED, WEXITSTATUS, ...). */
typedef void (*loop_child_cb)(struct loop *l, pid_t pid, int status, void *arg);

/* A timer lives in its owner's struct (no allocation, no dangling handles): init it
 * once, arm and cancel as often as needed. Fields are the loop's. */
struct loop_timer {
	int64_t when; /* monotonic ms */
	uint64_t seq; /* arming order, breaks ties and bounds one dispatch round */
	size_t idx;   /* position in the heap, SIZE_MAX when not armed */
	loop_timer_cb cb;
	void *arg;
};

int loop_new(struct loop **out, struct errbuf *e);
/* Frees the loop. Tracked children are not killed or waited for. */
void loop_free(struct loop *l);

/* Watches fd for events (LOOP_READ | LOOP_WRITE; 0 = only errors). -EEXIST if watched. */
int loop_fd_add(struct loop *l, int fd, unsigned events, loop_fd_cb cb, void *arg);
int loop_fd_modify(struct loop *l, int fd, unsigned events);
/* Safe from any callback, including fd's own; a pending event for it is dropped. */
void loop_fd_remove(struct loop *l, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg);
/* (Re)arms t to fire once, delay_ms from the loop's current time. -ENOMEM only. */
int loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t delay_ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
bool loop_timer_pending(const struct loop_timer *t);

/* Calls cb whenever signo arrives (one callback per signal; a second add replaces it).
 * SIGCHLD is the loop's own (use loop_child_add); SIGKILL/SIGSTOP cannot be. */
int loop_signal_add(struct loop *l, int signo, loop_signal_cb cb, void *arg);

/* Reaps pid when it ends and calls cb once with its status. Register right after
 * fork/spawn; an exit before registration is not lost (SIGCHLD stays pending). */
int loop_child_add(struct loop *l, pid_t pid, loop_child_cb cb, void *arg);
/* Forgets pid (cb will not be called; the zombie is still reaped when it ends). */
void loop_child_forget(struct loop *l, pid_t pid);

/* Monotonic milliseconds, as of the latest wakeup (cheap; refreshed by loop_update_now). */
int64_t loop_now(const struct loop *l);
void loop_update_now(struct loop *l);

/* The clock seam, for tests: the loop's time comes from fn (monotonic ms) instead of
 * CLOCK_MONOTONIC (NULL restores it). On a fake clock a test advances time itself and
 * calls loop_run_once(l, 0), which dispatches what is due at that time without waiting
 * (fds are still polled, with a zero timeout). */
typedef int64_t (*loop_clock_fn)(void *ctx);
void loop_set_clock(struct loop *l, loop_clock_fn fn, void *ctx);
/* When the earliest armed timer is due (monotonic ms); INT64_MAX when none is armed. */
int64_t loop_next_timer(const struct loop *l);
/* loop_stop was called (and no loop_run started since): for a test driving the loop
 * with loop_run_once. */
bool loop_stop_requested(const struct loop *l);

/* Waits at most timeout_ms (-1 = until something happens) and dispatches what is ready:
 * fds, then signals and children, then due timers. 0 or -errno from poll; -EBUSY when
 * called from one of the loop's own callbacks (rounds do not nest). */
int loop_run_once(struct loop *l, int timeout_ms);
/* Runs until loop_stop. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
