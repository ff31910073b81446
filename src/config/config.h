/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The configuration file, read as stunmesh-go reads it (same file, same keys, same
 * defaults), into one plain struct tree. Every problem found is reported with the file,
 * line and column it comes from; loading never stops at the first one. */
#ifndef SM_CONFIG_H
#define SM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/log.h"
#include "proto/record.h" /* enum peer_family */

#define CONFIG_DEFAULT_STUN "stun.l.google.com:19302"
#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/stunmesh/stunmesh.sock"
#define CONFIG_DEFAULT_PLUGIN_TIMEOUT_MS 10000

/* Interface `protocol`: which families are discovered and published. */
enum iface_family { FAMILY_IPV4 = 0, FAMILY_IPV6, FAMILY_DUALSTACK };
/* How the WireGuard device is driven; auto picks UAPI when its socket exists. */
enum wg_backend_kind { WG_BACKEND_AUTO = 0, WG_BACKEND_NETLINK, WG_BACKEND_UAPI };

enum plugin_type {
	PLUGIN_EXEC = 0,
	PLUGIN_SHELL,
	PLUGIN_CLOUDFLARE, /* `type: builtin, name: cloudflare`, or the older `type: cloudflare` */
	PLUGIN_FILE,	   /* ours: `type: builtin, name: file` (or `type: file`) */
};

struct config_pos {
	unsigned line, column; /* 1-based; 0 when the value is a default */
};

/* A plugin option as written (after ${VAR} expansion), for the store that reads it. */
struct config_option {
	char *key;
	char *value; /* scalars only; lists go to plugin->args */
	struct config_pos pos;
};

struct config_plugin {
	char *name;
	enum plugin_type type;
	bool dedup;
	bool dedup_set; /* written explicitly; otherwise the store kind picks the default */
	int64_t timeout_ms;
	/* exec, shell */
	char *command;
	char **args;
	size_t n_args;
	/* cloudflare (both spellings are normalised here) */
	char *zone;
	char *token; /* secret: never printed, never logged */
	char *subdomain;
	int ttl; /* 0 = Cloudflare's "automatic" */
	/* file */
	char *dir;
	/* every option as written, including the above, for messages and extensions */
	struct config_option *options;
	size_t n_options;
	struct config_pos pos;
};

struct config_ping {
	bool enabled;
	char *target;
	int64_t interval_ms, timeout_ms; /* 0 = the global ping_monitor values */
};

struct config_peer {
	char *name;
	uint8_t public_key[32];
	char *public_key_b64;
	char *plugin_name;
	struct config_plugin *plugin; /* resolved; never NULL in a valid config */
	enum peer_family protocol;
	char *description;
	struct config_ping ping;
	struct config_pos pos;
};

struct config_iface {
	char *name;
	enum iface_family protocol;
	enum wg_backend_kind backend;
	struct config_peer *peers;
	size_t n_peers;
	struct config_pos pos;
};

struct config {
	char *path; /* NULL when no file was found and defaults are in use */
	int64_t refresh_interval_ms;
	enum log_level log_level;
	enum log_format log_format;
	char **stun_servers; /* "host:port", in the order they are tried */
	size_t n_stun_servers;
	bool stun_defaulted; /* no stun key at all: the default server is used */
	int64_t ping_interval_ms, ping_timeout_ms;
	int ping_fixed_retries;
	bool fast_punch; /* keepalive 1 s until the first handshake (on by default) */
	char *control_socket;
	struct config_iface *ifaces;
	size_t n_ifaces;
	struct config_plugin *plugins;
	size_t n_plugins;
};

enum diag_severity { DIAG_WARNING, DIAG_ERROR };

struct config_diag {
	enum diag_severity severity;
	struct config_pos pos;
	char msg[256];
};

/* Problems found while loading, in file order. */
struct config_diags {
	char *file;
	struct config_diag *items;
	size_t n, n_errors;
};

/* Where the file comes from: an explicit file (-c), a directory (--config-dir) or, with
 * both NULL, the stunmesh-go search order. */
struct config_source {
	const char *file;
	const char *dir;
};

/* Finds the file (see config_source). Writes a malloc'd path to *path, or NULL when the
 * search found nothing (then the caller uses defaults). -ENOENT when an explicit file or
 * directory does not provide one, with why in e. */
struct errbuf;
int config_find(const struct config_source *src, char **path, struct errbuf *e);

/* Parses YAML text. Returns 0 with *out set when there are no errors (warnings may be in
 * diags), -EINVAL when diags has at least one error, -ENOMEM. `name` is used in messages. */
int config_parse(const char *name, const char *text, size_t len, struct config **out,
		 struct config_diags *diags);
/* Reads and parses a file; path NULL gives the defaults. */
int config_load(const char *path, struct config **out, struct config_diags *diags);
/* The defaults stunmesh-go uses when there is no file. */
int config_defaults(struct config **out);
void config_free(struct config *cfg);

void config_diags_print(const struct config_diags *d, FILE *f);
void config_diags_free(struct config_diags *d);

/* Whether a plugin option or argument name carries a secret (token, password...). */
bool config_is_secret_key(const char *key);

/* The secret strings of a plugin entry: the token, options with secret names, and
 * arguments that follow a secret-named flag ("-token X") or carry one ("--token=X").
 * Writes up to max pointers into out (valid while pl lives); returns how many. */
size_t config_plugin_secrets(const struct config_plugin *pl, const char **out, size_t max);

/* Writes the effective configuration as YAML, secrets replaced by "********". */
void config_print(const struct config *cfg, FILE *f);

/* Go-style duration: "90s", "1m", "1h30m", "250ms", "1.5h". 0 or -EINVAL. */
int parse_duration(const char *s, int64_t *ms);
/* Formats ms the way Go prints durations ("1m30s"); buf of 32 bytes is enough. */
void format_duration(int64_t ms, char *buf, size_t len);

const char *iface_family_name(enum iface_family f);
const char *peer_family_name(enum peer_family f);
const char *plugin_type_name(enum plugin_type t);

#endif
