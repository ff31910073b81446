/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Private to the cloudflare store: store-cloudflare.c has the requests (libcurl's
 * multi interface on the loop, the phases of an operation, retries), and
 * store-cloudflare-kind.c the kind (options, set-up, start, cancel). */
#ifndef SM_STORE_CLOUDFLARE_H
#define SM_STORE_CLOUDFLARE_H

#include "store/store.h"
#include "proto/cloudflare-reply.h"

#include <curl/curl.h>

#define CF_API_DEFAULT "https://api.cloudflare.com/client/v4"
#define CF_API_ENV "STUNMESH_CLOUDFLARE_API"
#define CF_MAX_TRIES 4
#define CF_BACKOFF_MS 1000
#define CF_REPLY_MAX (256 * 1024) /* a filtered record list is a few KiB */
#define CF_NAME_MAX 253		  /* a DNS name in text form */
#define CF_KEY_LEN 40		  /* a record key: 40 hex digits */
#define CF_MAX_HOST_CONNECTIONS 4

enum cf_phase {
	CF_ZONE,  /* looking up the zone id */
	CF_LOOKUP, /* listing the TXT record by name */
	CF_WRITE, /* PATCH or POST */
};

struct cf_store {
	CURLM *multi;
	struct loop *loop;
	const struct logger *log;
	struct loop_timer curl_timer; /* CURLMOPT_TIMERFUNCTION */
	struct curl_slist *headers;   /* shared by every request; holds the token */
	char *api;
	char *zone, *subdomain, *token;
	int ttl;
	/* Cached after the first successful lookup (operations that start together before
	 * that each look it up; the first answer is kept), forgotten when Cloudflare says
	 * it does not route to it any more. */
	char *zone_id;
	bool pool_mark_set;
	uint32_t pool_mark; /* the fwmark of every pooled connection */
	bool closing;
	int *fds; /* sockets registered with the loop, removed on destroy */
	size_t n_fds, cap_fds;
};

struct cf_op {
	struct store_op *op;
	struct cf_store *cf;
	enum cf_phase phase;
	CURL *easy;
	struct strbuf reply;
	bool reply_overflow;
	char *body;
	char curl_err[CURL_ERROR_SIZE];
	int mark_errno; /* SO_MARK failed */
	char name[CF_NAME_MAX + 1];
	char zone_id[CF_ID_MAX + 1]; /* this operation's copy: the cache may be dropped */
	char record_id[CF_ID_MAX + 1];
	int tries;
	int64_t deadline;
	struct loop_timer retry, timeout;
	char last_error[320]; /* why the previous try failed, for the timeout message */
};

/* store-cloudflare.c, for the kind */
int cf_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
int cf_timer_cb(CURLM *multi, long timeout_ms, void *userp);
void cf_on_curl_timer(struct loop *l, void *arg);
void cf_on_retry(struct loop *l, void *arg);
void cf_on_timeout(struct loop *l, void *arg);
int cf_start_phase(struct cf_op *co);
void cf_op_free(struct cf_op *co);

#endif
