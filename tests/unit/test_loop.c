/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The event loop: timer order and cancellation (also under churn), fd readiness and
 * removal from callbacks (also far more fds than RLIMIT_NOFILE between two polls),
 * signals and child reaping through each signal backend (signalfd, self-pipe). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/loop.h"
#include "lib/signals.h"

struct rec {
	int order[512];
	size_t n;
};

struct tmr {
	struct loop_timer t;
	struct rec *rec;
	int id;
};

static void tmr_fire(struct loop *l, void *arg)
{
	struct tmr *t = arg;

	(void)l;
	t->rec->order[t->rec->n++] = t->id;
}

static struct loop *new_loop(void)
{
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new(&l, &e), 0);
	return l;
}

/* For the cases run once per signal backend: state is the backend. */
static struct loop *new_loop_with(void **state)
{
	const struct sig_backend *sb = *state;
	struct loop *l = NULL;
	struct errbuf e;

	assert_int_equal(loop_new_with_signals(&l, sb, &e), 0);
	return l;
}

static void run_for(struct loop *l, int64_t ms)
{
	int64_t end;

	loop_update_now(l);
	end = loop_now(l) + ms;
	while (loop_now(l) < end)
		assert_int_equal(loop_run_once(l, (int)(end - loop_now(l))), 0);
}

static void test_timer_order(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { .n = 0 };
	struct tmr t[5];
	int64_t start = loop_now(l);
	static const int delay[5] = { 30, 10, 20, 10, 40 };

	(void)state;
	for (int i = 0; i < 5; i++) {
		t[i].rec = &rec;
		t[i].id = i;
		loop_timer_init(&t[i].t, tmr_fire, &t[i]);
		assert_int_equal(loop_timer_arm(l, &t[i].t, delay[i]), 0);
	}
	loop_timer_cancel(l, &t[4].t);
	assert_false(loop_timer_pending(&t[4].t));
	assert_true(loop_timer_pending(&t[0].t));
	run_for(l, 60);
	/* Equal deadlines fire in arming order. */
	assert_int_equal(rec.n, 4);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 3);
	assert_int_equal(rec.order[2], 2);
	assert_int_equal(rec.order[3], 0);
	assert_true(loop_now(l) - start >= 30);
	/* Re-arming moves a pending timer instead of adding it twice. */
	rec.n = 0;
	loop_timer_arm(l, &t[0].t, 5);
	loop_timer_arm(l, &t[0].t, 15);
	loop_timer_arm(l, &t[1].t, 10);
	run_for(l, 40);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 0);
	loop_free(l);
}

static void test_timer_churn(void **state)
{
	struct loop *l = new_loop();
	struct rec rec = { .n = 0 };
	static struct tmr t[300];
	int64_t when[300];

	(void)state;
	srand(7);
	for (int i = 0; i < 300; i++) {
		t[i].rec = &rec;
		t[i].id = i;
		loop_timer_init(&t[i].t, tmr_fire, &t[i]);
		when[i] = rand() % 50;
		loop_timer_arm(l, &t[i].t, when[i]);
	}
	for (int i = 0; i < 300; i += 3)
		loop_timer_cancel(l, &t[i].t);
	run_for(l, 80);
	assert_int_equal(rec.n, 200);
	for (size_t i = 0; i < rec.n; i++) {
		assert_true(rec.order[i] % 3 != 0);
		if (i)
			assert_true(when[rec.order[i - 1]] <= when[rec.order[i]]);
	}
	loop_free(l);
}

struct spin {
	struct loop_timer t;
	int count;
	int reads;
	int rfd;
};

static void spin_fire(struct loop *l, void *arg)
{
	struct spin *s = arg;

	s->count++;
	loop_timer_arm(l, &s->t, 0);
}

static void spin_read(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct spin *s = arg;
	char c;

	(void)ev;
	assert_int_equal(read(fd, &c, 1), 1);
	s->reads++;
	loop_fd_remove(l, fd);
}

