/* SPDX-License-Identifier: GPL-2.0-or-later */
/* YAML -> struct config. The file is loaded as a libyaml document (so every node keeps
 * its line and column), then walked against the schema below. Every problem is recorded
 * as a diagnostic and the walk goes on, so one run shows a user all of them.
 *
 * Typing follows stunmesh-go (yaml.v3 + mapstructure with weak typing): scalars are
 * read as strings and converted where a key needs a number, bool or duration; a list
 * key also takes a comma-separated string. Unknown keys are warnings, not errors. */
#include "config/config.h"
#include "lib/util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#include <sodium.h>

/* Bounds that keep a hostile file (aliases repeated many times) from costing more than
 * a real deployment ever would. */
#define MAX_IFACES 256
#define MAX_PEERS_TOTAL 65536
#define MAX_PLUGINS 1024
#define MAX_LIST 256
#define MAX_FILE_SIZE (16 * 1024 * 1024)

struct pstate {
	yaml_document_t *doc;
	struct config *cfg;
	struct config_diags *d;
	bool oom;
	size_t total_peers;
};

static struct config_pos node_pos(const yaml_node_t *n)
{
	struct config_pos p = { 0, 0 };

	if (n) {
		p.line = (unsigned)n->start_mark.line + 1;
		p.column = (unsigned)n->start_mark.column + 1;
	}
	return p;
}

__attribute__((format(printf, 4, 5))) static void diag(struct pstate *ps, enum diag_severity sev,
						       const yaml_node_t *n, const char *fmt, ...)
{
	struct config_diags *d = ps->d;
	struct config_diag *items;
	va_list ap;

	if (!d)
		return;
	items = realloc(d->items, (d->n + 1) * sizeof(*items));
	if (!items) {
		ps->oom = true;
		return;
	}
	d->items = items;
	items[d->n].severity = sev;
	items[d->n].pos = node_pos(n);
	va_start(ap, fmt);
	vsnprintf(items[d->n].msg, sizeof(items[d->n].msg), fmt, ap);
	va_end(ap);
	d->n++;
	if (sev == DIAG_ERROR)
		d->n_errors++;
}

#define error_at(ps, n, ...) diag((ps), DIAG_ERROR, (n), __VA_ARGS__)
#define warn_at(ps, n, ...) diag((ps), DIAG_WARNING, (n), __VA_ARGS__)

static char *dupstr(struct pstate *ps, const char *s)
{
	char *r = strdup(s);

	if (!r)
		ps->oom = true;
	return r;
}

static const char *node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static bool is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* ${VAR} is replaced from the environment, as the seed README's api_token shows; a
 * variable that is not set is an error rather than an empty secret sent to an API. */
static char *expand_env(struct pstate *ps, const yaml_node_t *n, const char *s, size_t len)
{
	struct strbuf sb = { 0 };
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
				error_at(ps, n, "bad environment reference '${%.*s}'", (int)(nlen > 64 ? 64 : nlen), s + i + 2);
				val = "";
			} else {
				memcpy(name, s + i + 2, nlen);
				name[nlen] = '\0';
				val = getenv(name);
				if (!val) {
					error_at(ps, n, "environment variable %s is not set", name);
					val = "";
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
	return sb.buf;
oom:
	sb_free(&sb);
	ps->oom = true;
	return NULL;
}

/* The scalar's text after ${VAR} expansion, malloc'd; NULL (with a diagnostic) when the
 * node is not a scalar. A null scalar is "". */
static char *get_str(struct pstate *ps, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		error_at(ps, n, "%s: expected a value, found %s", key, node_kind(n));
		return NULL;
	}
	if (is_null(n))
		return dupstr(ps, "");
	return expand_env(ps, n, (const char *)n->data.scalar.value, n->data.scalar.length);
}

/* Replaces *dst, keeping the old value when the node is unusable. */
static bool set_str(struct pstate *ps, const yaml_node_t *n, const char *key, char **dst)
{
	char *s = get_str(ps, n, key);

	if (!s)
		return false;
	free(*dst);
	*dst = s;
	return true;
}

