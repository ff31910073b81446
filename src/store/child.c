/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "store/child.h"
#include "config/config.h" /* CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define FWMARK_VAR "STUNMESH_FWMARK="

struct child {
	struct loop *loop;
	const struct logger *log;
	char *label;
	char *const *secrets; /* the spec's: owned by the store, which outlives us */
	size_t n_secrets;
	pid_t pid;
	int in_fd, out_fd, err_fd;
	const char *input; /* the spec's, copied into inbuf */
	char *inbuf;
	size_t in_len, in_off;
	struct strbuf out;
	size_t out_max;
	char err_keep[CHILD_STDERR_KEEP + 1];
	size_t err_keep_len;
	char line[512]; /* the stderr line being assembled */
	size_t line_len;
	struct loop_timer timer; /* the timeout, or the "report later" of a failed spawn */
	int64_t timeout_ms;
	enum child_end end;
	bool exited;
	int status;
	int fail_errno;
	child_cb cb;
	void *arg;
};

static void close_fd(struct child *c, int *fd)
{
	if (*fd < 0)
		return;
	loop_fd_remove(c->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void child_free(struct child *c)
{
	loop_timer_cancel(c->loop, &c->timer);
	close_fd(c, &c->in_fd);
	close_fd(c, &c->out_fd);
	close_fd(c, &c->err_fd);
	sb_free(&c->out);
	free(c->inbuf);
	free(c->label);
	free(c);
}

static void kill_group(struct child *c)
{
	/* The plugin may have started helpers (a shell pipeline, curl); they share its
	 * process group, so they go too. */
	if (c->pid > 0 && !c->exited)
		kill(-c->pid, SIGKILL);
}

#define KILL_GRACE_MS 1000

/* Kills the group for a reason (timeout, overflow) and waits a little for the exit, so
 * the operation ends at most KILL_GRACE_MS after the kill whatever the process does. */
static void kill_now(struct child *c, enum child_end why)
{
	c->end = why;
	kill_group(c);
	if (loop_timer_arm(c->loop, &c->timer, KILL_GRACE_MS))
		loop_timer_cancel(c->loop, &c->timer); /* then the exit alone ends it */
}

void child_abort(struct child *c)
{
	if (!c)
		return;
	kill_group(c);
	if (c->pid > 0 && !c->exited)
		loop_child_forget(c->loop, c->pid);
	child_free(c);
}

static void log_line(struct child *c)
{
	for (size_t i = 0; i < c->line_len; i++)
		if ((unsigned char)c->line[i] < 0x20 || c->line[i] == 0x7f)
			c->line[i] = '?';
	c->line[c->line_len] = '\0';
	scrub_secrets(c->line, c->secrets, c->n_secrets);
	if (c->line_len)
		log_debug(c->log, "%s: stderr: %s", c->label, c->line);
	c->line_len = 0;
}

static void take_stderr(struct child *c, const char *buf, size_t n)
{
	/* Keep the tail for the error message. */
	if (n >= CHILD_STDERR_KEEP) {
		memcpy(c->err_keep, buf + n - CHILD_STDERR_KEEP, CHILD_STDERR_KEEP);
		c->err_keep_len = CHILD_STDERR_KEEP;
	} else {
		size_t keep = c->err_keep_len + n > CHILD_STDERR_KEEP ? CHILD_STDERR_KEEP - n
								       : c->err_keep_len;

		memmove(c->err_keep, c->err_keep + c->err_keep_len - keep, keep);
		memcpy(c->err_keep + keep, buf, n);
		c->err_keep_len = keep + n;
	}
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			log_line(c);
			continue;
		}
		if (c->line_len == sizeof(c->line) - 1)
			log_line(c);
		c->line[c->line_len++] = buf[i];
	}
}

static void finish(struct child *c)
{
	struct child_result r = { .end = c->end, .timeout_ms = c->timeout_ms };

	log_line(c);
	if (c->end == CHILD_EXITED || c->end == CHILD_SIGNALED) {
		if (WIFSIGNALED(c->status)) {
			r.end = CHILD_SIGNALED;
			r.code = WTERMSIG(c->status);
		} else {
			r.end = CHILD_EXITED;
			r.code = WEXITSTATUS(c->status);
		}
	} else if (c->end == CHILD_FAILED) {
		r.code = c->fail_errno;
	}
	if (sb_append(&c->out, "", 0))
		c->out.len = 0;
	r.out = c->out.buf ? c->out.buf : "";
	r.out_len = c->out.buf ? c->out.len : 0;
	c->err_keep[c->err_keep_len] = '\0';
	r.err = c->err_keep;
	r.err_len = c->err_keep_len;
	c->cb(&r, c->arg);
	child_free(c);
}

/* Reads what is there; returns false at EOF or on error (the fd is then closed). */
static bool drain(struct child *c, int *fd)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(*fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		if (n <= 0) {
			close_fd(c, fd);
			return false;
		}
		if (fd == &c->err_fd) {
			take_stderr(c, buf, (size_t)n);
			continue;
		}
		/* Whatever it is printing beyond the cap, it is not a store answer. */
		if (c->out.len + (size_t)n > c->out_max || sb_append(&c->out, buf, (size_t)n)) {
			log_debug(c->log, "%s: more than %zu bytes on stdout, killing it", c->label,
				  c->out_max);
			close_fd(c, fd);
			kill_now(c, CHILD_OVERFLOW);
			return false;
		}
	}
}

