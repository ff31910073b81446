/* SPDX-License-Identifier: GPL-2.0-or-later */
/* YAML -> struct config. The file is loaded as a libyaml document (so every node keeps
 * its line and column), then walked against the schema: this file has the top level
 * (log, stun, ping_monitor and the rest), config-plugin.c the entries under plugins:,
 * config-iface.c interfaces and peers, config-values.c what they share. Every problem
 * is recorded as a diagnostic and the walk goes on, so one run shows a user all of them.
 * Unknown keys are warnings, not errors, as stunmesh-go ignores them. */
#include "config/config-parse.h"
#include "lib/addr.h"
#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STUN_DEFAULT_PORT "3478"

/* ---- log, stun, ping_monitor ------------------------------------------------------- */

static void log_pair(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v, void *arg)
{
	struct config *cfg = ps->cfg;
	char *s;

	(void)arg;
	if (!strcmp(key, "level")) {
		if ((s = cp_get_str(ps, v, "log.level"))) {
			if (log_level_parse(s, &cfg->log_level))
				cp_error(ps, v,
					 "log.level: unknown level '%s' (trace, debug, info, warn, error, disabled)",
					 s);
			free(s);
		}
	} else if (!strcmp(key, "format")) {
		if ((s = cp_get_str(ps, v, "log.format"))) {
			if (log_format_parse(s, &cfg->log_format))
				cp_error(ps, v, "log.format: unknown format '%s' (console or json)", s);
			free(s);
		}
	} else {
		cp_unknown_key(ps, "log", key, k);
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
		if (cp_set_str(ps, v, "stun.address", &sk->address))
			sk->address_node = v;
	} else if (!strcmp(key, "addresses")) {
		if (cp_get_strlist(ps, v, "stun.addresses", &sk->addresses, &sk->n_addresses))
			sk->addresses_node = v;
	} else {
		cp_unknown_key(ps, "stun", key, k);
	}
}

/* host:port, [v6]:port, or a bare host (port 3478, the STUN default), split by the
 * address module as the resolver will split it. The two mistakes people make get
 * words of their own. */
static bool check_stun_server(struct pstate *ps, yaml_node_t *n, const char *s)
{
	size_t len = strlen(s);
	const char *close = memchr(s, ']', len);
	bool bare = false;
	struct errbuf e = { "" };
	char host[256], spec[300];
	const char *why;
	uint16_t port;

	if (!*s)
		return false;
	if (s[0] == '[') {
		if (!close || close == s + 1) {
			cp_error(ps, n, "stun server '%s': unterminated [IPv6] address", s);
			return false;
		}
		bare = !close[1];
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':')) {
			cp_error(ps, n, "stun server '%s': write IPv6 addresses as [addr]:port", s);
			return false;
		}
		bare = !colon;
	}
	if (bare && (size_t)snprintf(spec, sizeof(spec), "%s:" STUN_DEFAULT_PORT, s) >= sizeof(spec)) {
		cp_error(ps, n, "stun server '%.64s...': host name too long", s);
		return false;
	}
	if (addr_split_hostport(bare ? spec : s, bare ? strlen(spec) : len, host, sizeof(host),
				&port, &e) == 0)
		return true;
	/* the module's words after the quoted text it starts with */
	why = strstr(e.msg, "': ");
	cp_error(ps, n, "stun server '%s': %s", s, why ? why + 3 : e.msg);
	return false;
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
		if (!(list[n] = cp_strdup(ps, s)))
			break;
		n++;
	}
	if (n == 0 && !ps->d->n_errors) {
		cp_error(ps, sk->addresses_node ? sk->addresses_node : sk->address_node,
			 "stun: no STUN server given (set stun.addresses)");
	}
	cp_free_strv(cfg->stun_servers, cfg->n_stun_servers);
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
		cp_get_duration(ps, v, "ping_monitor.interval", 1, &cfg->ping_interval_ms);
	else if (!strcmp(key, "timeout"))
		cp_get_duration(ps, v, "ping_monitor.timeout", 1, &cfg->ping_timeout_ms);
	else if (!strcmp(key, "fixed_retries")) {
		if (cp_get_int(ps, v, "ping_monitor.fixed_retries", 0, 1000, &n))
			cfg->ping_fixed_retries = (int)n;
	} else
		cp_unknown_key(ps, "ping_monitor", key, k);
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
		cp_get_duration(ps, v, "refresh_interval", 1000, &cfg->refresh_interval_ms);
	else if (!strcmp(key, "log"))
		cp_each_pair(ps, v, "log", log_pair, NULL);
	else if (!strcmp(key, "stun")) {
		tc->have_stun = true;
		cp_each_pair(ps, v, "stun", stun_pair, &tc->stun);
	} else if (!strcmp(key, "ping_monitor"))
		cp_each_pair(ps, v, "ping_monitor", ping_monitor_pair, NULL);
	else if (!strcmp(key, "interfaces"))
		tc->interfaces = v;
	else if (!strcmp(key, "plugins"))
		tc->plugins = v;
	else if (!strcmp(key, "control_socket"))
		cp_set_str(ps, v, "control_socket", &cfg->control_socket);
	else if (!strcmp(key, "fast_punch"))
		cp_get_bool(ps, v, "fast_punch", &cfg->fast_punch);
	else if (!strcmp(key, "cloudflare"))
		cp_error(ps, k,
			 "the top-level 'cloudflare:' block of stunmesh-go 1.0 is not supported: define a plugin under plugins: (type: builtin, name: cloudflare) and name it in each peer");
	else
		cp_unknown_key(ps, "", key, k);
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
	free(d->file);
	d->file = strdup(name);
	return d->file ? 0 : -ENOMEM;
}