/* Go's strconv.ParseBool plus the YAML 1.1 words people still write. */
static bool get_bool(struct pstate *ps, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *yes[] = { "1", "t", "true", "yes", "y", "on" };
	static const char *no[] = { "0", "f", "false", "no", "n", "off", "" };
	char *s = get_str(ps, n, key);
	bool ok = false;

	if (!s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (!strcasecmp(s, yes[i]))
			*out = true, ok = true;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (!strcasecmp(s, no[i]))
			*out = false, ok = true;
	if (!ok)
		error_at(ps, n, "%s: '%s' is not a boolean (use true or false)", key, s);
	free(s);
	return ok;
}

static bool get_int(struct pstate *ps, const yaml_node_t *n, const char *key, long min, long max,
		    long *out)
{
	char *s = get_str(ps, n, key), *end;
	long v;

	if (!s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		error_at(ps, n, "%s: '%s' is not a number from %ld to %ld", key, s, min, max);
		free(s);
		return false;
	}
	free(s);
	*out = v;
	return true;
}

static bool get_duration(struct pstate *ps, const yaml_node_t *n, const char *key, int64_t min_ms,
			 int64_t *out)
{
	char *s = get_str(ps, n, key);
	int64_t ms;
	bool ok = false;

	if (!s)
		return false;
	if (parse_duration(s, &ms) != 0) {
		char *end;

		strtod(s, &end);
		if (*s && !*end)
			error_at(ps, n, "%s: duration '%s' has no unit (write e.g. %ss or %sm)", key, s,
				 s, s);
		else
			error_at(ps, n, "%s: '%s' is not a duration (examples: 90s, 1m, 1h30m)", key,
				 s);
	} else if (ms < min_ms) {
		char buf[32];

		format_duration(min_ms, buf, sizeof(buf));
		error_at(ps, n, "%s: '%s' is too short (at least %s)", key, s, buf);
	} else {
		*out = ms;
		ok = true;
	}
	free(s);
	return ok;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A list of strings, or one comma-separated string (mapstructure's StringToSlice). */
static bool get_strlist(struct pstate *ps, const yaml_node_t *n, const char *key, char ***out,
			size_t *nout)
{
	char **v = NULL;
	size_t cnt = 0;

	if (n->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;
		size_t total = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);

		if (total > MAX_LIST) {
			error_at(ps, n, "%s: too many entries (%zu, at most %d)", key, total, MAX_LIST);
			return false;
		}
		v = calloc(total + 1, sizeof(*v));
		if (!v) {
			ps->oom = true;
			return false;
		}
		for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(ps->doc, *it);
			char *s = item ? get_str(ps, item, key) : NULL;

			if (!s) {
				free_strv(v, cnt);
				return false;
			}
			v[cnt++] = s;
		}
	} else if (n->type == YAML_SCALAR_NODE) {
		char *s = get_str(ps, n, key), *save = NULL, *tok;

		if (!s)
			return false;
		v = calloc(MAX_LIST + 1, sizeof(*v));
		if (!v) {
			free(s);
			ps->oom = true;
			return false;
		}
		for (tok = strtok_r(s, ",", &save); tok && cnt < MAX_LIST;
		     tok = strtok_r(NULL, ",", &save)) {
			while (isspace((unsigned char)*tok))
				tok++;
			for (char *e = tok + strlen(tok); e > tok && isspace((unsigned char)e[-1]);)
				*--e = '\0';
			if (!(v[cnt] = dupstr(ps, tok)))
				break;
			cnt++;
		}
		free(s);
	} else {
		error_at(ps, n, "%s: expected a list, found %s", key, node_kind(n));
		return false;
	}
	free_strv(*out, *nout);
	*out = v;
	*nout = cnt;
	return true;
}

/* Walks a mapping's pairs; duplicate keys are errors, as in yaml.v3. */
typedef void (*pair_fn)(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
			void *arg);

static void each_pair(struct pstate *ps, yaml_node_t *map, const char *what, pair_fn fn,
		      void *arg)
{
	yaml_node_pair_t *p;

	if (is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		error_at(ps, map, "%s: expected a mapping, found %s", what, node_kind(map));
		return;
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top && !ps->oom; p++) {
		yaml_node_t *k = yaml_document_get_node(ps->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ps->doc, p->value);
		bool dup = false;

		if (!k || !v)
			continue;
		if (k->type != YAML_SCALAR_NODE) {
			error_at(ps, k, "%s: keys must be plain names, found %s", what, node_kind(k));
			continue;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(ps->doc, q->key);

			if (qk && qk->type == YAML_SCALAR_NODE &&
			    qk->data.scalar.length == k->data.scalar.length &&
			    !memcmp(qk->data.scalar.value, k->data.scalar.value, k->data.scalar.length)) {
				error_at(ps, k, "%s: key '%s' is defined twice (first at line %u)", what,
					 (const char *)k->data.scalar.value, node_pos(qk).line);
				dup = true;
				break;
			}
		}
		if (dup)
			continue;
		if (strlen((const char *)k->data.scalar.value) != k->data.scalar.length) {
			error_at(ps, k, "%s: key contains a NUL byte", what);
			continue;
		}
		fn(ps, (const char *)k->data.scalar.value, k, v, arg);
	}
}

static void unknown_key(struct pstate *ps, const char *where, const char *key, yaml_node_t *k)
{
	warn_at(ps, k, "unknown key '%s%s%s' (ignored)", where, *where ? "." : "", key);
}

/* ---- log, stun, ping_monitor ------------------------------------------------------- */

static void log_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct config *cfg = ps->cfg;
	char *s;

	(void)arg;
	if (!strcmp(key, "level")) {
		if ((s = get_str(ps, v, "log.level"))) {
			if (log_level_parse(s, &cfg->log_level))
				error_at(ps, v,
					 "log.level: unknown level '%s' (trace, debug, info, warn, error, disabled)",
					 s);
			free(s);
		}
	} else if (!strcmp(key, "format")) {
		if ((s = get_str(ps, v, "log.format"))) {
			if (log_format_parse(s, &cfg->log_format))
				error_at(ps, v, "log.format: unknown format '%s' (console or json)", s);
			free(s);
		}
	} else {
		unknown_key(ps, "log", key, k);
	}
}

struct stun_keys {
	char *address;
	yaml_node_t *address_node;
	char **addresses;
	size_t n_addresses;
	yaml_node_t *addresses_node;
};

