/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Key-value stores for sealed records, asynchronous so they all share the event loop:
 * a slow store never blocks another store, interface or peer. An operation reports
 * through its callback exactly once, always from the loop, never from inside
 * store_get/store_set. "Not found" is its own result, distinct from a failing store:
 * a peer that has not published yet is normal, a store that does not answer is not.
 *
 * Keys are the 40-hex-char record keys, values lowercase hex; stores may rely on that
 * (the file store uses the key as a file name).
 *
 * A store kind is one file (store-<kind>.c) defining a struct store_ops: its options
 * (a schema: names, types, required, secret, default, one line of doc), its
 * capabilities (struct store_caps) and its operations; and one line in the table in
 * store-kinds.c. Everything else is generic: checking a plugin entry against the
 * schema (with file:line:column, for check-config and the daemon alike), masking
 * and scrubbing its secrets, comparing entries on reload, a queue that bounds how many
 * operations run at once, change notification, dedup. */
#ifndef SM_STORE_H
#define SM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config/config.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

#define STORE_KEY_MAX 128
/* Operations of one store running at once when neither the kind nor the entry says. */
#define STORE_DEFAULT_CONCURRENCY 4

enum store_status {
	STORE_OK = 0,
	STORE_NOT_FOUND, /* get only: nothing stored under the key */
	STORE_ERROR,	 /* the store failed; error says why */
};

struct store_result {
	enum store_status status;
	const char *value; /* get + STORE_OK: NUL-terminated; valid during the callback */
	size_t value_len;
	const char *error; /* STORE_ERROR: words, never a secret */
};

typedef void (*store_cb)(const struct store_result *res, void *arg);

struct store;

/* What every store gets from the daemon. */
struct store_env {
	struct loop *loop;
	const struct logger *log;
};

/* ---- what a kind declares -------------------------------------------------------- */

enum store_opt_type {
	STORE_OPT_STRING,
	STORE_OPT_INT,	    /* decimal, within [min, max] */
	STORE_OPT_BOOL,	    /* true/false, yes/no, 1/0... */
	STORE_OPT_DURATION, /* Go-style ("10s"), at least min milliseconds */
	STORE_OPT_LIST,	    /* a YAML list, or one comma-separated string */
};

struct store_option_spec {
	const char *name;
	enum store_opt_type type;
	bool required; /* present and not empty */
	bool secret;   /* masked by check-config, scrubbed from errors and plugin output */
	const char *def;   /* the default as it would be written; NULL: none */
	const char *doc;   /* one line, for docs/configuration.md (store_kinds_doc) */
	const char *alias; /* an older spelling read as this option (zone_name for zone) */
	const char *hint;  /* said with "is required", e.g. "(the program to run)" */
	int64_t min, max;  /* int: the range (both 0: any); duration: min is the shortest, in ms */
	/* A check beyond the type (a DNS name, a URL): 0, or -EINVAL with why in e. */
	int (*check)(const char *value, struct errbuf *e);
};

/* What the engine may rely on (contract 3). */
struct store_caps {
	bool cheap_reads;     /* a read costs nothing (a local file): watch often */
	bool notifies;	      /* the store pushes changes (store_watch works) */
	size_t value_max;     /* largest value it keeps whole; 0 = no limit; 255 for DNS TXT */
	bool dedup_default;   /* dedup when the entry does not say (values never expire) */
	int64_t value_ttl_ms; /* values expire (OpenDHT 10 min): republish before; 0 = never */
};

/* One operation, owned by store.c; the kinds keep their state in priv. */
struct store_op {
	struct store *store;
	struct store_op *next;	/* the store's list of pending operations (queued or running) */
	struct store_op *qnext; /* the queue of operations waiting for a free slot */
	bool queued;		/* waiting: the kind has not seen it yet */
	bool is_set;
	char key[STORE_KEY_MAX + 1];
	char *value; /* set: the value to write */
	uint32_t fwmark;
	store_cb cb;
	void *arg;
	struct loop_timer later; /* completion from the loop for synchronous kinds */
	void *priv;		 /* the kind's per-operation state */
	/* result delivered by store_op_complete_later */
	enum store_status status;
	char *result_value;
	char *result_error;
};

