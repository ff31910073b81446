/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The shell store (stunmesh-go's "shell" plugin type): one process per operation,
 * stdin "STUNMESH_ACTION=get|set\nSTUNMESH_KEY=<key>\n" plus "STUNMESH_VALUE=<hex>\n"
 * for set; exit status 0 is success; for get, stdout trimmed is the value.
 *
 * Not found: exit 0 with nothing on stdout (the natural "no such record" of a
 * script). A non-zero exit is an error, with the last line of stderr in the message. */
#include "store/store.h"
#include "store/child.h"
#include "store/store-exec.h" /* store_command_options */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int shell_init(struct store *s, const struct config_plugin *cfg, struct errbuf *e)
{
	struct child_cmd *cmd;
	char *const *args;
	size_t n = store_opt_list(s->ops, cfg, "args", &args);
	int r = child_cmd_new(&cmd, store_opt_str(s->ops, cfg, "command"), args, n, e);

	if (!r)
		s->priv = cmd;
	return r;
}

static void shell_destroy(struct store *s)
{
	child_cmd_delete(s->priv);
}

static void shell_done(const struct child_result *r, void *arg)
{
	struct store_op *op = arg;
	char msg[400], tail[160];
	const char *v = r->out;
	size_t len = r->out_len;

	op->priv = NULL;
	if (child_failed(r, msg, sizeof(msg))) {
		store_op_done(op, STORE_ERROR, NULL, msg);
		return;
	}
	if (r->code) {
		child_text_tail(tail, sizeof(tail), r->err, r->err_len);
		snprintf(msg, sizeof(msg), "exit status %d%s%s", r->code, *tail ? "; stderr: " : "",
			 tail);
		store_op_done(op, STORE_ERROR, NULL, msg);
		return;
	}
	if (op->is_set) {
		store_op_done(op, STORE_OK, NULL, NULL);
		return;
	}
	/* strings.TrimSpace, for the ASCII whitespace a script prints. */
	while (len && strchr(" \t\r\n\v\f", v[len - 1]) && v[len - 1])
		len--;
	while (len && strchr(" \t\r\n\v\f", v[0]) && v[0])
		v++, len--;
	if (!len) {
		store_op_done(op, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	/* The value is handed on as text; a NUL inside would silently cut it. */
	if (memchr(v, '\0', len)) {
		store_op_done(op, STORE_ERROR, NULL, "stdout holds a NUL byte");
		return;
	}
	{
		char *val = strndup(v, len);

		store_op_done(op, val ? STORE_OK : STORE_ERROR, val, val ? NULL : "out of memory");
		free(val);
	}
}

static int shell_start(struct store *s, struct store_op *op)
{
	struct strbuf in = { 0 };
	int r;

	/* Keys and values are hex (store.c checks), so no quoting is needed. */
	r = sb_printf(&in, "STUNMESH_ACTION=%s\nSTUNMESH_KEY=%s\n", op->is_set ? "set" : "get",
		      op->key);
	if (!r && op->is_set)
		r = sb_printf(&in, "STUNMESH_VALUE=%s\n", op->value);
	if (!r)
		r = store_child_run(s, op, in.buf, in.len, shell_done);
	sb_free(&in);
	return r;
}

const struct store_ops store_shell_ops = {
	.kind = "shell",
	.options = store_command_options,
	.caps = { .dedup_default = false },
	.init = shell_init,
	.start = shell_start,
	.cancel = store_child_cancel,
	.destroy = shell_destroy,
};