static void stun_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct stun_keys *sk = arg;

	if (!strcmp(key, "address")) {
		if (set_str(ps, v, "stun.address", &sk->address))
			sk->address_node = v;
	} else if (!strcmp(key, "addresses")) {
		if (get_strlist(ps, v, "stun.addresses", &sk->addresses, &sk->n_addresses))
			sk->addresses_node = v;
	} else {
		unknown_key(ps, "stun", key, k);
	}
}

/* host:port, [v6]:port, or a bare host (port 3478, the STUN default). */
static bool check_stun_server(struct pstate *ps, yaml_node_t *n, const char *s)
{
	const char *colon, *host_end;
	char *end;
	long port;

	if (!*s)
		return false;
	if (s[0] == '[') {
		host_end = strchr(s, ']');
		if (!host_end || host_end == s + 1) {
			error_at(ps, n, "stun server '%s': unterminated [IPv6] address", s);
			return false;
		}
		colon = host_end[1] == ':' ? host_end + 1 : NULL;
		if (host_end[1] && !colon) {
			error_at(ps, n, "stun server '%s': expected ':port' after ']'", s);
			return false;
		}
	} else {
		colon = strrchr(s, ':');
		if (colon && strchr(s, ':') != colon) {
			error_at(ps, n, "stun server '%s': write IPv6 addresses as [addr]:port", s);
			return false;
		}
		if (colon == s) {
			error_at(ps, n, "stun server '%s': missing host", s);
			return false;
		}
	}
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port < 1 || port > 65535) {
			error_at(ps, n, "stun server '%s': port must be 1-65535", s);
			return false;
		}
	}
	return true;
}

static void finish_stun(struct pstate *ps, struct stun_keys *sk, bool have_stun_key)
{
	struct config *cfg = ps->cfg;
	char **list;
	size_t n = 0;

	if (!have_stun_key || (!sk->address_node && !sk->addresses_node)) {
		cfg->stun_defaulted = true;
		return; /* keep the default server set by config_defaults */
	}
	cfg->stun_defaulted = false;
	list = calloc(sk->n_addresses + 2, sizeof(*list));
	if (!list) {
		ps->oom = true;
		return;
	}
	/* stun.address (deprecated) goes first; duplicates are dropped, order kept. */
	for (size_t i = 0; i <= sk->n_addresses; i++) {
		const char *s = i == 0 ? sk->address : sk->addresses[i - 1];
		yaml_node_t *node = i == 0 ? sk->address_node : sk->addresses_node;
		bool seen = false;

		if (!s || !*s)
			continue;
		for (size_t j = 0; j < n; j++)
			seen |= !strcmp(list[j], s);
		if (seen || !check_stun_server(ps, node, s))
			continue;
		if (!(list[n] = dupstr(ps, s)))
			break;
		n++;
	}
	if (n == 0 && !ps->d->n_errors) {
		error_at(ps, sk->addresses_node ? sk->addresses_node : sk->address_node,
			 "stun: no STUN server given (set stun.addresses)");
	}
	free_strv(cfg->stun_servers, cfg->n_stun_servers);
	cfg->stun_servers = list;
	cfg->n_stun_servers = n;
}

static void ping_monitor_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
			      void *arg)
{
	struct config *cfg = ps->cfg;
	long n;

	(void)arg;
	if (!strcmp(key, "interval"))
		get_duration(ps, v, "ping_monitor.interval", 1, &cfg->ping_interval_ms);
	else if (!strcmp(key, "timeout"))
		get_duration(ps, v, "ping_monitor.timeout", 1, &cfg->ping_timeout_ms);
	else if (!strcmp(key, "fixed_retries")) {
		if (get_int(ps, v, "ping_monitor.fixed_retries", 0, 1000, &n))
			cfg->ping_fixed_retries = (int)n;
	} else
		unknown_key(ps, "ping_monitor", key, k);
}

/* ---- plugins ------------------------------------------------------------------------ */

bool config_is_secret_key(const char *key)
{
	return strstr(key, "token") || strstr(key, "secret") || strstr(key, "password") ||
	       !strcmp(key, "api_key") || !strcmp(key, "key");
}

static void plugin_option(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
			  void *arg)
{
	struct config_plugin *pl = arg;
	struct config_option *opts;
	char *val = NULL;

	(void)k;
	if (!strcmp(key, "args") || !strcmp(key, "endpoints"))
		return; /* lists, read separately */
	if (v->type != YAML_SCALAR_NODE) {
		error_at(ps, v, "plugins.%s.%s: expected a value, found %s", pl->name, key,
			 node_kind(v));
		return;
	}
	if (!(val = get_str(ps, v, key)))
		return;
	opts = realloc(pl->options, (pl->n_options + 1) * sizeof(*opts));
	if (!opts) {
		free(val);
		ps->oom = true;
		return;
	}
	pl->options = opts;
	opts[pl->n_options].key = dupstr(ps, key);
	opts[pl->n_options].value = val;
	opts[pl->n_options].pos = node_pos(v);
	pl->n_options++;
}

static const struct config_option *opt_find(const struct config_plugin *pl, const char *key)
{
	for (size_t i = 0; i < pl->n_options; i++)
		if (pl->options[i].key && !strcmp(pl->options[i].key, key))
			return &pl->options[i];
	return NULL;
}

