/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to src/config: the state of one parse and the helpers the parts of the walk
 * share (config-load.c: top level; config-values.c: scalars, lists, mappings and
 * diagnostics; config-plugin.c: plugin entries; config-iface.c: interfaces and peers). */
#ifndef SM_CONFIG_PARSE_H
#define SM_CONFIG_PARSE_H

#include "config/config.h"

#include <yaml.h>

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
	const struct config_checks *checks;
	bool oom;
	size_t total_peers;
};

struct config_pos cp_pos(const yaml_node_t *n);
__attribute__((format(printf, 4, 5))) void cp_diag(struct pstate *ps, enum diag_severity sev,
						   struct config_pos pos, const char *fmt, ...);
#define cp_error(ps, n, ...) cp_diag((ps), DIAG_ERROR, cp_pos(n), __VA_ARGS__)
#define cp_warn(ps, n, ...) cp_diag((ps), DIAG_WARNING, cp_pos(n), __VA_ARGS__)

char *cp_strdup(struct pstate *ps, const char *s);
const char *cp_node_kind(const yaml_node_t *n);
bool cp_is_null(const yaml_node_t *n);
size_t cp_mapping_size(const yaml_node_t *n);
void cp_free_strv(char **v, size_t n);

/* The scalar's text after ${VAR} expansion, malloc'd; NULL (with a diagnostic) when
 * the node is not a scalar or its text cannot be expanded. A null scalar is "". */
char *cp_get_str(struct pstate *ps, const yaml_node_t *n, const char *key);
/* Replaces *dst, keeping the old value when the node is unusable. */
bool cp_set_str(struct pstate *ps, const yaml_node_t *n, const char *key, char **dst);
bool cp_get_bool(struct pstate *ps, const yaml_node_t *n, const char *key, bool *out);
bool cp_get_int(struct pstate *ps, const yaml_node_t *n, const char *key, long min, long max,
		long *out);
bool cp_get_duration(struct pstate *ps, const yaml_node_t *n, const char *key, int64_t min_ms,
		     int64_t *out);
/* A list of strings, or one comma-separated string (mapstructure's StringToSlice). */
bool cp_get_strlist(struct pstate *ps, const yaml_node_t *n, const char *key, char ***out,
		    size_t *nout);
/* Splits s at commas, trimming each part (the scalar form of a list). */
int cp_split_list(struct pstate *ps, const char *s, char ***out, size_t *nout);

/* Walks a mapping's pairs; duplicate keys are errors, as in yaml.v3. */
typedef void (*cp_pair_fn)(struct pstate *ps, const char *key, yaml_node_t *k, yaml_node_t *v,
			   void *arg);
void cp_each_pair(struct pstate *ps, yaml_node_t *map, const char *what, cp_pair_fn fn,
		  void *arg);
void cp_unknown_key(struct pstate *ps, const char *where, const char *key, yaml_node_t *k);

/* One entry under plugins: (config-plugin.c) and under interfaces: (config-iface.c),
 * as cp_pair_fn. */
void cp_parse_plugin(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
		     void *arg);
void cp_parse_iface(struct pstate *ps, const char *name, yaml_node_t *k, yaml_node_t *v,
		    void *arg);
void cp_plugin_free(struct config_plugin *pl);

/* config-compat.c: the deprecated fields of struct config_plugin. */
void cp_compat_fill(struct pstate *ps, struct config_plugin *pl);
void cp_compat_free(struct config_plugin *pl);

#endif
