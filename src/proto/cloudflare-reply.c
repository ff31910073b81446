/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Cloudflare v4 reply envelopes and TXT content (see store-cloudflare.h). Input from
 * the network: every length is checked, nothing relies on NUL termination, and what
 * ends up in a URL (a result id) or in a log line (an error message) is restricted to
 * harmless characters. */
#include "proto/cloudflare-reply.h"

#include <cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool id_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '_';
}

/* Keeps printable ASCII: a message goes into log lines and status output, where a
 * control character from a hostile or broken server could forge lines. */
static void copy_message(char *dst, size_t size, const char *src)
{
	size_t j = 0;

	for (size_t i = 0; src[i] && j + 1 < size; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[j] = '\0';
}

static void first_error(const cJSON *root, struct cf_reply *r)
{
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	const cJSON *err, *code, *msg;

	if (!cJSON_IsArray(errs) || !(err = errs->child) || !cJSON_IsObject(err))
		return;
	code = cJSON_GetObjectItemCaseSensitive(err, "code");
	msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	if (cJSON_IsNumber(code) && code->valuedouble >= -1e9 && code->valuedouble <= 1e9)
		r->err_code = (long)code->valuedouble;
	if (cJSON_IsString(msg) && msg->valuestring)
		copy_message(r->err_msg, sizeof(r->err_msg), msg->valuestring);
}

static int first_result(const cJSON *root, struct cf_reply *r, struct errbuf *e)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
	const cJSON *item = NULL, *id, *content;
	size_t n;

	if (!res || cJSON_IsNull(res))
		return 0;
	if (cJSON_IsArray(res)) {
		r->n_results = (size_t)cJSON_GetArraySize(res);
		item = res->child;
	} else if (cJSON_IsObject(res)) {
		r->n_results = 1;
		item = res;
	} else {
		return err_set(e, -EINVAL, "\"result\" is neither an object nor a list");
	}
	if (!item)
		return 0;
	if (!cJSON_IsObject(item))
		return err_set(e, -EINVAL, "a result is not an object");
	id = cJSON_GetObjectItemCaseSensitive(item, "id");
	if (id && !cJSON_IsNull(id)) {
		if (!cJSON_IsString(id) || !id->valuestring)
			return err_set(e, -EINVAL, "a result id is not a string");
		n = strlen(id->valuestring);
		if (!n || n > CF_ID_MAX)
			return err_set(e, -EINVAL, "a result id has %zu characters", n);
		for (size_t i = 0; i < n; i++)
			if (!id_char(id->valuestring[i]))
				return err_set(e, -EINVAL, "a result id has a character outside [A-Za-z0-9_-]");
		memcpy(r->id, id->valuestring, n + 1);
	}
	content = cJSON_GetObjectItemCaseSensitive(item, "content");
	if (content && !cJSON_IsNull(content)) {
		if (!cJSON_IsString(content) || !content->valuestring)
			return err_set(e, -EINVAL, "a record content is not a string");
		if (strlen(content->valuestring) > CF_CONTENT_MAX)
			return err_set(e, -EINVAL, "a record content is longer than %d bytes",
				       CF_CONTENT_MAX);
		r->content = strdup(content->valuestring);
		if (!r->content)
			return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int cf_reply_parse(const uint8_t *buf, size_t len, struct cf_reply *out, struct errbuf *e)
{
	struct cf_reply r = { 0 };
	const cJSON *ok;
	cJSON *root;
	int ret;

	if (!len)
		return err_set(e, -EINVAL, "empty reply");
	root = cJSON_ParseWithLengthOpts((const char *)buf, len, NULL, 0);
	if (!root)
		return err_set(e, -EINVAL, "the reply is not JSON");
	if (!cJSON_IsObject(root)) {
		ret = err_set(e, -EINVAL, "the reply is not a JSON object");
		goto out;
	}
	ok = cJSON_GetObjectItemCaseSensitive(root, "success");
	if (!cJSON_IsBool(ok)) {
		ret = err_set(e, -EINVAL, "the reply has no boolean \"success\"");
		goto out;
	}
	r.success = cJSON_IsTrue(ok);
	first_error(root, &r);
	ret = first_result(root, &r, e);
	if (ret) {
		cf_reply_free(&r);
		goto out;
	}
	*out = r;
out:
	cJSON_Delete(root);
	return ret;
}

void cf_reply_free(struct cf_reply *r)
{
	free(r->content);
	r->content = NULL;
}

/* Joins "a" "b" ... into out (at least len+1 bytes). false when in is not a sequence
 * of quoted strings separated by blanks. */
static bool join_quoted(const char *in, size_t len, char *out)
{
	size_t i = 0, j = 0;
	bool any = false;

	for (;;) {
		while (i < len && (in[i] == ' ' || in[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (in[i] != '"')
			return false;
		i++;
		for (;;) {
			if (i == len)
				return false; /* unterminated */
			if (in[i] == '"') {
				i++;
				break;
			}
			if (in[i] != '\\') {
				out[j++] = in[i++];
				continue;
			}
			if (++i == len)
				return false;
			if (in[i] >= '0' && in[i] <= '9') {
				/* \DDD: exactly three decimal digits, a byte value */
				unsigned v = 0;

				if (len - i < 3)
					return false;
				for (int k = 0; k < 3; k++, i++) {
					if (in[i] < '0' || in[i] > '9')
						return false;
					v = v * 10 + (unsigned)(in[i] - '0');
				}
				if (v > 255 || v == 0)
					return false;
				out[j++] = (char)v;
			} else {
				out[j++] = in[i++];
			}
		}
		any = true;
		/* Strings are separated by blanks: "a""b" is not zone-file syntax. */
		if (i < len && in[i] != ' ' && in[i] != '\t')
			return false;
	}
	out[j] = '\0';
	return any;
}

int cf_txt_unquote(const char *in, size_t len, char **out)
{
	char *buf = malloc(len + 1);
	size_t lead = 0;

	if (!buf)
		return -ENOMEM;
	while (lead < len && (in[lead] == ' ' || in[lead] == '\t'))
		lead++;
	if (lead == len || in[lead] != '"' || !join_quoted(in, len, buf)) {
		memcpy(buf, in, len);
		buf[len] = '\0';
	}
	*out = buf;
	return 0;
}