struct store_ops {
	const char *kind; /* "file": also the `type` (or builtin `name`) that selects it */
	bool builtin;	  /* selected by `type: builtin, name: <kind>` (and `type: <kind>`) */
	const struct store_option_spec *options; /* ends with an entry whose name is NULL */
	struct store_caps caps;
	/* operations running at once by default (the entry's max_concurrent overrides);
	 * 0 = STORE_DEFAULT_CONCURRENCY; a kind whose operations finish at once may say
	 * SIZE_MAX (no limit) */
	size_t max_concurrent;
	/* Rules across options (optional), once each option passed its own checks: 0, or
	 * -EINVAL with why in e and *pos set to the option it is about. */
	int (*check)(const struct store_ops *ops, const struct config_plugin *cfg,
		     struct config_pos *pos, struct errbuf *e);
	/* Reads the options (store_opt_*); errors with words, no need to name the store. */
	int (*init)(struct store *s, const struct config_plugin *cfg, struct errbuf *e);
	/* Starts op; completes it later with store_op_done or store_op_complete_later,
	 * never from inside start. The timeout (s->timeout_ms) counts from here. */
	int (*start)(struct store *s, struct store_op *op);
	/* Abandons a started op: release op->priv, no callback. */
	void (*cancel)(struct store *s, struct store_op *op);
	void (*destroy)(struct store *s);
	/* Change notification (optional: without it store_watch is -EOPNOTSUPP): key has
	 * its first watcher / lost its last. The kind calls store_notify when a value may
	 * have changed. */
	int (*watch)(struct store *s, const char *key);
	void (*unwatch)(struct store *s, const char *key);
};

/* ---- a store ------------------------------------------------------------------------ */

struct store_dedup;
struct store_watch;

struct store {
	const struct store_ops *ops;
	struct store_caps caps;
	char *name;
	struct loop *loop;
	const struct logger *log;
	int64_t timeout_ms;
	bool dedup;
	struct store_dedup *seen;
	struct store_op *pending;
	struct store_op *queue, **queue_tail;
	size_t running, max_running;
	bool pumping;
	struct store_watch *watches;
	struct loop_timer notify_timer;
	bool *freed; /* set while a callback runs, so the dispatcher sees a store_free */
	char **secrets; /* from the plugin's config: scrubbed from errors and logs */
	size_t n_secrets;
	void *priv;
};

/* Creates the store a plugin entry describes (checked against its kind's schema
 * again, so an unchecked entry cannot reach a kind). -EINVAL with why in e for a bad
 * option, -EOPNOTSUPP for a kind not built in. */
int store_new(const struct config_plugin *cfg, const struct store_env *env, struct store **out,
	      struct errbuf *e);
/* Frees the store; operations in flight or queued are abandoned (children killed, no
 * callbacks), watches dropped. May be called from any callback of the store. */
void store_free(struct store *s);

const struct store_caps *store_caps(const struct store *s);

/* Both return 0 when the callback will come, or -EINVAL (bad key or value) / -ENOMEM,
 * when it will not. fwmark is the WireGuard device's (0 = none): stores that open
 * sockets mark them with it, plugins get it as STUNMESH_FWMARK. At most max_running
 * operations of a store run at once; the others wait their turn in order, and each
 * one's timeout counts from when it starts running, not from the call. */
int store_get(struct store *s, const char *key, uint32_t fwmark, store_cb cb, void *arg);
int store_set(struct store *s, const char *key, const char *value, uint32_t fwmark, store_cb cb,
	      void *arg);

/* Abandons every pending operation (queued or running) whose callback argument is arg
 * (a peer going away): their callbacks will not run; plugin processes are killed.
 * Watches with that arg go too. */
void store_cancel(struct store *s, void *arg);

/* ---- change notification --------------------------------------------------------- */

/* cb runs (from the loop, never from inside store_watch) when the value under key may
 * have changed. Bursts are coalesced: one callback per key per STORE_NOTIFY_MS. */
typedef void (*store_change_cb)(void *arg, const char *key);
#define STORE_NOTIFY_MS 20
/* 0, -EOPNOTSUPP (the kind cannot notify), -EINVAL (bad key), -ENOMEM, or what the kind
 * says (e.g. -EMFILE: no inotify instance left). Watching the same key with the same
 * arg twice is one watch. */