static void on_output(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct child *c = arg;

	(void)l;
	(void)ev;
	if (fd == c->out_fd)
		drain(c, &c->out_fd);
	else if (fd == c->err_fd)
		drain(c, &c->err_fd);
}

static void write_input(struct child *c)
{
	while (c->in_off < c->in_len) {
		ssize_t n = write(c->in_fd, c->inbuf + c->in_off, c->in_len - c->in_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			loop_fd_modify(c->loop, c->in_fd, LOOP_WRITE);
			return;
		}
		if (n < 0)
			break; /* EPIPE: it does not want its input; its answer will tell */
		c->in_off += (size_t)n;
	}
	close_fd(c, &c->in_fd);
}

static void on_input(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct child *c = arg;

	(void)l;
	(void)fd;
	if (ev & LOOP_ERROR)
		close_fd(c, &c->in_fd);
	else
		write_input(c);
}

static void on_exit_status(struct loop *l, pid_t pid, int status, void *arg)
{
	struct child *c = arg;

	(void)l;
	(void)pid;
	c->exited = true;
	c->status = status;
	/* Everything it wrote before exiting is in the pipes now. A helper it left
	 * behind may still hold them open; it does not get to delay the answer. */
	if (c->out_fd >= 0)
		drain(c, &c->out_fd);
	if (c->err_fd >= 0)
		drain(c, &c->err_fd);
	finish(c);
}

static void on_timer(struct loop *l, void *arg)
{
	struct child *c = arg;

	(void)l;
	if (c->end == CHILD_FAILED) {
		finish(c);
		return;
	}
	if (c->end == CHILD_EXITED) {
		log_debug(c->log, "%s: no answer after %" PRId64 " ms, killing it", c->label,
			  c->timeout_ms);
		kill_now(c, CHILD_TIMEOUT);
		return;
	}
	/* Killed, but not gone (stuck in the kernel, e.g. on a dead NFS mount): report
	 * anyway; the loop still reaps it whenever it ends. */
	log_warn(c->log, "%s: pid %d does not die, giving up on it", c->label, (int)c->pid);
	loop_child_forget(c->loop, c->pid);
	finish(c);
}

static char **make_env(uint32_t fwmark)
{
	size_t n = 0, j = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], FWMARK_VAR, strlen(FWMARK_VAR)))
			env[j++] = environ[i];
	if (fwmark) {
		char *v = malloc(sizeof(FWMARK_VAR) + 12);

		if (!v) {
			free(env);
			return NULL;
		}
		snprintf(v, sizeof(FWMARK_VAR) + 12, FWMARK_VAR "%" PRIu32, fwmark);
		env[j++] = v;
	}
	env[j] = NULL;
	return env;
}

static void free_env(char **env, uint32_t fwmark)
{
	if (!env)
		return;
	if (fwmark) {
		for (size_t i = 0; env[i]; i++)
			if (!strncmp(env[i], FWMARK_VAR, strlen(FWMARK_VAR)))
				free(env[i]);
	}
	free(env);
}

static int spawn(struct child *c, const struct child_spec *spec, struct errbuf *e)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	char **argv = NULL, **env = NULL;
	int r;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
		r = err_set(e, -errno, "pipe: %s", strerror(errno));
		goto close_pipes;
	}
	argv = calloc(spec->n_args + 2, sizeof(*argv));
	env = make_env(spec->fwmark);
	if (!argv || !env) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto close_pipes;
	}
	argv[0] = (char *)spec->command;
	for (size_t i = 0; i < spec->n_args; i++)
		argv[i + 1] = spec->args[i];

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawnattr_init(&at);
	/* The loop blocks the signals it routes to its signalfd and ignores SIGPIPE;
	 * both would otherwise be inherited across exec. */
	sigemptyset(&none);
	sigfillset(&dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	r = posix_spawnp(&c->pid, spec->command, &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r) {
		c->pid = 0;
		r = err_set(e, -r, "cannot run '%s': %s", spec->command, strerror(r));
		goto close_pipes;
	}
	/* Its own group, from this side too: posix_spawn may return before the child
	 * has run its setpgid (qemu-user runs the CLONE_VFORK child as a plain fork),
	 * and a kill of a group that does not exist yet would miss it. Once it has
	 * exec'd this fails (EACCES) with the group already set. */
	setpgid(c->pid, c->pid);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = err[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->err_fd, F_SETFL, O_NONBLOCK);
	r = 0;
	goto out;
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
out:
	free(argv);
	free_env(env, spec->fwmark);
	return r;
}

