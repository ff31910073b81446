/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The store kinds, one line each. Adding a kind: its file (store-<kind>.c with a
 * struct store_ops: options, capabilities, operations) and its line here; a kind with
 * a library of its own also gets a WITH_<KIND> switch in the Makefile (see
 * docs/ARCHITECTURE.md, "Adding a store"). A kind left out of the build keeps a line
 * with a NULL ops, so a configuration naming it gets a clear error. */
#include "store/store.h"

#ifndef WITH_CLOUDFLARE
#define WITH_CLOUDFLARE 1
#endif

extern const struct store_ops store_exec_ops;
extern const struct store_ops store_shell_ops;
extern const struct store_ops store_file_ops;
#if WITH_CLOUDFLARE
extern const struct store_ops store_cloudflare_ops;
#endif

const struct store_kind_entry store_kinds[] = {
	{ &store_exec_ops, NULL, NULL },
	{ &store_shell_ops, NULL, NULL },
#if WITH_CLOUDFLARE
	{ &store_cloudflare_ops, NULL, NULL },
#else
	{ NULL, "cloudflare", "build with make WITH_CLOUDFLARE=1" },
#endif
	{ &store_file_ops, NULL, NULL },
	{ NULL, "opendht", "use an exec plugin" },
};

const size_t store_n_kinds = sizeof(store_kinds) / sizeof(store_kinds[0]);