/* A timer that re-arms itself at 0 ms runs once per round and cannot starve fds. */
static void test_timer_no_starvation(void **state)
{
	struct loop *l = new_loop();
	struct spin s = { .count = 0 };
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	loop_timer_init(&s.t, spin_fire, &s);
	loop_timer_arm(l, &s.t, 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, spin_read, &s), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, spin_read, &s), -EEXIST);
	assert_int_equal(write(p[1], "x", 1), 1);
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 100);
	assert_int_equal(s.reads, 1);
	assert_int_equal(s.count, 5);
	loop_timer_cancel(l, &s.t);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

struct fdrec {
	unsigned ev[8];
	int n;
	int other; /* fd to remove from the callback, -1 none */
};

static void fd_cb(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct fdrec *r = arg;
	char buf[16];

	r->ev[r->n++] = ev;
	if (ev & LOOP_READ)
		(void)!read(fd, buf, sizeof(buf));
	if (r->other >= 0)
		loop_fd_remove(l, r->other);
	if (ev & LOOP_ERROR)
		loop_fd_remove(l, fd);
}

static void test_fds(void **state)
{
	struct loop *l = new_loop();
	struct fdrec a = { .n = 0, .other = -1 }, b = { .n = 0, .other = -1 };
	int p[2], q[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, fd_cb, &a), 0);
	assert_int_equal(loop_fd_add(l, q[0], LOOP_READ, fd_cb, &b), 0);
	/* Nothing ready: the timeout passes. */
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(a.n + b.n, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	loop_run_once(l, 100);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.ev[0], LOOP_READ);
	/* Writer gone: read + error, then it removes itself. */
	close(p[1]);
	loop_run_once(l, 100);
	assert_int_equal(a.n, 2);
	assert_true(a.ev[1] & LOOP_ERROR);
	/* Both ready, the first (q, registered earlier) removes the second: the second's
	 * event is dropped. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, fd_cb, &a), 0);
	b.other = p[0];
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(write(q[1], "y", 1), 1);
	loop_run_once(l, 100);
	assert_int_equal(b.n, 1);
	assert_int_equal(a.n, 2);
	assert_int_equal(loop_fd_modify(l, p[0], LOOP_READ), -ENOENT);
	loop_fd_remove(l, q[0]);
	b.n = 0;
	b.other = -1;
	/* Write interest. */
	a.other = -1;
	assert_int_equal(loop_fd_add(l, q[1], LOOP_WRITE, fd_cb, &b), 0);
	loop_run_once(l, 100);
	assert_int_equal(b.n, 1);
	assert_int_equal(b.ev[0], LOOP_WRITE);
	assert_int_equal(loop_fd_modify(l, q[1], 0), 0);
	loop_run_once(l, 10);
	assert_int_equal(b.n, 1);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
	loop_free(l);
}

static void nop_fd(struct loop *l, int fd, unsigned ev, void *arg)
{
	(void)l;
	(void)fd;
	(void)ev;
	(void)arg;
}

struct nest {
	struct loop_timer t;
	int got;
};

static void nest_fire(struct loop *l, void *arg)
{
	struct nest *n = arg;

	n->got = loop_run_once(l, 0);
}

/* A round started from inside a round would compact the fd array under the outer one:
 * it is refused, and the loop goes on. */
static void test_no_nested_rounds(void **state)
{
	struct loop *l = new_loop();
	struct nest n = { .got = 1 };

	(void)state;
	loop_timer_init(&n.t, nest_fire, &n);
	loop_timer_arm(l, &n.t, 0);
	assert_int_equal(loop_run_once(l, 10), 0);
	assert_int_equal(n.got, -EBUSY);
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
}

struct churn {
	struct loop_timer t;
	int rounds;    /* timer rounds left */
	int per_round; /* pipes opened, watched, unwatched and closed per round */
};

/* What a burst of plugin operations does from timers: each registers its pipes and a
 * later one (a timeout, a reload) removes and closes them, so fd numbers are reused. */
static void churn_fire(struct loop *l, void *arg)
{
	struct churn *c = arg;

	for (int i = 0; i < c->per_round; i++) {
		int p[2];

		assert_int_equal(pipe(p), 0);
		assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, nop_fd, NULL), 0);
		assert_int_equal(loop_fd_add(l, p[1], LOOP_WRITE, nop_fd, NULL), 0);
		loop_fd_remove(l, p[0]);
		loop_fd_remove(l, p[1]);
		close(p[0]);
		close(p[1]);
	}
	if (--c->rounds > 0)
		loop_timer_arm(l, &c->t, 0);
}