int child_start(struct loop *l, const struct logger *log, const struct child_spec *spec,
		child_cb cb, void *arg, struct child **out)
{
	struct errbuf e = { "" };
	struct child *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->loop = l;
	c->log = log;
	c->in_fd = c->out_fd = c->err_fd = -1;
	c->cb = cb;
	c->arg = arg;
	c->end = CHILD_EXITED;
	c->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS;
	c->out_max = spec->stdout_max ? spec->stdout_max : CHILD_STDOUT_MAX;
	c->label = strdup(spec->label ? spec->label : spec->command);
	c->secrets = spec->secrets;
	c->n_secrets = spec->n_secrets;
	c->inbuf = malloc(spec->input_len ? spec->input_len : 1);
	if (!c->label || !c->inbuf) {
		child_free(c);
		return -ENOMEM;
	}
	if (spec->input_len)
		memcpy(c->inbuf, spec->input, spec->input_len);
	c->in_len = spec->input_len;
	loop_timer_init(&c->timer, on_timer, c);

	r = spawn(c, spec, &e);
	if (r) {
		/* Reported through the callback like any other failure, from the loop. */
		c->end = CHILD_FAILED;
		c->fail_errno = -r;
		snprintf(c->err_keep, sizeof(c->err_keep), "%s", e.msg);
		c->err_keep_len = strlen(c->err_keep);
		if (loop_timer_arm(l, &c->timer, 0)) {
			child_free(c);
			return -ENOMEM;
		}
		*out = c;
		return 0;
	}
	if (loop_child_add(l, c->pid, on_exit_status, c) ||
	    loop_fd_add(l, c->out_fd, LOOP_READ, on_output, c) ||
	    loop_fd_add(l, c->err_fd, LOOP_READ, on_output, c) ||
	    loop_fd_add(l, c->in_fd, 0, on_input, c) ||
	    loop_timer_arm(l, &c->timer, c->timeout_ms)) {
		child_abort(c);
		return -ENOMEM;
	}
	log_debug(log, "%s: started pid %d", c->label, (int)c->pid);
	write_input(c);
	*out = c;
	return 0;
}

void child_describe(const struct child_result *r, char *buf, size_t len)
{
	switch (r->end) {
	case CHILD_EXITED:
		snprintf(buf, len, "exit status %d", r->code);
		break;
	case CHILD_SIGNALED:
		snprintf(buf, len, "killed by signal %d (%s)", r->code, strsignal(r->code));
		break;
	case CHILD_TIMEOUT:
		snprintf(buf, len, "timed out after %" PRId64 " ms (killed)", r->timeout_ms);
		break;
	case CHILD_OVERFLOW:
		snprintf(buf, len, "output too large (killed)");
		break;
	case CHILD_FAILED:
		snprintf(buf, len, "%s", r->err);
		break;
	}
}

void child_text_tail(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t j = 0;

	while (slen && strchr(" \t\r\n", src[slen - 1]))
		slen--;
	/* The last line of stderr is usually the one that says what went wrong. */
	for (size_t i = slen; i > 0; i--) {
		if (src[i - 1] == '\n') {
			src += i, slen -= i;
			break;
		}
	}
	for (size_t i = 0; i < slen && j + 1 < dlen; i++)
		dst[j++] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[j] = '\0';
}

bool child_failed(const struct child_result *r, char *msg, size_t len)
{
	char how[160], tail[160];

	if (r->end == CHILD_EXITED)
		return false;
	child_describe(r, how, sizeof(how));
	child_text_tail(tail, sizeof(tail), r->err, r->err_len);
	if (*tail && r->end != CHILD_FAILED)
		snprintf(msg, len, "%s; stderr: %s", how, tail);
	else
		snprintf(msg, len, "%s", how);
	return true;
}

int child_cmd_init(struct child_cmd *cmd, const char *command, char *const *args, size_t n_args)
{
	struct child_cmd c = { NULL, NULL, 0 };

	if (!command || !*command)
		return -EINVAL;
	if (!(c.command = strdup(command)))
		goto nomem;
	if (n_args && !(c.args = calloc(n_args, sizeof(*c.args))))
		goto nomem;
	for (; c.n_args < n_args; c.n_args++)
		if (!(c.args[c.n_args] = strdup(args[c.n_args])))
			goto nomem;
	*cmd = c;
	return 0;
nomem:
	child_cmd_free(&c);
	return -ENOMEM;
}

int child_cmd_new(struct child_cmd **out, const char *command, char *const *args,
		  size_t n_args, struct errbuf *e)
{
	struct child_cmd *cmd = calloc(1, sizeof(*cmd));
	int r;

	if (!cmd)
		return err_set(e, -ENOMEM, "out of memory");
	r = child_cmd_init(cmd, command, args, n_args);
	if (r) {
		free(cmd);
		return err_set(e, r, r == -EINVAL ? "needs a 'command'" : "out of memory");
	}
	*out = cmd;
	return 0;
}

void child_cmd_delete(struct child_cmd *cmd)
{
	child_cmd_free(cmd);
	free(cmd);
}

void child_cmd_free(struct child_cmd *cmd)
{
	for (size_t i = 0; i < cmd->n_args; i++)
		free(cmd->args[i]);
	free(cmd->args);
	free(cmd->command);
	cmd->args = NULL;
	cmd->command = NULL;
	cmd->n_args = 0;
}