/* A stand-in node carrying only a position, to point a diagnostic at an option. */
static yaml_node_t at_pos(struct config_pos p)
{
	yaml_node_t n;

	memset(&n, 0, sizeof(n));
	n.start_mark.line = p.line ? p.line - 1 : 0;
	n.start_mark.column = p.column ? p.column - 1 : 0;
	return n;
}

static char *opt_take(struct pstate *ps, struct config_plugin *pl, const char *key, bool required,
		      const char *hint)
{
	const struct config_option *o = opt_find(pl, key);
	yaml_node_t n = at_pos(o ? o->pos : pl->pos);

	if (!o || !*o->value) {
		/* an empty value whose ${VAR} was unset has been reported already */
		bool reported = o && ps->d->n &&
				ps->d->items[ps->d->n - 1].pos.line == o->pos.line &&
				ps->d->items[ps->d->n - 1].pos.column == o->pos.column;

		if (required && !reported)
			error_at(ps, &n, "plugins.%s: option '%s' is required%s%s", pl->name, key,
				 hint ? " " : "", hint ? hint : "");
		return NULL;
	}
	return dupstr(ps, o->value);
}

static const char *const known_options[][12] = {
	[PLUGIN_EXEC] = { "type", "dedup", "command", "args", "timeout", NULL },
	[PLUGIN_SHELL] = { "type", "dedup", "command", "args", "timeout", NULL },
	[PLUGIN_CLOUDFLARE] = { "type", "dedup", "name", "zone", "token", "subdomain", "zone_name",
				"api_token", "ttl", "timeout", NULL },
	[PLUGIN_FILE] = { "type", "dedup", "name", "dir", NULL },
};

static void parse_plugin(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
			 void *arg)
{
	struct config *cfg = ps->cfg;
	struct config_plugin *pl;
	const struct config_option *o;
	char *type = NULL, *bname = NULL;
	yaml_node_t n;
	bool legacy_cf = false;

	(void)arg;
	if (cfg->n_plugins >= MAX_PLUGINS) {
		error_at(ps, k, "plugins: too many plugins (at most %d)", MAX_PLUGINS);
		return;
	}
	pl = &cfg->plugins[cfg->n_plugins];
	memset(pl, 0, sizeof(*pl));
	pl->pos = node_pos(k);
	pl->timeout_ms = CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS;
	if (!(pl->name = dupstr(ps, name)))
		return;
	cfg->n_plugins++;
	if (v->type != YAML_MAPPING_NODE) {
		error_at(ps, v, "plugins.%s: expected a mapping with a 'type', found %s", name,
			 node_kind(v));
		return;
	}
	each_pair(ps, v, name, plugin_option, pl);

	/* lists */
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *pk = yaml_document_get_node(ps->doc, p->key);
		yaml_node_t *pv = yaml_document_get_node(ps->doc, p->value);

		if (pk && pv && pk->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)pk->data.scalar.value, "args"))
			get_strlist(ps, pv, "args", &pl->args, &pl->n_args);
	}

	type = opt_take(ps, pl, "type", true, "(exec, shell or builtin)");
	if (!type)
		goto out;
	if (!strcmp(type, "exec")) {
		pl->type = PLUGIN_EXEC;
	} else if (!strcmp(type, "shell")) {
		pl->type = PLUGIN_SHELL;
	} else if (!strcmp(type, "cloudflare")) {
		pl->type = PLUGIN_CLOUDFLARE; /* the v1.2 form the seed README shows */
		legacy_cf = true;
	} else if (!strcmp(type, "file")) {
		pl->type = PLUGIN_FILE;
	} else if (!strcmp(type, "builtin")) {
		bname = opt_take(ps, pl, "name", true, "(cloudflare or file)");
		if (!bname)
			goto out;
		o = opt_find(pl, "name");
		n = at_pos(o->pos);
		if (!strcmp(bname, "cloudflare")) {
			pl->type = PLUGIN_CLOUDFLARE;
		} else if (!strcmp(bname, "file")) {
			pl->type = PLUGIN_FILE;
		} else if (!strcmp(bname, "opendht")) {
			error_at(ps, &n, "plugins.%s: the builtin opendht store is not available in stunmesh (use an exec plugin)",
				 name);
			goto out;
		} else {
			error_at(ps, &n, "plugins.%s: unknown builtin '%s' (cloudflare or file)", name,
				 bname);
			goto out;
		}
	} else {
		o = opt_find(pl, "type");
		n = at_pos(o->pos);
		error_at(ps, &n, "plugins.%s: unknown type '%s' (exec, shell, builtin or cloudflare)",
			 name, type);
		goto out;
	}

	for (size_t i = 0; i < pl->n_options; i++) {
		bool known = false;

		for (const char *const *kn = known_options[pl->type]; *kn; kn++)
			known |= !strcmp(*kn, pl->options[i].key);
		if (!known) {
			n = at_pos(pl->options[i].pos);
			warn_at(ps, &n, "unknown key 'plugins.%s.%s' (ignored by %s plugins)", name,
				pl->options[i].key, plugin_type_name(pl->type));
		}
	}

	if ((o = opt_find(pl, "dedup"))) {
		yaml_node_t dn = at_pos(o->pos);
		static const char *yes[] = { "true", "1", "t", "yes", "on" };
		static const char *no[] = { "false", "0", "f", "no", "off", "" };
		bool ok = false;

		for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
			if (!strcasecmp(o->value, yes[i]))
				pl->dedup = true, ok = true;
		for (size_t i = 0; i < ARRAY_SIZE(no); i++)
			if (!strcasecmp(o->value, no[i]))
				pl->dedup = false, ok = true;
		if (!ok)
			error_at(ps, &dn, "plugins.%s.dedup: '%s' is not a boolean", name, o->value);
		pl->dedup_set = ok;
	}
	if ((o = opt_find(pl, "timeout"))) {
		yaml_node_t tn = at_pos(o->pos);
		yaml_node_t sn;

		memset(&sn, 0, sizeof(sn));
		sn.type = YAML_SCALAR_NODE;
		sn.start_mark = tn.start_mark;
		sn.data.scalar.value = (yaml_char_t *)o->value;
		sn.data.scalar.length = strlen(o->value);
		sn.data.scalar.style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		get_duration(ps, &sn, "timeout", 100, &pl->timeout_ms);
	}

	switch (pl->type) {
	case PLUGIN_EXEC:
	case PLUGIN_SHELL:
		pl->command = opt_take(ps, pl, "command", true, "(the program to run)");
		break;
	case PLUGIN_CLOUDFLARE:
		pl->zone = opt_take(ps, pl, legacy_cf ? "zone_name" : "zone", true,
				    "(the Cloudflare zone, e.g. example.com)");
		pl->token = opt_take(ps, pl, legacy_cf ? "api_token" : "token", true,
				     "(an API token with DNS edit permission)");
		pl->subdomain = opt_take(ps, pl, "subdomain", false, NULL);
		if ((o = opt_find(pl, "ttl"))) {
			char *end;
			long ttl = strtol(o->value, &end, 10);
			yaml_node_t tn = at_pos(o->pos);

			if (!*o->value || *end || (ttl != 1 && (ttl < 30 || ttl > 86400)))
				error_at(ps, &tn, "plugins.%s.ttl: '%s' must be 1 (automatic) or 30-86400 seconds",
					 name, o->value);
			else
				pl->ttl = (int)ttl;
		}
		break;
	case PLUGIN_FILE:
		pl->dir = opt_take(ps, pl, "dir", true, "(the directory holding the records)");
		break;
	}
