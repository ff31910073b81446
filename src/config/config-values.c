/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every part of the configuration walk shares: diagnostics with positions, and
 * reading scalars, lists and mappings the way stunmesh-go (yaml.v3 + mapstructure
 * with weak typing) does: scalars are read as strings and converted where a key needs
 * a number, bool or duration; a list key also takes a comma-separated string. */
#include "config/config-parse.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct config_pos cp_pos(const yaml_node_t *n)
{
	struct config_pos p = { 0, 0 };

	if (n) {
		p.line = (unsigned)n->start_mark.line + 1;
		p.column = (unsigned)n->start_mark.column + 1;
	}
	return p;
}

static int diag_vadd(struct config_diags *d, enum diag_severity sev, struct config_pos pos,
		     const char *fmt, va_list ap)
{
	struct config_diag *items = realloc(d->items, (d->n + 1) * sizeof(*items));

	if (!items)
		return -ENOMEM;
	d->items = items;
	items[d->n].severity = sev;
	items[d->n].pos = pos;
	vsnprintf(items[d->n].msg, sizeof(items[d->n].msg), fmt, ap);
	d->n++;
	if (sev == DIAG_ERROR)
		d->n_errors++;
	return 0;
}

int config_diag_add(struct config_diags *d, enum diag_severity sev, struct config_pos pos,
		    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = diag_vadd(d, sev, pos, fmt, ap);
	va_end(ap);
	return r;
}

void cp_diag(struct pstate *ps, enum diag_severity sev, struct config_pos pos, const char *fmt,
	     ...)
{
	va_list ap;

	if (!ps->d)
		return;
	va_start(ap, fmt);
	if (diag_vadd(ps->d, sev, pos, fmt, ap))
		ps->oom = true;
	va_end(ap);
}

char *cp_strdup(struct pstate *ps, const char *s)
{
	char *r = strdup(s);

	if (!r)
		ps->oom = true;
	return r;
}

const char *cp_node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

bool cp_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

size_t cp_mapping_size(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE
		       ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
		       : 0;
}

void cp_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ${VAR} is replaced from the environment, as the seed README's api_token shows; a
 * variable that is not set is an error rather than an empty secret sent to an API. */
static char *expand_env(struct pstate *ps, const yaml_node_t *n, const char *s, size_t len)
{
	struct strbuf sb = { 0 };
	bool bad = false;
	size_t i = 0;

	if (sb_append(&sb, "", 0))
		goto oom;
	while (i < len) {
		const char *end;

		if (s[i] == '$' && i + 1 < len && s[i + 1] == '{' &&
		    (end = memchr(s + i + 2, '}', len - i - 2))) {
			size_t nlen = (size_t)(end - (s + i + 2));
			char name[128];
			const char *val;

			if (nlen == 0 || nlen >= sizeof(name)) {
				cp_error(ps, n, "bad environment reference '${%.*s}'",
					 (int)(nlen > 64 ? 64 : nlen), s + i + 2);
				val = "";
				bad = true;
			} else {
				memcpy(name, s + i + 2, nlen);
				name[nlen] = '\0';
				val = getenv(name);
				if (!val) {
					cp_error(ps, n, "environment variable %s is not set", name);
					val = "";
					bad = true;
				}
			}
			if (sb_puts(&sb, val))
				goto oom;
			i += nlen + 3;
			continue;
		}
		if (sb_append(&sb, s + i, 1))
			goto oom;
		i++;
	}
	if (bad) {
		secure_zero(sb.buf, sb.len);
		sb_free(&sb);
		return NULL;
	}
	return sb.buf;
oom:
	sb_free(&sb);
	ps->oom = true;
	return NULL;
}

char *cp_get_str(struct pstate *ps, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		cp_error(ps, n, "%s: expected a value, found %s", key, cp_node_kind(n));
		return NULL;
	}
	if (cp_is_null(n))
		return cp_strdup(ps, "");
	return expand_env(ps, n, (const char *)n->data.scalar.value, n->data.scalar.length);
}

bool cp_set_str(struct pstate *ps, const yaml_node_t *n, const char *key, char **dst)
{
	char *s = cp_get_str(ps, n, key);

	if (!s)
		return false;
	free(*dst);
	*dst = s;
	return true;
}

