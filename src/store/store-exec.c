/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The exec store: one process per operation speaking the JSON protocol of
 * store-exec.h. A non-zero exit is a failure even when the answer said success (as in
 * stunmesh-go).
 *
 * Not found: stunmesh-go treats every failed get alike, but a peer that has not
 * published yet is not a broken store. A get answered with success:false and an error
 * containing "not found" (any case: the seed's "Key not found", stunmesh-go's contrib
 * Cloudflare plugin's "record not found: ...", which exits 1) or success:true with an
 * empty value is reported as not found; every other failure is an error. */
#include "store/store.h"
#include "store/store-exec.h"
#include "store/child.h"
#include "lib/jsonfield.h"

#include <cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int exec_request_build(bool is_set, const char *key, const char *value, struct strbuf *out)
{
	const char *action = is_set ? "set" : "get";

	if (sb_printf(out, "{\"action\":\"%s\",\"operation\":\"%s\",\"key\":\"", action, action) ||
	    sb_json_escape(out, key) || sb_puts(out, "\""))
		return -ENOMEM;
	if (is_set && (sb_puts(out, ",\"value\":\"") || sb_json_escape(out, value) ||
		       sb_puts(out, "\"")))
		return -ENOMEM;
	return sb_puts(out, "}\n");
}

static int string_field(const cJSON *obj, const char *name, char **out, struct errbuf *e)
{
	const cJSON *v;

	*out = NULL;
	if (json_field(obj, name, cJSON_String, &v))
		return err_set(e, -EINVAL, "\"%s\" is not a string", name);
	if (!v || !*v->valuestring)
		return 0;
	*out = strdup(v->valuestring);
	return *out ? 0 : err_set(e, -ENOMEM, "out of memory");
}

int exec_response_parse(const uint8_t *buf, size_t len, struct exec_response *out,
			struct errbuf *e)
{
	struct exec_response resp = { false, NULL, NULL };
	const cJSON *ok;
	cJSON *root;
	size_t off = 0;
	int r;

	while (off < len && strchr(" \t\r\n", buf[off]) && buf[off])
		off++;
	if (off == len)
		return err_set(e, -EINVAL, "no answer on stdout");
	root = cJSON_ParseWithLengthOpts((const char *)buf + off, len - off, NULL, 0);
	if (!root)
		return err_set(e, -EINVAL, "stdout is not a JSON answer");
	if (!cJSON_IsObject(root)) {
		r = err_set(e, -EINVAL, "stdout is not a JSON object");
		goto out;
	}
	if (json_field(root, "success", cJSON_True, &ok)) {
		r = err_set(e, -EINVAL, "\"success\" is not a boolean");
		goto out;
	}
	resp.success = ok && cJSON_IsTrue(ok);
	r = string_field(root, "value", &resp.value, e);
	if (!r)
		r = string_field(root, "error", &resp.error, e);
	if (r) {
		exec_response_free(&resp);
		goto out;
	}
	*out = resp;
out:
	cJSON_Delete(root);
	return r;
}

void exec_response_free(struct exec_response *r)
{
	free(r->value);
	free(r->error);
	r->value = r->error = NULL;
}

static int exec_init(struct store *s, const struct config_plugin *cfg, struct errbuf *e)
{
	struct child_cmd *cmd;
	char *const *args;
	size_t n = store_opt_list(s->ops, cfg, "args", &args);
	int r = child_cmd_new(&cmd, store_opt_str(s->ops, cfg, "command"), args, n, e);

	if (!r)
		s->priv = cmd;
	return r;
}

static void exec_destroy(struct store *s)
{
	child_cmd_delete(s->priv);
}

static void exec_done(const struct child_result *r, void *arg)
{
	struct store_op *op = arg;
	struct exec_response resp;
	struct errbuf pe = { "" };
	char msg[400], text[200], tail[160];
	int pr;

	op->priv = NULL;
	if (child_failed(r, msg, sizeof(msg))) {
		store_op_done(op, STORE_ERROR, NULL, msg);
		return;
	}
	pr = exec_response_parse((const uint8_t *)r->out, r->out_len, &resp, &pe);
	child_text_tail(tail, sizeof(tail), r->err, r->err_len);
	if (pr) {
		if (r->code)
			snprintf(msg, sizeof(msg), "exit status %d%s%s", r->code,
				 *tail ? "; stderr: " : "", tail);
		else
			snprintf(msg, sizeof(msg), "bad answer: %s", pe.msg);
		store_op_done(op, STORE_ERROR, NULL, msg);
		return;
	}
	if (resp.error)
		child_text_tail(text, sizeof(text), resp.error, strlen(resp.error));
	else
		snprintf(text, sizeof(text), "%s", *tail ? tail : "no error message");
	if (!op->is_set && !resp.success && resp.error && strcasestr(resp.error, "not found")) {
		store_op_done(op, STORE_NOT_FOUND, NULL, NULL);
	} else if (!resp.success) {
		if (r->code)
			snprintf(msg, sizeof(msg), "plugin error (exit status %d): %s", r->code, text);
		else
			snprintf(msg, sizeof(msg), "plugin error: %s", text);
		store_op_done(op, STORE_ERROR, NULL, msg);
	} else if (r->code) {
		snprintf(msg, sizeof(msg), "exit status %d after a success answer", r->code);
		store_op_done(op, STORE_ERROR, NULL, msg);
	} else if (op->is_set) {
		store_op_done(op, STORE_OK, NULL, NULL);
	} else {
		store_op_done(op, resp.value ? STORE_OK : STORE_NOT_FOUND, resp.value, NULL);
	}
	exec_response_free(&resp);
}

int store_child_run(struct store *s, struct store_op *op, const char *input, size_t len,
		    void (*done)(const struct child_result *r, void *arg))
{
	struct child_cmd *x = s->priv;
	char label[160];
	struct child_spec spec = {
		.label = label,
		.command = x->command,
		.args = x->args,
		.n_args = x->n_args,
		.input = input,
		.input_len = len,
		.fwmark = op->fwmark,
		.timeout_ms = s->timeout_ms,
		.secrets = s->secrets,
		.n_secrets = s->n_secrets,
	};
	struct child *c;
	int r;

	snprintf(label, sizeof(label), "plugin %s (%s %.40s)", s->name, op->is_set ? "set" : "get",
		 op->key);
	r = child_start(s->loop, s->log, &spec, done, op, &c);
	if (!r)
		op->priv = c;
	return r;
}

void store_child_cancel(struct store *s, struct store_op *op)
{
	(void)s;
	child_abort(op->priv);
	op->priv = NULL;
}

static int exec_start(struct store *s, struct store_op *op)
{
	struct strbuf in = { 0 };
	int r = exec_request_build(op->is_set, op->key, op->value, &in);

	if (!r)
		r = store_child_run(s, op, in.buf, in.len, exec_done);
	sb_free(&in);
	return r;
}

/* Also the shell store's: both run a command. */
const struct store_option_spec store_command_options[] = {
	{ .name = "command", .type = STORE_OPT_STRING, .required = true,
	  .hint = "(the program to run)",
	  .doc = "the program to run, once per operation (looked up in `PATH` when it has no `/`)" },
	{ .name = "args", .type = STORE_OPT_LIST,
	  .doc = "its arguments; one that follows a flag named like a secret (`-token X`, `--password=X`) is masked and scrubbed" },
	{ 0 },
};

const struct store_ops store_exec_ops = {
	.kind = "exec",
	.options = store_command_options,
	.caps = { .dedup_default = false },
	.init = exec_init,
	.start = exec_start,
	.cancel = store_child_cancel,
	.destroy = exec_destroy,
};
