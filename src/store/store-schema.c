/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plugin entries against their kind's schema: which kind an entry selects, its options
 * checked by type and by the kind's own checks, older spellings normalised, secrets
 * marked; the same check reports through the config diagnostics (file:line:column,
 * for check-config and the daemon's start) or as the first error in an errbuf (for
 * store_new, which never trusts that the check ran). Also the option accessors the
 * kinds' init uses, equality for reload, and the Markdown tables of the options. */
#include "store/store.h"
#include "store/store-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Where problems go: config diagnostics, or the first error into an errbuf. */
struct sink {
	struct config_diags *d;
	struct errbuf *e;
	int err;    /* the first error's code */
	bool quiet; /* neither: only whether it is valid (store_config_equal) */
};

__attribute__((format(printf, 5, 6))) static void report(struct sink *k, enum diag_severity sev,
							 struct config_pos pos, int code,
							 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (sev == DIAG_ERROR && !k->err)
		k->err = code;
	if (k->quiet || (!k->d && sev != DIAG_ERROR))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (k->d)
		config_diag_add(k->d, sev, pos, "%s", msg);
	else if (!k->e->msg[0])
		err_set(k->e, code, "%s", msg);
}

const struct store_option_spec *store_option_find(const struct store_ops *ops, const char *name)
{
	for (const struct store_option_spec *sp = ops->options; sp && sp->name; sp++)
		if (!strcmp(sp->name, name))
			return sp;
	return NULL;
}

static const struct store_option_spec *spec_for_key(const struct store_ops *ops, const char *key)
{
	for (const struct store_option_spec *sp = ops->options; sp && sp->name; sp++)
		if (!strcmp(sp->name, key) || (sp->alias && !strcmp(sp->alias, key)))
			return sp;
	return NULL;
}

/* "exec, shell or builtin" / "cloudflare or file": the names a user may write. */
static void kind_names(bool builtin, char *buf, size_t len)
{
	size_t n = 0, total = 0, off = 0;

	for (size_t i = 0; i < store_n_kinds; i++)
		total += store_kinds[i].ops && store_kinds[i].ops->builtin == builtin;
	total += !builtin;
	buf[0] = '\0';
	for (size_t i = 0; i <= store_n_kinds; i++) {
		const char *name;

		if (i < store_n_kinds) {
			if (!store_kinds[i].ops || store_kinds[i].ops->builtin != builtin)
				continue;
			name = store_kinds[i].ops->kind;
		} else if (!builtin) {
			name = "builtin";
		} else {
			break;
		}
		n++;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					n == 1 ? "" : n == total ? " or " : ", ", name);
		if (off >= len)
			break;
	}
}

static const struct store_kind_entry *kind_named(const char *name)
{
	for (size_t i = 0; i < store_n_kinds; i++) {
		const char *n = store_kinds[i].ops ? store_kinds[i].ops->kind : store_kinds[i].name;

		if (n && !strcmp(n, name))
			return &store_kinds[i];
	}
	return NULL;
}

static struct config_pos opt_pos(const struct config_plugin *pl, const char *key)
{
	const struct config_option *o = config_plugin_option(pl, key);

	return o ? o->pos : pl->pos;
}