/* A mapping of entries under a top-level key, each given to fn. */
static void *entries(struct pstate *ps, yaml_node_t *map, const char *what, size_t size)
{
	void *arr;

	if (!map || cp_is_null(map) || ps->oom)
		return NULL;
	if (map->type != YAML_MAPPING_NODE) {
		cp_error(ps, map, "%s: expected a mapping, found %s", what, cp_node_kind(map));
		return NULL;
	}
	arr = calloc(cp_mapping_size(map) + 1, size);
	if (!arr)
		ps->oom = true;
	return arr;
}

static void walk(struct pstate *ps, yaml_node_t *root, struct top_ctx *tc)
{
	struct config *cfg = ps->cfg;

	cp_each_pair(ps, root, "top level", top_pair, tc);
	finish_stun(ps, &tc->stun, tc->have_stun);
	/* plugins first: peers refer to them */
	if ((cfg->plugins = entries(ps, tc->plugins, "plugins", sizeof(*cfg->plugins))))
		cp_each_pair(ps, tc->plugins, "plugins", cp_parse_plugin, NULL);
	if ((cfg->ifaces = entries(ps, tc->interfaces, "interfaces", sizeof(*cfg->ifaces))))
		cp_each_pair(ps, tc->interfaces, "interfaces", cp_parse_iface, NULL);
	if (tc->stun.address && *tc->stun.address)
		cp_warn(ps, tc->stun.address_node,
			"stun.address is deprecated: use stun.addresses (a list)");
}

int config_parse_with(const char *name, const char *text, size_t len,
		      const struct config_checks *checks, struct config **out,
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
	ps.checks = checks;
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		goto out_nodoc;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		struct config_pos p = { (unsigned)parser.problem_mark.line + 1,
					(unsigned)parser.problem_mark.column + 1 };

		if (parser.error == YAML_MEMORY_ERROR)
			ps.oom = true;
		else
			cp_diag(&ps, DIAG_ERROR, p, "YAML syntax: %s%s%s",
				parser.problem ? parser.problem : "cannot parse",
				parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		goto out_nodoc;
	}
	yaml_parser_delete(&parser);
	ps.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && !cp_is_null(root))
		walk(&ps, root, &tc);
	yaml_document_delete(&doc);
	sort_diags(d);
out_nodoc:
	free(tc.stun.address);
	cp_free_strv(tc.stun.addresses, tc.stun.n_addresses);
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

int config_parse(const char *name, const char *text, size_t len, struct config **out,
		 struct config_diags *diags)
{
	return config_parse_with(name, text, len, NULL, out, diags);
}

int config_load_with(const char *path, const struct config_checks *checks, struct config **out,
		     struct config_diags *diags)
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
		r = config_parse_with(path, text, len, checks, &cfg, diags);
		if (!r && !(cfg->path = strdup(path))) {
			config_free(cfg);
			r = -ENOMEM;
		}
		if (!r)
			*out = cfg;
	}
	/* the text may hold secrets (tokens written inline) */
	secure_zero(text, len);
	free(text);
	return r;
}

int config_load(const char *path, struct config **out, struct config_diags *diags)
{
	return config_load_with(path, NULL, out, diags);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	cp_free_strv(cfg->stun_servers, cfg->n_stun_servers);
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
		cp_plugin_free(&cfg->plugins[i]);
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