out:
	free(type);
	free(bname);
}

/* ---- interfaces and peers ------------------------------------------------------------ */

static void ping_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct config_ping *ping = arg;

	if (!strcmp(key, "enabled"))
		get_bool(ps, v, "ping.enabled", &ping->enabled);
	else if (!strcmp(key, "target"))
		set_str(ps, v, "ping.target", &ping->target);
	else if (!strcmp(key, "interval"))
		get_duration(ps, v, "ping.interval", 1, &ping->interval_ms);
	else if (!strcmp(key, "timeout"))
		get_duration(ps, v, "ping.timeout", 1, &ping->timeout_ms);
	else
		unknown_key(ps, "peers.<name>.ping", key, k);
}

struct peer_walk {
	struct config_peer *peer;
	yaml_node_t *key_node;
	yaml_node_t *plugin_node;
	yaml_node_t *pubkey_node;
};

static void peer_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct peer_walk *pw = arg;
	struct config_peer *peer = pw->peer;
	char *s;

	if (!strcmp(key, "public_key")) {
		if (set_str(ps, v, "public_key", &peer->public_key_b64))
			pw->pubkey_node = v;
	} else if (!strcmp(key, "plugin")) {
		if (set_str(ps, v, "plugin", &peer->plugin_name))
			pw->plugin_node = v;
	} else if (!strcmp(key, "protocol")) {
		if ((s = get_str(ps, v, "protocol"))) {
			if (!strcmp(s, "ipv4") || !*s)
				peer->protocol = PEER_IPV4;
			else if (!strcmp(s, "ipv6"))
				peer->protocol = PEER_IPV6;
			else if (!strcmp(s, "prefer_ipv4"))
				peer->protocol = PEER_PREFER_IPV4;
			else if (!strcmp(s, "prefer_ipv6"))
				peer->protocol = PEER_PREFER_IPV6;
			else
				error_at(ps, v,
					 "peer %s: unknown protocol '%s' (ipv4, ipv6, prefer_ipv4 or prefer_ipv6)",
					 peer->name, s);
			free(s);
		}
	} else if (!strcmp(key, "description")) {
		set_str(ps, v, "description", &peer->description);
	} else if (!strcmp(key, "ping")) {
		each_pair(ps, v, "ping", ping_pair, &peer->ping);
	} else {
		unknown_key(ps, "peers.<name>", key, k);
	}
}