/* The kind pl selects, or NULL with the problem reported. */
static const struct store_ops *resolve(const struct config_plugin *pl, struct sink *k)
{
	const struct config_option *t = config_plugin_option(pl, "type");
	const char *type = pl->type_name ? pl->type_name : "", *want;
	const struct store_kind_entry *ke;
	bool by_name = !strcmp(type, "builtin");
	char names[128];

	if (!*type) {
		/* config reports a missing type, and an unusable one, itself */
		if ((t && !t->unusable) || !k->d)
			report(k, DIAG_ERROR, opt_pos(pl, "type"), -EINVAL,
			       "plugins.%s: option 'type' is required (exec, shell or builtin)",
			       pl->name);
		return NULL;
	}
	want = by_name ? pl->builtin : type;
	if (by_name && (!want || !*want)) {
		const struct config_option *o = config_plugin_option(pl, "name");

		kind_names(true, names, sizeof(names));
		if (!o || !o->unusable)
			report(k, DIAG_ERROR, opt_pos(pl, "name"), -EINVAL,
			       "plugins.%s: option 'name' is required (%s)", pl->name, names);
		return NULL;
	}
	ke = kind_named(want);
	if (ke && ke->ops && ke->ops->builtin != by_name && by_name)
		ke = NULL; /* type: builtin, name: exec */
	if (ke && !ke->ops) {
		report(k, DIAG_ERROR, opt_pos(pl, by_name ? "name" : "type"), -EOPNOTSUPP,
		       "plugins.%s: the %s store is not built into this stunmesh (%s)", pl->name,
		       want, ke->why_not ? ke->why_not : "rebuild with it");
		return NULL;
	}
	if (!ke) {
		kind_names(by_name, names, sizeof(names));
		report(k, DIAG_ERROR, opt_pos(pl, by_name ? "name" : "type"), -EINVAL,
		       "plugins.%s: unknown %s '%s' (%s)", pl->name, by_name ? "builtin" : "type",
		       want, names);
		return NULL;
	}
	return ke->ops;
}

static bool is_usable_scalar(const struct config_option *o)
{
	return o && !o->unusable && o->value;
}

/* One option's value against its spec's type and check. */
static void check_value(const struct config_plugin *pl, const struct config_option *o,
			const struct store_option_spec *sp, struct sink *k)
{
	struct errbuf why = { "" };
	int64_t v = 0;
	bool b;
	char *end;

	if (sp->type != STORE_OPT_LIST && !o->value) {
		report(k, DIAG_ERROR, o->pos, -EINVAL, "plugins.%s.%s: expected a value, found a list",
		       pl->name, o->key);
		return;
	}
	switch (sp->type) {
	case STORE_OPT_INT:
		errno = 0;
		v = strtoll(o->value, &end, 10);
		if (!*o->value || *end || errno) {
			report(k, DIAG_ERROR, o->pos, -EINVAL, "plugins.%s.%s: '%s' is not a number",
			       pl->name, o->key, o->value);
			return;
		}
		/* min = max = 0: any number */
		if ((sp->min || sp->max) && (v < sp->min || v > sp->max)) {
			report(k, DIAG_ERROR, o->pos, -EINVAL,
			       "plugins.%s.%s: '%s' is not a number from %lld to %lld", pl->name,
			       o->key, o->value, (long long)sp->min, (long long)sp->max);
			return;
		}
		break;
	case STORE_OPT_BOOL:
		if (config_parse_bool(o->value, &b)) {
			report(k, DIAG_ERROR, o->pos, -EINVAL,
			       "plugins.%s.%s: '%s' is not a boolean (use true or false)", pl->name,
			       o->key, o->value);
			return;
		}
		break;
	case STORE_OPT_DURATION:
		if (parse_duration(o->value, &v) || v < sp->min) {
			char min[32];

			format_duration(sp->min, min, sizeof(min));
			report(k, DIAG_ERROR, o->pos, -EINVAL,
			       "plugins.%s.%s: '%s' is not a duration of at least %s (e.g. 10s, 1m)",
			       pl->name, o->key, o->value, min);
			return;
		}
		break;
	default: break;
	}
	if (!sp->check)
		return;
	if (sp->type == STORE_OPT_LIST) {
		for (size_t i = 0; i < o->n_items; i++)
			if (sp->check(o->items[i], &why)) {
				report(k, DIAG_ERROR, o->pos, -EINVAL, "plugins.%s.%s: %s", pl->name,
				       o->key, why.msg);
				return;
			}
	} else if (*o->value && sp->check(o->value, &why)) {
		report(k, DIAG_ERROR, o->pos, -EINVAL, "plugins.%s.%s: %s", pl->name, o->key,
		       why.msg);
	}
}

