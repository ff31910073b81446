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
 * Kinds (one file each): file (store-file.c), exec (store-exec.c), shell
 * (store-shell.c), cloudflare (store-cloudflare.c); a kind registers in the table in
 * store.c. */
#ifndef SM_STORE_H
#define SM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/util.h"

#define STORE_KEY_MAX 128

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

/* One operation in flight, owned by the store kind; the generic part is here so the
 * kinds share completion and cancellation. */
struct store_op {
	struct store *store;
	struct store_op *next; /* the store's list of pending operations */
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
	const char *kind;
	bool dedup_default; /* dedup when the config does not say: right for stores whose
			     * values never expire */
	int (*init)(struct store *s, const struct config_plugin *cfg, struct errbuf *e);
	/* Starts op; completes it later with store_op_done or store_op_complete_later. */
	int (*start)(struct store *s, struct store_op *op);
	/* Abandons op (store_free with work in flight): release op->priv, no callback. */
	void (*cancel)(struct store *s, struct store_op *op);
	void (*destroy)(struct store *s);
};

struct store_dedup;

struct store {
	const struct store_ops *ops;
	char *name;
	struct loop *loop;
	const struct logger *log;
	int64_t timeout_ms;
	bool dedup;
	struct store_dedup *seen;
	struct store_op *pending;
	char **secrets; /* from the plugin's config: scrubbed from errors and logs */
	size_t n_secrets;
	void *priv;
};

/* Creates the store a plugin entry describes. -EINVAL with why in e for a bad option,
 * -EOPNOTSUPP for a kind not built in. */
int store_new(const struct config_plugin *cfg, const struct store_env *env, struct store **out,
	      struct errbuf *e);
/* Frees the store; operations in flight are abandoned (children killed, no callbacks). */
void store_free(struct store *s);

/* Both return 0 when the callback will come, or -EINVAL (bad key or value) / -ENOMEM,
 * when it will not. fwmark is the WireGuard device's (0 = none): stores that open
 * sockets mark them with it, plugins get it as STUNMESH_FWMARK. */
int store_get(struct store *s, const char *key, uint32_t fwmark, store_cb cb, void *arg);
int store_set(struct store *s, const char *key, const char *value, uint32_t fwmark, store_cb cb,
	      void *arg);

/* Abandons every pending operation whose callback argument is arg (a peer going away):
 * their callbacks will not run; plugin processes are killed. */
void store_cancel(struct store *s, void *arg);

/* For the kinds: report and free op. value for a successful get, error for failures. */
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

/* The kinds, for the table in store.c. */
extern const struct store_ops store_file_ops;
extern const struct store_ops store_exec_ops;
extern const struct store_ops store_shell_ops;
extern const struct store_ops store_cloudflare_ops;

#endif