static void parse_peer(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
		       void *arg)
{
	struct config_iface *ifc = arg;
	struct peer_walk pw = { 0 };
	struct config_peer *peer;
	uint8_t key[64];
	size_t klen = 0;

	if (ps->total_peers >= MAX_PEERS_TOTAL) {
		if (ps->total_peers++ == MAX_PEERS_TOTAL)
			error_at(ps, k, "too many peers (at most %d in all)", MAX_PEERS_TOTAL);
		return;
	}
	ps->total_peers++;
	peer = &ifc->peers[ifc->n_peers];
	memset(peer, 0, sizeof(*peer));
	peer->pos = node_pos(k);
	if (!(peer->name = dupstr(ps, name)))
		return;
	ifc->n_peers++;
	pw.peer = peer;
	pw.key_node = k;
	if (v->type != YAML_MAPPING_NODE) {
		error_at(ps, v, "peer %s: expected a mapping with public_key and plugin, found %s",
			 name, node_kind(v));
		return;
	}
	each_pair(ps, v, name, peer_pair, &pw);

	if (!pw.pubkey_node || !peer->public_key_b64 || !*peer->public_key_b64) {
		error_at(ps, pw.pubkey_node ? pw.pubkey_node : k, "peer %s: public_key is required",
			 name);
	} else if (sodium_base642bin(key, sizeof(key), peer->public_key_b64,
				     strlen(peer->public_key_b64), NULL, &klen, NULL,
				     sodium_base64_VARIANT_ORIGINAL) != 0) {
		error_at(ps, pw.pubkey_node, "peer %s: public_key is not valid base64", name);
	} else if (klen != 32) {
		error_at(ps, pw.pubkey_node,
			 "peer %s: public_key decodes to %zu bytes; a WireGuard key is 32 bytes (44 base64 characters)",
			 name, klen);
	} else {
		memcpy(peer->public_key, key, 32);
		for (size_t i = 0; i + 1 < ifc->n_peers; i++)
			if (!memcmp(ifc->peers[i].public_key, key, 32) && ifc->peers[i].public_key_b64)
				error_at(ps, pw.pubkey_node, "peer %s: same public_key as peer %s",
					 name, ifc->peers[i].name);
	}
	if (!pw.plugin_node || !peer->plugin_name || !*peer->plugin_name) {
		error_at(ps, pw.plugin_node ? pw.plugin_node : k,
			 "peer %s: plugin is required (the name of an entry under plugins:)", name);
	} else {
		for (size_t i = 0; i < ps->cfg->n_plugins; i++)
			if (!strcmp(ps->cfg->plugins[i].name, peer->plugin_name))
				peer->plugin = &ps->cfg->plugins[i];
		if (!peer->plugin)
			error_at(ps, pw.plugin_node, "peer %s: plugin '%s' is not defined under plugins:",
				 name, peer->plugin_name);
	}
	if (peer->ping.enabled && (!peer->ping.target || !*peer->ping.target))
		warn_at(ps, k, "peer %s: ping.enabled without ping.target has no effect", name);
}

static size_t mapping_size(yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE
		       ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start)
		       : 0;
}

static void iface_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
		       void *arg)
{
	struct config_iface *ifc = arg;
	char *s;
	size_t n;

	if (!strcmp(key, "protocol")) {
		if ((s = get_str(ps, v, "protocol"))) {
			if (!strcmp(s, "ipv4") || !*s)
				ifc->protocol = FAMILY_IPV4;
			else if (!strcmp(s, "ipv6"))
				ifc->protocol = FAMILY_IPV6;
			else if (!strcmp(s, "dualstack"))
				ifc->protocol = FAMILY_DUALSTACK;
			else
				error_at(ps, v,
					 "interface %s: unknown protocol '%s' (ipv4, ipv6 or dualstack)",
					 ifc->name, s);
			free(s);
		}
	} else if (!strcmp(key, "backend")) {
		if ((s = get_str(ps, v, "backend"))) {
			if (!strcmp(s, "auto") || !*s)
				ifc->backend = WG_BACKEND_AUTO;
			else if (!strcmp(s, "netlink") || !strcmp(s, "kernel"))
				ifc->backend = WG_BACKEND_NETLINK;
			else if (!strcmp(s, "uapi"))
				ifc->backend = WG_BACKEND_UAPI;
			else
				error_at(ps, v, "interface %s: unknown backend '%s' (auto, netlink or uapi)",
					 ifc->name, s);
			free(s);
		}
	} else if (!strcmp(key, "peers")) {
		if (is_null(v))
			return;
		if (v->type != YAML_MAPPING_NODE) {
			error_at(ps, v, "interfaces.%s.peers: expected a mapping of peer names, found %s",
				 ifc->name, node_kind(v));
			return;
		}
		n = mapping_size(v);
		free(ifc->peers);
		ifc->n_peers = 0;
		ifc->peers = calloc(n ? n : 1, sizeof(*ifc->peers));
		if (!ifc->peers) {
			ps->oom = true;
			return;
		}
		each_pair(ps, v, "peers", parse_peer, ifc);
	} else if (!strcmp(key, "proxy")) {
		/* stunmesh-go's UDP proxy mode (needed on Windows) is not part of stunmesh:
		 * on Linux the raw socket reaches WireGuard's own port. */
		warn_at(ps, k, "interface %s: proxy mode is not supported by stunmesh (ignored)",
			ifc->name);
	} else if (!strcmp(key, "listen_interfaces") || !strcmp(key, "listen_default_route")) {
		warn_at(ps, k, "interface %s: %s applies to macOS/BSD only (ignored on Linux)",
			ifc->name, key);
	} else {
		unknown_key(ps, "interfaces.<name>", key, k);
	}
}