/* The option giving sp's value: its own name first, then the older spelling. */
static const struct config_option *opt_for(const struct config_plugin *pl,
					   const struct store_option_spec *sp)
{
	const struct config_option *o = config_plugin_option(pl, sp->name);

	if (!o && sp->alias)
		o = config_plugin_option(pl, sp->alias);
	return o;
}

static void check_required(const struct config_plugin *pl, const struct store_ops *ops,
			   struct sink *k)
{
	/* `type: cloudflare` is the older form: its messages use the older names */
	bool legacy = ops->builtin && pl->type_name && strcmp(pl->type_name, "builtin");

	for (const struct store_option_spec *sp = ops->options; sp && sp->name; sp++) {
		const struct config_option *o = opt_for(pl, sp);
		const char *name = legacy && sp->alias ? sp->alias : sp->name;

		if (!sp->required || (o && o->unusable))
			continue;
		if (!o || (o->value ? !*o->value : !o->n_items))
			report(k, DIAG_ERROR, o ? o->pos : pl->pos, -EINVAL,
			       "plugins.%s: option '%s' is required%s%s", pl->name, name,
			       sp->hint ? " " : "", sp->hint ? sp->hint : "");
	}
}

/* The options of pl against ops's schema. With mark (pl itself, in check mode), the
 * options are marked secret or ignored as the schema says. */
static void check_options(const struct config_plugin *pl, const struct store_ops *ops,
			  struct sink *k, struct config_plugin *mark)
{
	for (size_t i = 0; i < pl->n_options; i++) {
		const struct config_option *o = &pl->options[i];
		const struct store_option_spec *sp;

		if (config_plugin_common_key(o->key)) {
			if (!strcmp(o->key, "name") && !ops->builtin) {
				report(k, DIAG_WARNING, o->pos, 0,
				       "unknown key 'plugins.%s.name' (ignored by %s plugins)", pl->name,
				       ops->kind);
				if (mark)
					mark->options[i].ignored = true;
			}
			continue;
		}
		sp = spec_for_key(ops, o->key);
		if (!sp) {
			report(k, DIAG_WARNING, o->pos, 0, "unknown key 'plugins.%s.%s' (ignored by %s plugins)",
			       pl->name, o->key, ops->kind);
			if (mark)
				mark->options[i].ignored = true;
			continue;
		}
		if (sp->alias && strcmp(o->key, sp->name) && config_plugin_option(pl, sp->name)) {
			report(k, DIAG_ERROR, o->pos, -EINVAL,
			       "plugins.%s: '%s' and '%s' are the same option (give one)", pl->name,
			       sp->alias, sp->name);
			continue;
		}
		if (mark)
			mark->options[i].secret = sp->secret;
		if (!o->unusable)
			check_value(pl, o, sp, k);
	}
	check_required(pl, ops, k);
	if (ops->check && !k->err) {
		struct config_pos pos = pl->pos;
		struct errbuf why = { "" };

		if (ops->check(ops, pl, &pos, &why))
			report(k, DIAG_ERROR, pos, -EINVAL, "plugins.%s: %s", pl->name, why.msg);
	}
}

static char *xstrdup(const char *s, bool *oom)
{
	char *r = s ? strdup(s) : NULL;

	if (s && !r)
		*oom = true;
	return r;
}

/* Older spellings to the current ones, and the schema's defaults filled in, so the
 * printed configuration says what is in effect. */
