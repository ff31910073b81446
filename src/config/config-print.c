/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The effective configuration as YAML that stunmesh reads back: defaults filled in,
 * older spellings normalised, ${VAR}s expanded, and every secret masked, so the
 * output can be pasted into a bug report. */
#include "config/config.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

#define MASK "********"

/* Double-quoted YAML scalar. */
static void q(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void dur(FILE *f, const char *indent, const char *key, int64_t ms)
{
	char buf[32];

	format_duration(ms, buf, sizeof(buf));
	fprintf(f, "%s%s: \"%s\"\n", indent, key, buf);
}

/* An argument that follows "-token", "--api-token" and the like, or is "--token=...",
 * is a secret in practice (the contrib Cloudflare plugin takes -token). */
static void print_args(FILE *f, const struct config_plugin *pl)
{
	bool mask_next = false;

	fprintf(f, "    args: [");
	for (size_t i = 0; i < pl->n_args; i++) {
		const char *a = pl->args[i], *eq = strchr(a, '=');
		char name[64] = "";
		size_t n;

		if (i)
			fputs(", ", f);
		if (a[0] == '-') {
			n = strspn(a, "-");
			snprintf(name, sizeof(name), "%.*s", (int)((eq ? (size_t)(eq - a) : strlen(a)) - n),
				 a + n);
			for (char *c = name; *c; c++)
				if (*c == '-')
					*c = '_';
		}
		if (mask_next) {
			q(f, MASK);
			mask_next = false;
		} else if (*name && config_is_secret_key(name) && eq) {
			fprintf(f, "\"%.*s=" MASK "\"", (int)(eq - a), a);
		} else {
			q(f, a);
			mask_next = *name && config_is_secret_key(name);
		}
	}
	fprintf(f, "]\n");
}

/* The flag name of an argument ("--api-token=x" -> "api_token"), "" when it is none. */
static void flag_name(const char *a, char *name, size_t len)
{
	const char *eq = strchr(a, '=');
	size_t n;

	name[0] = '\0';
	if (a[0] != '-')
		return;
	n = strspn(a, "-");
	snprintf(name, len, "%.*s", (int)((eq ? (size_t)(eq - a) : strlen(a)) - n), a + n);
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
}

size_t config_plugin_secrets(const struct config_plugin *pl, const char **out, size_t max)
{
	size_t n = 0;
	bool next = false;
	char name[64];

	if (pl->token && n < max)
		out[n++] = pl->token;
	for (size_t i = 0; i < pl->n_options && n < max; i++)
		if (pl->options[i].key && config_is_secret_key(pl->options[i].key))
			out[n++] = pl->options[i].value;
	for (size_t i = 0; i < pl->n_args && n < max; i++) {
		const char *a = pl->args[i], *eq = strchr(a, '=');

		if (next) {
			out[n++] = a;
			next = false;
			continue;
		}
		flag_name(a, name, sizeof(name));
		if (!*name || !config_is_secret_key(name))
			continue;
		if (eq)
			out[n++] = eq + 1;
		else
			next = true;
	}
	return n;
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
	for (size_t i = 0; i < cfg->n_plugins; i++) {
		const struct config_plugin *pl = &cfg->plugins[i];

		fprintf(f, "  ");
		q(f, pl->name);
		fputs(":\n", f);
		switch (pl->type) {
		case PLUGIN_EXEC:
		case PLUGIN_SHELL:
			fprintf(f, "    type: %s\n    command: ", plugin_type_name(pl->type));
			q(f, pl->command);
			fputc('\n', f);
			print_args(f, pl);
			dur(f, "    ", "timeout", pl->timeout_ms);
			break;
		case PLUGIN_CLOUDFLARE:
			fprintf(f, "    type: builtin\n    name: cloudflare\n    zone: ");
			q(f, pl->zone);
			fprintf(f, "\n    token: \"" MASK "\"\n");
			if (pl->subdomain) {
				fprintf(f, "    subdomain: ");
				q(f, pl->subdomain);
				fputc('\n', f);
			}
			if (pl->ttl)
				fprintf(f, "    ttl: %d\n", pl->ttl);
			dur(f, "    ", "timeout", pl->timeout_ms);
			break;
		case PLUGIN_FILE:
			fprintf(f, "    type: builtin\n    name: file\n    dir: ");
			q(f, pl->dir);
			fputc('\n', f);
			break;
		}
		if (pl->dedup_set)
			fprintf(f, "    dedup: %s\n", pl->dedup ? "true" : "false");
	}
}