static void parse_iface(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
			void *arg)
{
	struct config *cfg = ps->cfg;
	struct config_iface *ifc;

	(void)arg;
	if (cfg->n_ifaces >= MAX_IFACES) {
		error_at(ps, k, "interfaces: too many interfaces (at most %d)", MAX_IFACES);
		return;
	}
	ifc = &cfg->ifaces[cfg->n_ifaces];
	memset(ifc, 0, sizeof(*ifc));
	ifc->pos = node_pos(k);
	if (!(ifc->name = dupstr(ps, name)))
		return;
	cfg->n_ifaces++;
	if (!*name || strlen(name) >= 16 || strchr(name, '/') || strchr(name, ' ') ||
	    !strcmp(name, ".") || !strcmp(name, ".."))
		error_at(ps, k, "interface '%s': not a valid interface name (1-15 characters, no '/' or spaces)",
			 name);
	each_pair(ps, v, name, iface_pair, ifc);
	if (ifc->n_peers == 0)
		warn_at(ps, k, "interface %s has no peers: nothing to do for it", name);
}

/* ---- top level ----------------------------------------------------------------------- */

struct top_ctx {
	struct stun_keys stun;
	bool have_stun;
	yaml_node_t *interfaces, *plugins;
};

static void top_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct top_ctx *tc = arg;
	struct config *cfg = ps->cfg;

	if (!strcmp(key, "refresh_interval"))
		get_duration(ps, v, "refresh_interval", 1000, &cfg->refresh_interval_ms);
	else if (!strcmp(key, "log"))
		each_pair(ps, v, "log", log_pair, NULL);
	else if (!strcmp(key, "stun")) {
		tc->have_stun = true;
		each_pair(ps, v, "stun", stun_pair, &tc->stun);
	} else if (!strcmp(key, "ping_monitor"))
		each_pair(ps, v, "ping_monitor", ping_monitor_pair, NULL);
	else if (!strcmp(key, "interfaces"))
		tc->interfaces = v;
	else if (!strcmp(key, "plugins"))
		tc->plugins = v;
	else if (!strcmp(key, "control_socket"))
		set_str(ps, v, "control_socket", &cfg->control_socket);
	else if (!strcmp(key, "fast_punch"))
		get_bool(ps, v, "fast_punch", &cfg->fast_punch);
	else if (!strcmp(key, "cloudflare"))
		error_at(ps, k,
			 "the top-level 'cloudflare:' block of stunmesh-go 1.0 is not supported: define a plugin under plugins: (type: builtin, name: cloudflare) and name it in each peer");
	else
		unknown_key(ps, "", key, k);
}

/* Plugins are checked before the interfaces that use them; show problems in file order
 * anyway (insertion sort: stable, and the list is short). */
static void sort_diags(struct config_diags *d)
{
	for (size_t i = 1; i < d->n; i++) {
		struct config_diag t = d->items[i];
		size_t j = i;

		while (j > 0 && (d->items[j - 1].pos.line > t.pos.line ||
				 (d->items[j - 1].pos.line == t.pos.line &&
				  d->items[j - 1].pos.column > t.pos.column))) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = t;
	}
}

int config_defaults(struct config **out)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return -ENOMEM;
	cfg->refresh_interval_ms = 10 * 60 * 1000;
	cfg->log_level = LOG_INFO;
	cfg->log_format = LOG_CONSOLE;
	cfg->ping_interval_ms = 1000;
	cfg->ping_timeout_ms = 1000;
	cfg->ping_fixed_retries = 3;
	cfg->fast_punch = true;
	cfg->stun_defaulted = true;
	cfg->stun_servers = calloc(2, sizeof(char *));
	cfg->control_socket = strdup(CONFIG_DEFAULT_CONTROL_SOCKET);
	if (!cfg->stun_servers || !cfg->control_socket ||
	    !(cfg->stun_servers[0] = strdup(CONFIG_DEFAULT_STUN))) {
		config_free(cfg);
		return -ENOMEM;
	}
	cfg->n_stun_servers = 1;
	*out = cfg;
	return 0;
}

static int diags_set_file(struct config_diags *d, const char *name)
{
	if (!d)
		return 0;
	free(d->file);
	d->file = strdup(name);
	return d->file ? 0 : -ENOMEM;
}

int config_parse(const char *name, const char *text, size_t len, struct config **out,
		 struct config_diags *diags)
{
	struct config_diags local = { 0 };
	struct config_diags *d = diags ? diags : &local;
	struct pstate ps = { 0 };
	struct top_ctx tc = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct config *cfg = NULL;
	int r;

	if (diags_set_file(d, name))
		return -ENOMEM;
	if ((r = config_defaults(&cfg)))
		goto out_nodoc;
	ps.cfg = cfg;
	ps.d = d;
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out_nodoc;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_node_t n = at_pos((struct config_pos){ (unsigned)parser.problem_mark.line + 1,
							    (unsigned)parser.problem_mark.column + 1 });