static void normalise(struct config_plugin *pl, const struct store_ops *ops)
{
	bool oom = false;
	char *t = xstrdup(ops->builtin ? "builtin" : ops->kind, &oom);
	char *b = ops->builtin ? xstrdup(ops->kind, &oom) : NULL;

	if (!oom) {
		free(pl->type_name);
		free(pl->builtin);
		pl->type_name = t;
		pl->builtin = b;
	} else {
		free(t);
		free(b);
	}
	for (const struct store_option_spec *sp = ops->options; sp && sp->name; sp++) {
		struct config_option *o = (struct config_option *)opt_for(pl, sp), *opts;
		char *key;

		if (o && strcmp(o->key, sp->name) && (key = strdup(sp->name))) {
			free(o->key);
			o->key = key;
		}
		if (o || !sp->def || sp->type == STORE_OPT_LIST)
			continue;
		opts = realloc(pl->options, (pl->n_options + 1) * sizeof(*opts));
		if (!opts)
			return;
		pl->options = opts;
		o = &opts[pl->n_options];
		memset(o, 0, sizeof(*o));
		o->key = strdup(sp->name);
		o->value = strdup(sp->def);
		o->items = calloc(2, sizeof(char *));
		if (!o->key || !o->value || !o->items || !(o->items[0] = strdup(sp->def))) {
			free(o->key);
			free(o->value);
			free(o->items);
			return;
		}
		o->n_items = 1;
		o->secret = sp->secret;
		pl->n_options++;
	}
}

static void check_plugin(struct config_plugin *pl, struct config_diags *d, void *ctx)
{
	struct sink k = { .d = d };
	const struct store_ops *ops;

	(void)ctx;
	ops = resolve(pl, &k);
	if (!ops)
		return;
	check_options(pl, ops, &k, pl);
	normalise(pl, ops);
}

const struct config_checks store_config_checks = { .plugin = check_plugin, .ctx = NULL };

int store_config_parse(const char *name, const char *text, size_t len, struct config **out,
		       struct config_diags *diags)
{
	return config_parse_with(name, text, len, &store_config_checks, out, diags);
}

int store_config_load(const char *path, struct config **out, struct config_diags *diags)
{
	return config_load_with(path, &store_config_checks, out, diags);
}

const struct store_ops *store_schema_check(const struct config_plugin *pl, struct errbuf *e,
					   int *err)
{
	struct sink k = { .e = e };
	const struct store_ops *ops;

	e->msg[0] = '\0';
	ops = resolve(pl, &k);
	if (ops)
		check_options(pl, ops, &k, NULL);
	*err = k.err;
	return k.err ? NULL : ops;
}

/* ---- accessors -------------------------------------------------------------------- */

const char *store_opt_str(const struct store_ops *ops, const struct config_plugin *cfg,
			  const char *name)
{
	const struct store_option_spec *sp = store_option_find(ops, name);
	const struct config_option *o = sp ? opt_for(cfg, sp) : NULL;

	if (is_usable_scalar(o))
		return o->value;
	return sp ? sp->def : NULL;
}

int64_t store_opt_int(const struct store_ops *ops, const struct config_plugin *cfg,
		      const char *name)
{
	const struct store_option_spec *sp = store_option_find(ops, name);
	const char *v = store_opt_str(ops, cfg, name);
	int64_t r = 0;
	bool b = false;

	if (!sp || !v || !*v)
		return 0;
	if (sp->type == STORE_OPT_DURATION)
		return parse_duration(v, &r) ? 0 : r;
	if (sp->type == STORE_OPT_BOOL)
		return config_parse_bool(v, &b) ? 0 : b;
	return strtoll(v, NULL, 10);
}

bool store_opt_bool(const struct store_ops *ops, const struct config_plugin *cfg,
		    const char *name)
{
	return store_opt_int(ops, cfg, name) != 0;
}

size_t store_opt_list(const struct store_ops *ops, const struct config_plugin *cfg,
		      const char *name, char *const **items)
{
	const struct store_option_spec *sp = store_option_find(ops, name);
	const struct config_option *o = sp ? opt_for(cfg, sp) : NULL;

	if (!o || o->unusable) {
		*items = NULL;
		return 0;
	}
	*items = o->items;
	return o->n_items;
}