int config_parse_bool(const char *s, bool *out)
{
	static const char *yes[] = { "1", "t", "true", "yes", "y", "on" };
	static const char *no[] = { "0", "f", "false", "no", "n", "off", "" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	return -EINVAL;
}

bool cp_get_bool(struct pstate *ps, const yaml_node_t *n, const char *key, bool *out)
{
	char *s = cp_get_str(ps, n, key);
	bool ok;

	if (!s)
		return false;
	ok = config_parse_bool(s, out) == 0;
	if (!ok)
		cp_error(ps, n, "%s: '%s' is not a boolean (use true or false)", key, s);
	free(s);
	return ok;
}

bool cp_get_int(struct pstate *ps, const yaml_node_t *n, const char *key, long min, long max,
		long *out)
{
	char *s = cp_get_str(ps, n, key), *end;
	long v;

	if (!s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		cp_error(ps, n, "%s: '%s' is not a number from %ld to %ld", key, s, min, max);
		free(s);
		return false;
	}
	free(s);
	*out = v;
	return true;
}

bool cp_get_duration(struct pstate *ps, const yaml_node_t *n, const char *key, int64_t min_ms,
		     int64_t *out)
{
	char *s = cp_get_str(ps, n, key);
	int64_t ms;
	bool ok = false;

	if (!s)
		return false;
	if (parse_duration(s, &ms) != 0) {
		char *end;

		strtod(s, &end);
		if (*s && !*end)
			cp_error(ps, n, "%s: duration '%s' has no unit (write e.g. %ss or %sm)", key,
				 s, s, s);
		else
			cp_error(ps, n, "%s: '%s' is not a duration (examples: 90s, 1m, 1h30m)",
				 key, s);
	} else if (ms < min_ms) {
		char buf[32];

		format_duration(min_ms, buf, sizeof(buf));
		cp_error(ps, n, "%s: '%s' is too short (at least %s)", key, s, buf);
	} else {
		*out = ms;
		ok = true;
	}
	free(s);
	return ok;
}

int cp_split_list(struct pstate *ps, const char *s, char ***out, size_t *nout)
{
	char *copy = cp_strdup(ps, s), *save = NULL, *tok, **v;
	size_t cnt = 0;

	if (!copy)
		return -ENOMEM;
	v = calloc(MAX_LIST + 1, sizeof(*v));
	if (!v) {
		free(copy);
		ps->oom = true;
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok && cnt < MAX_LIST;
	     tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
			*--e = '\0';
		if (!(v[cnt] = cp_strdup(ps, tok)))
			break;
		cnt++;
	}
	secure_zero(copy, strlen(s));
	free(copy);
	*out = v;
	*nout = cnt;
	return ps->oom ? -ENOMEM : 0;
}

bool cp_get_strlist(struct pstate *ps, const yaml_node_t *n, const char *key, char ***out,
		    size_t *nout)
{
	char **v = NULL;
	size_t cnt = 0;

	if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		size_t total = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);

		if (total > MAX_LIST) {
			cp_error(ps, n, "%s: too many entries (%zu, at most %d)", key, total,
				 MAX_LIST);
			return false;
		}
		v = calloc(total + 1, sizeof(*v));
		if (!v) {
			ps->oom = true;
			return false;
		}
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(ps->doc, *it);
			char *s = item ? cp_get_str(ps, item, key) : NULL;

			if (!s) {
				cp_free_strv(v, cnt);
				return false;
			}
			v[cnt++] = s;
		}
	} else if (n->type == YAML_SCALAR_NODE) {
		char *s = cp_get_str(ps, n, key);
		int r;

		if (!s)
			return false;
		r = cp_split_list(ps, s, &v, &cnt);
		free(s);
		if (r)
			return false;
	} else {
		cp_error(ps, n, "%s: expected a list, found %s", key, cp_node_kind(n));
		return false;
	}
	cp_free_strv(*out, *nout);
	*out = v;
	*nout = cnt;
	return true;
}

void cp_each_pair(struct pstate *ps, yaml_node_t *map, const char *what, cp_pair_fn fn,
		  void *arg)
{
	yaml_node_pair_t *p;

	if (cp_is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		cp_error(ps, map, "%s: expected a mapping, found %s", what, cp_node_kind(map));
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top && !ps->oom; p++) {
		yaml_node_t *k = yaml_document_get_node(ps->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ps->doc, p->value);
		bool dup = false;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			cp_error(ps, k, "%s: keys must be plain names, found %s", what,
				 cp_node_kind(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(ps->doc, q->key);

			if (qk && qk->type == YAML_SCALAR_NODE &&
			    qk->data.scalar.length == k->data.scalar.length &&
			    !memcmp(qk->data.scalar.value, k->data.scalar.value, k->data.scalar.length)) {
				cp_error(ps, k, "%s: key '%s' is defined twice (first at line %u)", what,
					 (const char *)k->data.scalar.value, cp_pos(qk).line);
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		if (strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
			cp_error(ps, k, "%s: key contains a NUL byte", what);
			continue;
		}
		fn(ps, (const char *)k->data.scalar.value, k, v, arg);
	}
}

void cp_unknown_key(struct pstate *ps, const char *where, const char *key, yaml_node_t *k)
{
	cp_warn(ps, k, "unknown key '%s%s%s' (ignored)", where, *where ? "." : "", key);
}
