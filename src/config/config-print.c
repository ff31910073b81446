/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The effective configuration as YAML that stunmesh reads back: defaults filled in,
 * older spellings normalised (by the store layer's check, for plugin entries), ${VAR}s
 * expanded, every secret masked, so the output can be pasted into a bug report.
 * Every string is printed double-quoted and escaped, keys included: what a file
 * contains cannot turn into YAML structure in the output. Secrets are what the store
 * layer marked secret, plus what looks like one (config_plugin_secrets). */
#include "config/config.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define MASK "********"

/* The inside of a double-quoted YAML scalar: n bytes of s, escaped. */
static void qbody(FILE *f, const char *s, size_t n)
{
	for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n;
	     p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* Double-quoted YAML scalar. */
static void q(FILE *f, const char *s)
{
	fputc('"', f);
	if (s)
		qbody(f, s, strlen(s));
	fputc('"', f);
}

static void dur(FILE *f, const char *indent, const char *key, int64_t ms)
{
	char buf[32];

	format_duration(ms, buf, sizeof(buf));
	fprintf(f, "%s%s: \"%s\"\n", indent, key, buf);
}

#define MAX_SECRETS 64

struct secrets {
	const char *p[MAX_SECRETS];
	size_t n;
};

/* Where in s the first secret starts, or NULL. */
static const char *secret_in(const struct secrets *sec, const char *s)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < sec->n; i++)
		if (sec->p[i] >= s && sec->p[i] < s + len)
			return sec->p[i];
	return NULL;
}

/* A list item: "-token", then the secret masked, "--token=" MASK. */
static void print_item(FILE *f, const struct secrets *sec, const char *a)
{
	const char *p = secret_in(sec, a);

	if (!p) {
		q(f, a);
	} else if (p == a) {
		q(f, MASK);
	} else {
		fputc('"', f);
		qbody(f, a, (size_t)(p - a));
		fputs(MASK "\"", f);
	}
}

/* A scalar whose comma-separated parts hold secrets ("-a,--token=X", a list written
 * as one string): each secret replaced in the text, the rest kept. */
static void masked_scalar(FILE *f, const struct config_option *o, const struct secrets *sec)
{
	const char *v = o->value;

	fputc('"', f);
	while (*v) {
		size_t best = 0;

		for (size_t i = 0; i < o->n_items; i++) {
			for (size_t j = 0; j < sec->n; j++) {
				size_t n = strlen(sec->p[j]);

				/* a secret of this option's items, found at v */
				if (sec->p[j] >= o->items[i] &&
				    sec->p[j] < o->items[i] + strlen(o->items[i]) && n > best &&
				    !strncmp(v, sec->p[j], n))
					best = n;
			}
		}
		if (best) {
			fputs(MASK, f);
			v += best;
		} else {
			qbody(f, v, 1);
			v++;
		}
	}
	fputc('"', f);
}

static void print_option(FILE *f, const struct config_option *o, const struct secrets *sec)
{
	fputs("    ", f);
	q(f, o->key);
	fputs(": ", f);
	if (o->value && secret_in(sec, o->value)) {
		q(f, MASK);
	} else if (o->value) {
		masked_scalar(f, o, sec);
	} else {
		fputc('[', f);
		for (size_t i = 0; i < o->n_items; i++) {
			if (i)
				fputs(", ", f);
			print_item(f, sec, o->items[i]);
		}
		fputc(']', f);
	}
	fputc('\n', f);
}

static void print_plugin(FILE *f, const struct config_plugin *pl)
{
	struct secrets sec;

	sec.n = config_plugin_secrets(pl, sec.p, MAX_SECRETS);
	fprintf(f, "  ");
	q(f, pl->name);
	fputs(":\n    type: ", f);
	q(f, pl->type_name);
	fputc('\n', f);
	if (pl->builtin) {
		fputs("    name: ", f);
		q(f, pl->builtin);
		fputc('\n', f);
	}
	for (size_t i = 0; i < pl->n_options; i++)
		if (!pl->options[i].ignored && !config_plugin_common_key(pl->options[i].key))
			print_option(f, &pl->options[i], &sec);
	dur(f, "    ", "timeout", pl->timeout_ms);
	if (pl->max_concurrent)
		fprintf(f, "    max_concurrent: %d\n", pl->max_concurrent);
	if (pl->dedup_set)
		fprintf(f, "    dedup: %s\n", pl->dedup ? "true" : "false");
}

void config_print(const struct config *cfg, FILE *f)
{
	fprintf(f, "# effective configuration%s%s (secrets masked)\n", cfg->path ? " of " : "",
		cfg->path ? cfg->path : " (built-in defaults)");
	dur(f, "", "refresh_interval", cfg->refresh_interval_ms);
	fprintf(f, "log:\n  level: %s\n  format: %s\n", log_level_name(cfg->log_level),
		log_format_name(cfg->log_format));
	fprintf(f, "stun:\n  addresses:\n");
	for (size_t i = 0; i < cfg->n_stun_servers; i++) {
		fputs("    - ", f);
		q(f, cfg->stun_servers[i]);
		fputc('\n', f);
	}
	fprintf(f, "ping_monitor:\n");
	dur(f, "  ", "interval", cfg->ping_interval_ms);
	dur(f, "  ", "timeout", cfg->ping_timeout_ms);
	fprintf(f, "  fixed_retries: %d\n", cfg->ping_fixed_retries);
	fprintf(f, "fast_punch: %s\n", cfg->fast_punch ? "true" : "false");
	fprintf(f, "control_socket: ");
	q(f, cfg->control_socket);
	fprintf(f, "\ninterfaces:%s\n", cfg->n_ifaces ? "" : " {}");
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct config_iface *ifc = &cfg->ifaces[i];
		static const char *backends[] = { "auto", "netlink", "uapi" };

		fprintf(f, "  ");
		q(f, ifc->name);
		fprintf(f, ":\n    protocol: %s\n    backend: %s\n    peers:%s\n",
			iface_family_name(ifc->protocol), backends[ifc->backend],
			ifc->n_peers ? "" : " {}");
		for (size_t j = 0; j < ifc->n_peers; j++) {
			const struct config_peer *p = &ifc->peers[j];

			fprintf(f, "      ");
			q(f, p->name);
			fprintf(f, ":\n        public_key: ");
			q(f, p->public_key_b64);
			fprintf(f, "\n        plugin: ");
			q(f, p->plugin_name);
			fprintf(f, "\n        protocol: %s\n", peer_family_name(p->protocol));
			if (p->description) {
				fprintf(f, "        description: ");
				q(f, p->description);
				fputc('\n', f);
			}
			if (p->ping.enabled || p->ping.target) {
				fprintf(f, "        ping:\n          enabled: %s\n",
					p->ping.enabled ? "true" : "false");
				if (p->ping.target) {
					fprintf(f, "          target: ");
					q(f, p->ping.target);
					fputc('\n', f);
				}
				if (p->ping.interval_ms)
					dur(f, "          ", "interval", p->ping.interval_ms);
				if (p->ping.timeout_ms)
					dur(f, "          ", "timeout", p->ping.timeout_ms);
			}
		}
	}
	fprintf(f, "plugins:%s\n", cfg->n_plugins ? "" : " {}");
	for (size_t i = 0; i < cfg->n_plugins; i++)
		print_plugin(f, &cfg->plugins[i]);
}
