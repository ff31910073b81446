/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One plugin process on the event loop, shared by the exec and shell stores: spawned
 * in its own process group with an empty signal mask, given its input on stdin (then
 * EOF), stdout collected up to a cap, stderr passed line by line to the debug log,
 * and the whole group killed at the timeout or when stdout overflows. The callback
 * runs exactly once, always from the loop (never from inside child_start), also when
 * the command could not be started.
 *
 * The daemon must keep its own descriptors close-on-exec: the child inherits every
 * descriptor that is not. */
#ifndef SM_CHILD_H
#define SM_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

#define CHILD_STDOUT_MAX (64 * 1024)
#define CHILD_STDERR_KEEP 1024 /* the last bytes of stderr, for error messages */

struct child;

/* A command line from the configuration, owned (exec and shell stores keep one). */
struct child_cmd {
	char *command;
	char **args;
	size_t n_args;
};

/* Copies command and args. 0, -EINVAL (no command) or -ENOMEM. */
int child_cmd_init(struct child_cmd *cmd, const char *command, char *const *args, size_t n_args);
void child_cmd_free(struct child_cmd *cmd);
/* The same, allocated, with words for a store's init: what exec and shell stores keep
 * in store->priv. child_cmd_delete frees it. */
int child_cmd_new(struct child_cmd **out, const char *command, char *const *args,
		  size_t n_args, struct errbuf *e);
void child_cmd_delete(struct child_cmd *cmd);

struct child_spec {
	const char *label;   /* names the process in log lines, e.g. "plugin cf" */
	const char *command; /* looked up in PATH when it has no '/' */
	char *const *args;
	size_t n_args;
	const char *input; /* written to stdin, which is then closed */
	size_t input_len;
	uint32_t fwmark;    /* exported as STUNMESH_FWMARK (decimal) when not 0 */
	int64_t timeout_ms; /* <= 0: CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS */
	size_t stdout_max;  /* 0: CHILD_STDOUT_MAX */
	char *const *secrets; /* scrubbed from the stderr lines that are logged */
	size_t n_secrets;
};

enum child_end {
	CHILD_EXITED,	/* code = exit status */
	CHILD_SIGNALED, /* code = signal number */
	CHILD_TIMEOUT,	/* killed at the timeout */
	CHILD_OVERFLOW, /* killed: stdout went past the cap */
	CHILD_FAILED,	/* never ran: code = errno, message in err */
};

struct child_result {
	enum child_end end;
	int code;
	const char *out; /* stdout, NUL-terminated (valid during the callback only) */
	size_t out_len;
	const char *err; /* the last CHILD_STDERR_KEEP bytes of stderr, NUL-terminated */
	size_t err_len;
	int64_t timeout_ms; /* the timeout that applied */
};

typedef void (*child_cb)(const struct child_result *r, void *arg);

/* Starts the command. 0 with *out set (a handle for child_abort, invalid once cb has
 * run), or -ENOMEM (nothing started, cb not called). */
int child_start(struct loop *l, const struct logger *log, const struct child_spec *spec,
		child_cb cb, void *arg, struct child **out);
/* Kills the process group and frees the child without calling cb. */
void child_abort(struct child *c);

/* Describes how the child ended, for messages: "exit status 3", "timed out after 10s"... */
void child_describe(const struct child_result *r, char *buf, size_t len);

/* The last line of a plugin's text (stderr, an error field), trimmed, unprintable
 * bytes replaced, cut to dlen: fit for one log line. */
void child_text_tail(char *dst, size_t dlen, const char *src, size_t slen);
/* When the child did not exit normally (killed, timed out, overflowed, never ran),
 * writes why into msg, with stderr's last line, and returns true. */
bool child_failed(const struct child_result *r, char *msg, size_t len);
#endif