/* Far more fds registered and removed between two polls than RLIMIT_NOFILE allows open
 * at once: poll() must only ever see the live ones (it fails with EINVAL when handed
 * more entries than the limit), and the loop keeps delivering events. */
static void test_fd_churn_over_nofile_limit(void **state)
{
	struct loop *l = new_loop();
	struct fdrec live = { .n = 0, .other = -1 };
	struct churn c = { .rounds = 5, .per_round = 100 };
	struct rlimit old, small;
	int p[2], r = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	small = old;
	small.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &small), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(loop_fd_add(l, p[0], LOOP_READ, fd_cb, &live), 0);
	loop_timer_init(&c.t, churn_fire, &c);
	loop_timer_arm(l, &c.t, 0);
	for (int i = 0; i < 20 && !r; i++) {
		if (i == 10)
			assert_int_equal(write(p[1], "x", 1), 1);
		r = loop_run_once(l, 10);
	}
	setrlimit(RLIMIT_NOFILE, &old);
	assert_int_equal(r, 0);
	assert_int_equal(c.rounds, 0);
	/* The one live fd still works among all that churn. */
	assert_int_equal(live.n, 1);
	assert_int_equal(live.ev[0], LOOP_READ);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

struct sigrec {
	int signo, count;
};

static void sig_cb(struct loop *l, int signo, void *arg)
{
	struct sigrec *r = arg;

	r->signo = signo;
	r->count++;
	loop_stop(l);
}

static void test_signals(void **state)
{
	struct loop *l = new_loop_with(state);
	struct sigrec r = { 0, 0 };

	assert_int_equal(loop_signal_add(l, SIGCHLD, sig_cb, &r), -EINVAL);
	assert_int_equal(loop_signal_add(l, SIGKILL, sig_cb, &r), -EINVAL);
	assert_int_equal(loop_signal_add(l, SIGUSR1, sig_cb, &r), 0);
	/* Delivered to the process, then picked up by loop_run, which the callback stops. */
	kill(getpid(), SIGUSR1);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(r.signo, SIGUSR1);
	assert_int_equal(r.count, 1);
	loop_free(l);
	/* loop_free restored the mask: SIGUSR1 is no longer blocked. */
	{
		sigset_t now;

		sigprocmask(SIG_BLOCK, NULL, &now);
		assert_int_equal(sigismember(&now, SIGUSR1), 0);
	}
	/* ... and the disposition: no handler of ours is left behind. */
	{
		struct sigaction sa;

		sigaction(SIGUSR1, NULL, &sa);
		assert_true(sa.sa_handler == SIG_DFL);
	}
}

struct twosig {
	int usr1, usr2;
};

static void two_cb(struct loop *l, int signo, void *arg)
{
	struct twosig *t = arg;

	if (signo == SIGUSR1)
		t->usr1++;
	else if (signo == SIGUSR2)
		t->usr2++;
	if (t->usr1 && t->usr2)
		loop_stop(l);
}

static void stop_cb(struct loop *l, void *arg)
{
	*(bool *)arg = true;
	loop_stop(l);
}

/* Two different signals sent while the loop sleeps in poll, from another process: both
 * wake it and both are reported, whatever the backend. */
static void test_signals_wake_poll(void **state)
{
	struct loop *l = new_loop_with(state);
	struct twosig t = { 0, 0 };
	struct loop_timer guard;
	bool timed_out = false;
	pid_t parent = getpid(), pid;
	int status;

	assert_int_equal(loop_signal_add(l, SIGUSR1, two_cb, &t), 0);
	assert_int_equal(loop_signal_add(l, SIGUSR2, two_cb, &t), 0);
	loop_timer_init(&guard, stop_cb, &timed_out);
	loop_timer_arm(l, &guard, 5000);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(50000);
		kill(parent, SIGUSR1);
		usleep(20000);
		kill(parent, SIGUSR2);
		_exit(0);
	}
	assert_int_equal(loop_run(l), 0);
	assert_false(timed_out);
	assert_true(t.usr1 >= 1);
	assert_true(t.usr2 >= 1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	loop_timer_cancel(l, &guard);
	loop_free(l);
}