/* ---- equality ------------------------------------------------------------------- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool items_eq(const struct config_option *a, const struct config_option *b)
{
	size_t na = a && !a->unusable ? a->n_items : 0, nb = b && !b->unusable ? b->n_items : 0;

	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a->items[i], b->items[i]))
			return false;
	return true;
}

static const struct store_ops *kind_quiet(const struct config_plugin *pl)
{
	struct sink k = { .quiet = true };

	return resolve(pl, &k);
}

static size_t limit_of(const struct config_plugin *pl, const struct store_ops *ops)
{
	if (pl->max_concurrent > 0)
		return (size_t)pl->max_concurrent;
	return ops->max_concurrent ? ops->max_concurrent : STORE_DEFAULT_CONCURRENCY;
}

bool store_config_equal(const struct config_plugin *a, const struct config_plugin *b)
{
	const struct store_ops *ka = kind_quiet(a), *kb = kind_quiet(b);

	if (!ka || ka != kb)
		return false; /* an entry that makes no store is never "the same" */
	if ((a->dedup_set ? a->dedup : ka->caps.dedup_default) !=
		    (b->dedup_set ? b->dedup : kb->caps.dedup_default) ||
	    a->timeout_ms != b->timeout_ms || limit_of(a, ka) != limit_of(b, kb))
		return false;
	for (const struct store_option_spec *sp = ka->options; sp && sp->name; sp++) {
		const struct config_option *oa = opt_for(a, sp), *ob = opt_for(b, sp);

		if (sp->type == STORE_OPT_LIST) {
			if (!items_eq(oa, ob))
				return false;
		} else if (!str_eq(is_usable_scalar(oa) ? oa->value : sp->def,
				   is_usable_scalar(ob) ? ob->value : sp->def)) {
			return false;
		}
	}
	return true;
}

/* ---- docs ----------------------------------------------------------------------- */

static const char *type_word(const struct store_option_spec *sp)
{
	static const char *words[] = { "string", "integer", "boolean", "duration", "list" };

	return (unsigned)sp->type < sizeof(words) / sizeof(words[0]) ? words[sp->type] : "?";
}

void store_kinds_doc(FILE *f)
{
	for (size_t i = 0; i < store_n_kinds; i++) {
		const struct store_ops *ops = store_kinds[i].ops;

		if (!ops)
			continue;
		fprintf(f, "<!-- options of the %s store (stunmesh check-config --store-options) -->\n",
			ops->kind);
		fprintf(f, "| key | type | default | meaning |\n|---|---|---|---|\n");
		for (const struct store_option_spec *sp = ops->options; sp && sp->name; sp++) {
			fprintf(f, "| `%s`", sp->name);
			if (sp->alias)
				fprintf(f, " (or `%s`)", sp->alias);
			fprintf(f, " | %s", type_word(sp));
			if (sp->type == STORE_OPT_INT && (sp->min || sp->max))
				fprintf(f, " %lld-%lld", (long long)sp->min, (long long)sp->max);
			fprintf(f, " | %s | %s%s |\n",
				sp->required ? "required" : sp->def ? sp->def : "—",
				sp->doc ? sp->doc : "",
				sp->secret ? " (a secret: never printed or logged)" : "");
		}
		fputc('\n', f);
	}
}

/* ---- secrets ---------------------------------------------------------------------- */

size_t store_schema_secrets(const struct store_ops *ops, const struct config_plugin *pl,
			    const char **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->n_options && n < max; i++) {
		const struct config_option *o = &pl->options[i];
		const struct store_option_spec *sp = spec_for_key(ops, o->key);

		if (!sp || !sp->secret || o->unusable)
			continue;
		if (o->value && *o->value)
			out[n++] = o->value;
		for (size_t j = 0; !o->value && j < o->n_items && n < max; j++)
			if (*o->items[j])
				out[n++] = o->items[j];
	}
	return n + config_plugin_secrets(pl, out + n, max - n);
}