		if (parser.error == YAML_MEMORY_ERROR)
			ps.oom = true;
		else
			error_at(&ps, &n, "YAML syntax: %s%s%s",
				 parser.problem ? parser.problem : "cannot parse",
				 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto out_nodoc;
	}
	yaml_parser_delete(&parser);
	ps.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !is_null(root)) {
		each_pair(&ps, root, "top level", top_pair, &tc);
		finish_stun(&ps, &tc.stun, tc.have_stun);
		/* plugins first: peers refer to them */
		if (tc.plugins && !is_null(tc.plugins)) {
			if (tc.plugins->type != YAML_MAPPING_NODE) {
				error_at(&ps, tc.plugins, "plugins: expected a mapping, found %s",
					 node_kind(tc.plugins));
			} else {
				cfg->plugins = calloc(mapping_size(tc.plugins) + 1, sizeof(*cfg->plugins));
				if (!cfg->plugins)
					ps.oom = true;
				else
					each_pair(&ps, tc.plugins, "plugins", parse_plugin, NULL);
			}
		}
		if (tc.interfaces && !is_null(tc.interfaces) && !ps.oom) {
			if (tc.interfaces->type != YAML_MAPPING_NODE) {
				error_at(&ps, tc.interfaces, "interfaces: expected a mapping, found %s",
					 node_kind(tc.interfaces));
			} else {
				cfg->ifaces = calloc(mapping_size(tc.interfaces) + 1, sizeof(*cfg->ifaces));
				if (!cfg->ifaces)
					ps.oom = true;
				else
					each_pair(&ps, tc.interfaces, "interfaces", parse_iface, NULL);
			}
		}
		if (tc.stun.address && *tc.stun.address)
			warn_at(&ps, tc.stun.address_node,
				"stun.address is deprecated: use stun.addresses (a list)");
	}
	yaml_document_delete(&doc);
	sort_diags(d);
out_nodoc:
	free(tc.stun.address);
	free_strv(tc.stun.addresses, tc.stun.n_addresses);
	if (!r && ps.oom)
		r = -ENOMEM;
	if (!r && d->n_errors)
		r = -EINVAL;
	if (r)
		config_free(cfg);
	else
		*out = cfg;
	if (!diags)
		config_diags_free(&local);
	return r;
}

int config_load(const char *path, struct config **out, struct config_diags *diags)
{
	struct config *cfg;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!path)
		return config_defaults(out);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) == 0 && st.st_size > MAX_FILE_SIZE) {
		fclose(f);
		return -EFBIG;
	}
	text = malloc(MAX_FILE_SIZE + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(text, 1, MAX_FILE_SIZE + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!r && len > MAX_FILE_SIZE)
		r = -EFBIG;
	if (!r) {
		r = config_parse(path, text, len, &cfg, diags);
		if (!r && !(cfg->path = strdup(path))) {
			config_free(cfg);
			r = -ENOMEM;
		}
		if (!r)
			*out = cfg;
	}
	free(text);
	return r;
}

static void plugin_free(struct config_plugin *pl)
{
	free(pl->name);
	free(pl->command);
	free_strv(pl->args, pl->n_args);
	free(pl->zone);
	if (pl->token)
		secure_zero(pl->token, strlen(pl->token));
	free(pl->token);
	free(pl->subdomain);
	free(pl->dir);
	for (size_t i = 0; i < pl->n_options; i++) {
		if (pl->options[i].value && pl->options[i].key && config_is_secret_key(pl->options[i].key))
			secure_zero(pl->options[i].value, strlen(pl->options[i].value));
		free(pl->options[i].key);
		free(pl->options[i].value);
	}
	free(pl->options);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free_strv(cfg->stun_servers, cfg->n_stun_servers);
	free(cfg->control_socket);
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct config_iface *ifc = &cfg->ifaces[i];

		for (size_t j = 0; j < ifc->n_peers; j++) {
			struct config_peer *p = &ifc->peers[j];

			free(p->name);
			free(p->public_key_b64);
			free(p->plugin_name);
			free(p->description);
			free(p->ping.target);
		}
		free(ifc->peers);
		free(ifc->name);
	}
	free(cfg->ifaces);
	for (size_t i = 0; i < cfg->n_plugins; i++)
		plugin_free(&cfg->plugins[i]);
	free(cfg->plugins);
	free(cfg);
}

void config_diags_print(const struct config_diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct config_diag *it = &d->items[i];
		const char *sev = it->severity == DIAG_ERROR ? "error" : "warning";

		if (it->pos.line)
			fprintf(f, "%s:%u:%u: %s: %s\n", d->file ? d->file : "config", it->pos.line,
				it->pos.column, sev, it->msg);
		else
			fprintf(f, "%s: %s: %s\n", d->file ? d->file : "config", sev, it->msg);
	}
}

void config_diags_free(struct config_diags *d)
{
	free(d->items);
	free(d->file);
	memset(d, 0, sizeof(*d));
}

const char *iface_family_name(enum iface_family f)
{
	return f == FAMILY_IPV6 ? "ipv6" : f == FAMILY_DUALSTACK ? "dualstack" : "ipv4";
}

const char *peer_family_name(enum peer_family f)
{
	static const char *names[] = { "ipv4", "ipv6", "prefer_ipv4", "prefer_ipv6" };

	return (unsigned)f < ARRAY_SIZE(names) ? names[f] : "?";
}

const char *plugin_type_name(enum plugin_type t)
{
	static const char *names[] = { "exec", "shell", "cloudflare", "file" };

	return (unsigned)t < ARRAY_SIZE(names) ? names[t] : "?";
}