/* The self-pipe's handler has one process-wide place to write: a second source is
 * refused while one is open, and allowed again after it is closed. */
static void test_selfpipe_one_at_a_time(void **state)
{
	struct loop *a = NULL, *b = NULL;
	struct errbuf e = { "" };

	(void)state;
	assert_int_equal(loop_new_with_signals(&a, &sig_backend_selfpipe, &e), 0);
	assert_int_equal(loop_new_with_signals(&b, &sig_backend_selfpipe, &e), -EBUSY);
	assert_null(b);
	loop_free(a);
	assert_int_equal(loop_new_with_signals(&b, &sig_backend_selfpipe, &e), 0);
	loop_free(b);
}

struct kid {
	pid_t pid;
	int status;
	int calls;
};

static void child_cb(struct loop *l, pid_t pid, int status, void *arg)
{
	struct kid *k = arg;

	(void)l;
	assert_int_equal(pid, k->pid);
	k->status = status;
	k->calls++;
}

static pid_t spawn_exit(int code, int sleep_ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		usleep((useconds_t)sleep_ms * 1000);
		_exit(code);
	}
	return pid;
}

static void test_children(void **state)
{
	struct loop *l = new_loop_with(state);
	struct kid k[4] = { { 0, 0, 0 } };
	int64_t end;

	/* Exits before it is registered: SIGCHLD is blocked from the first add on, but
	 * this one is already gone; it must still be reaped once registered. */
	k[0].pid = spawn_exit(3, 0);
	usleep(50000);
	assert_int_equal(loop_child_add(l, k[0].pid, child_cb, &k[0]), 0);
	loop_run_once(l, 1000);
	assert_int_equal(k[0].calls, 1);
	/* Two that exit together: one SIGCHLD may cover both. */
	k[1].pid = spawn_exit(4, 20);
	k[2].pid = spawn_exit(5, 20);
	assert_int_equal(loop_child_add(l, k[1].pid, child_cb, &k[1]), 0);
	assert_int_equal(loop_child_add(l, k[2].pid, child_cb, &k[2]), 0);
	/* One killed by a signal. */
	k[3].pid = spawn_exit(0, 5000);
	assert_int_equal(loop_child_add(l, k[3].pid, child_cb, &k[3]), 0);
	kill(k[3].pid, SIGKILL);
	loop_update_now(l);
	end = loop_now(l) + 2000;
	while (loop_now(l) < end && !(k[0].calls && k[1].calls && k[2].calls && k[3].calls))
		loop_run_once(l, 50);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(k[i].calls, 1);
		assert_true(WIFEXITED(k[i].status));
		assert_int_equal(WEXITSTATUS(k[i].status), 3 + i);
	}
	assert_int_equal(k[3].calls, 1);
	assert_true(WIFSIGNALED(k[3].status));
	assert_int_equal(WTERMSIG(k[3].status), SIGKILL);
	loop_free(l);
}

static void test_child_forget(void **state)
{
	struct loop *l = new_loop_with(state);
	struct kid k = { 0, 0, 0 };

	k.pid = spawn_exit(0, 10);
	assert_int_equal(loop_child_add(l, k.pid, child_cb, &k), 0);
	loop_child_forget(l, k.pid);
	run_for(l, 100);
	assert_int_equal(k.calls, 0);
	/* Reaped anyway: no zombie left. */
	assert_int_equal(waitpid(k.pid, NULL, WNOHANG), -1);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_timer_churn),
		cmocka_unit_test(test_timer_no_starvation),
		cmocka_unit_test(test_fds),
		cmocka_unit_test(test_fd_churn_over_nofile_limit),
		cmocka_unit_test(test_no_nested_rounds),
/* Each once per backend, named after it. */
#define ON(t, sb) { #t "/" #sb, t, NULL, NULL, (void *)&sig_backend_##sb }
#if SM_PLATFORM_LINUX
#define PER_BACKEND(t) ON(t, selfpipe), ON(t, signalfd)
#else
#define PER_BACKEND(t) ON(t, selfpipe)
#endif
		PER_BACKEND(test_signals),
		PER_BACKEND(test_signals_wake_poll),
		PER_BACKEND(test_children),
		PER_BACKEND(test_child_forget),
		cmocka_unit_test(test_selfpipe_one_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