int store_watch(struct store *s, const char *key, store_change_cb cb, void *arg);
void store_unwatch(struct store *s, const char *key, void *arg);
/* For the kinds: the value under key may have changed (NULL: any key may have). */
void store_notify(struct store *s, const char *key);
/* For the kinds: whether anybody watches key. */
bool store_watched(const struct store *s, const char *key);

/* ---- configuration --------------------------------------------------------------- */

/* Checks each plugin entry against its kind (for config_parse_with/config_load_with):
 * the kind exists and is built in, required options are there, values have their
 * types and pass their checks, unknown options are warned about; older spellings are
 * normalised (type: cloudflare -> type: builtin, name: cloudflare; zone_name -> zone),
 * options are marked secret as the schema says. */
extern const struct config_checks store_config_checks;
/* config_parse/config_load with store_config_checks: what commands and the daemon use. */
int store_config_parse(const char *name, const char *text, size_t len, struct config **out,
		       struct config_diags *diags);
int store_config_load(const char *path, struct config **out, struct config_diags *diags);

/* Whether two entries make the same store (reload keeps it): same kind, same shared
 * keys, and every option of the kind's schema the same (defaults and older spellings
 * taken into account). Options the kind does not know do not count. */
bool store_config_equal(const struct config_plugin *a, const struct config_plugin *b);

/* Writes the option tables of every kind as Markdown, for docs/configuration.md. */
void store_kinds_doc(FILE *f);

/* For init and check: an option's value as the entry gives it, else its older
 * spelling, else the schema's default (NULL / 0 / false / no items when there is
 * none); durations in ms. name must be in ops's schema. Valid while cfg lives (init
 * copies what it keeps). */
const char *store_opt_str(const struct store_ops *ops, const struct config_plugin *cfg,
			  const char *name);
int64_t store_opt_int(const struct store_ops *ops, const struct config_plugin *cfg,
		      const char *name);
bool store_opt_bool(const struct store_ops *ops, const struct config_plugin *cfg,
		    const char *name);
size_t store_opt_list(const struct store_ops *ops, const struct config_plugin *cfg,
		      const char *name, char *const **items);

/* ---- for the kinds ------------------------------------------------------------------ */

/* Report and free op. value for a successful get, error for failures. */
void store_op_done(struct store_op *op, enum store_status st, const char *value,
		   const char *error);
/* The same, delivered from the loop on its next round (for kinds that finish at once). */
void store_op_complete_later(struct store_op *op, enum store_status st, const char *value,
			     const char *error);

/* dedup as in stunmesh-go: skip a set when the plaintext is unchanged. The record is
 * resealed with a fresh nonce every time, so only the caller can compare: it passes
 * what identifies the content (the endpoint JSON without "ts"). unchanged() is true
 * when dedup is on and the last successful set for key had the same content;
 * remember() records it after a set succeeded. */
bool store_dedup_unchanged(const struct store *s, const char *key, const char *content);
int store_dedup_remember(struct store *s, const char *key, const char *content);
/* Forgets what was set for key (e.g. after a failed set, or to force a republish). */
void store_dedup_forget(struct store *s, const char *key);

/* For the kinds that run a plugin process (exec, shell; store-exec.c): runs the
 * store's command for op with input on stdin, done gets the child's result with op as
 * its argument; and the matching cancel. */
struct child_result;
int store_child_run(struct store *s, struct store_op *op, const char *input, size_t len,
		    void (*done)(const struct child_result *r, void *arg));
void store_child_cancel(struct store *s, struct store_op *op);

/* ---- store-kinds.c -------------------------------------------------------------- */

/* The table of kinds: those built in (ops set) and those known but left out of this
 * build (ops NULL, selected by name in either form), with what to do instead. */
struct store_kind_entry {
	const struct store_ops *ops;
	const char *name;    /* for those left out */
	const char *why_not; /* for those left out, e.g. "make WITH_CLOUDFLARE=1" */
};
extern const struct store_kind_entry store_kinds[];
extern const size_t store_n_kinds;

/* The spec called name in a kind's schema, or NULL. */
const struct store_option_spec *store_option_find(const struct store_ops *ops, const char *name);

#endif
