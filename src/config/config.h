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

/* Until src/daemon/engine.c compares plugin entries with store_config_equal()
 * (store/store.h): the kinds its plugin_equal() tells apart. See the compat fields
 * below; both go when plugin_equal does. */
enum plugin_type {
	PLUGIN_EXEC = 0,
	PLUGIN_SHELL,
	PLUGIN_CLOUDFLARE,
	PLUGIN_FILE,
	PLUGIN_OTHER, /* any kind added since */
};

struct config_pos {
	unsigned line, column; /* 1-based; 0 when the value is a default */
};

/* A plugin option as written (after ${VAR} expansion). Which options a store kind
 * takes, their types and which of them are secret is the store layer's business
 * (store/store.h): config keeps them as text with their positions. */
struct config_option {
	char *key;
	char *value;   /* a scalar; NULL when the option was written as a list */
	char **items;  /* a list's items; for a scalar, its comma-separated parts */
	size_t n_items;
	bool unusable; /* its value could not be read (e.g. an unset ${VAR}): reported */
	/* set by the store layer when it checks the entry against its kind */
	bool secret;  /* masked in printed configurations, wiped on free */
	bool ignored; /* not an option of the entry's kind (warned about) */
	struct config_pos pos;
};

/* One entry under plugins:. The keys every kind shares are read here; the rest stay
 * generic in options. */
struct config_plugin {
	char *name;
	char *type_name; /* `type` as written ("" when missing) */
	char *builtin;	 /* `name` as written (which builtin store), NULL when absent */
	bool dedup;
	bool dedup_set; /* written explicitly; otherwise the store kind picks the default */
	int64_t timeout_ms;
	int max_concurrent; /* operations running at once; 0 = the kind's default */
	/* every key as written, in file order, the shared ones included */
	struct config_option *options;
	size_t n_options;
	struct config_pos pos;
	bool checked; /* a store layer check ran over it (config_checks) */

	/* Deprecated, for src/daemon/engine.c's plugin_equal() only, filled from the
	 * options by config-compat.c; goes once the engine calls store_config_equal(). */
	enum plugin_type type;
	char *command;
	char **args;
	size_t n_args;
	char *zone;
	char *token;
	char *subdomain;
	int ttl;
	char *dir;
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

/* What a layer above config checks in each plugin entry: the store layer checks the
 * options against the entry's kind (store_config_checks in store/store.h). plugin()
 * runs once per entry, also when other parts of the file have errors, adds its
 * problems to d with config_diag_add (they are sorted into file order with the
 * others) and may normalise the entry (older spellings). */
struct config_checks {
	void (*plugin)(struct config_plugin *pl, struct config_diags *d, void *ctx);
	void *ctx;
};

/* Parses YAML text. Returns 0 with *out set when there are no errors (warnings may be in
 * diags), -EINVAL when diags has at least one error, -ENOMEM. `name` is used in messages.
 * checks may be NULL: then plugin entries are read but their options not checked. */
int config_parse_with(const char *name, const char *text, size_t len,
		      const struct config_checks *checks, struct config **out,
		      struct config_diags *diags);
/* Reads and parses a file; path NULL gives the defaults. */
int config_load_with(const char *path, const struct config_checks *checks, struct config **out,
		     struct config_diags *diags);
/* The same without checks (store_config_parse/store_config_load add them). */
int config_parse(const char *name, const char *text, size_t len, struct config **out,
		 struct config_diags *diags);
int config_load(const char *path, struct config **out, struct config_diags *diags);
/* The defaults stunmesh-go uses when there is no file. */
int config_defaults(struct config **out);
void config_free(struct config *cfg);

/* Adds a problem at pos (0 or -ENOMEM). */
__attribute__((format(printf, 4, 5))) int config_diag_add(struct config_diags *d,
							   enum diag_severity sev,
							   struct config_pos pos, const char *fmt, ...);
void config_diags_print(const struct config_diags *d, FILE *f);
void config_diags_free(struct config_diags *d);

/* The keys every plugin entry may have, whatever its kind: type, name, dedup,
 * timeout, max_concurrent. */
bool config_plugin_common_key(const char *key);
/* The option called key, or NULL. */
const struct config_option *config_plugin_option(const struct config_plugin *pl,
						 const char *key);

/* Whether an option or argument name looks like it carries a secret (token,
 * password...): the fallback where no schema says (exec and shell arguments). */
bool config_is_secret_key(const char *key);

/* The secret strings of a plugin entry as far as config can tell: options marked
 * secret or with secret names, and list items that follow a secret-named flag
 * ("-token X") or carry one ("--token=X"). Writes up to max pointers into out (valid
 * while pl lives); returns how many. */
size_t config_plugin_secrets(const struct config_plugin *pl, const char **out, size_t max);

/* Writes the effective configuration as YAML, secrets replaced by "********". */
void config_print(const struct config *cfg, FILE *f);

/* Go's strconv.ParseBool plus the YAML 1.1 words people still write (yes/no, on/off);
 * "" is false. 0 or -EINVAL. */
int config_parse_bool(const char *s, bool *out);

/* Go-style duration: "90s", "1m", "1h30m", "250ms", "1.5h". 0 or -EINVAL. */
int parse_duration(const char *s, int64_t *ms);
/* Formats ms the way Go prints durations ("1m30s"); buf of 32 bytes is enough. */
void format_duration(int64_t ms, char *buf, size_t len);

const char *iface_family_name(enum iface_family f);
const char *peer_family_name(enum peer_family f);

#endif
