/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The builtin cloudflare store: records are TXT records in a Cloudflare zone, read and
 * written through the v4 API the way stunmesh-go's builtin plugin does it, so both
 * implementations share a zone:
 *   - name <key>.<subdomain>.<zone>, or <key>.<zone> without a subdomain;
 *   - the zone id from GET /zones?name=<zone>, once, then cached;
 *   - get: GET /zones/<id>/dns_records?type=TXT&name=<name>, content of result[0]
 *     (none: not found);
 *   - set: the same lookup, then PATCH /zones/<id>/dns_records/<rid> {"content"} on an
 *     existing record or POST /zones/<id>/dns_records {"type":"TXT","name","content",
 *     "comment":"Stunmesh"}; "ttl" in both when configured; nothing when the record
 *     already holds the value.
 * Beyond stunmesh-go: HTTP 429 and 5xx (and a dropped connection) are retried with
 * backoff (1 s, doubling) or after Retry-After, at most CF_MAX_TRIES times and never
 * past the operation's timeout, which covers the whole operation; errors quote
 * Cloudflare's message; a value Cloudflare split into 255-byte strings is joined again.
 *
 * Every libcurl call of stunmesh is in this file. The multi interface runs on the
 * daemon's event loop (CURLMOPT_SOCKETFUNCTION -> loop fds, CURLMOPT_TIMERFUNCTION ->
 * a loop timer), so a slow or unreachable Cloudflare never blocks anything else.
 *
 * Full-tunnel safety: an operation with a fwmark marks its sockets (SO_MARK from the
 * socket-option callback), so a covering route through the tunnel does not swallow the
 * traffic the tunnel depends on. Limitation: curl's threaded resolver runs
 * getaddrinfo() in a thread, whose DNS queries cannot be marked; with a full tunnel
 * the resolver must be reachable outside it (a local resolver, or api.cloudflare.com
 * in /etc/hosts). Connections are pooled per store; since a pooled connection keeps
 * the mark it was opened with, only operations with the store's first mark reuse
 * connections, the others open a fresh one and close it after use.
 *
 * Tests: the environment variable STUNMESH_CLOUDFLARE_API replaces the base URL
 * (e.g. http://127.0.0.1:8080/client/v4 for tests/cloudflare_fake.py). It is meant
 * for tests only and deliberately not in the user documentation.
 *
 * The token is a secret: it goes into one request header and nowhere else. curl's
 * verbose mode (which would print headers) is never enabled, and every error text is
 * scrubbed of the token before it leaves this file. */
#include "store/store-cloudflare.h"
#include "net/sockopt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
static void cf_on_fd(struct loop *l, int fd, unsigned events, void *arg);

/* ---- errors ---- */

/* Replaces every occurrence of the token in msg by asterisks. Nothing here is meant
 * to carry it, but an error text may quote a server that echoes what it was sent. */
static void scrub(const struct cf_store *cf, char *msg)
{
	size_t n = cf->token ? strlen(cf->token) : 0;
	char *p;

	if (!n)
		return;
	while ((p = strstr(msg, cf->token)))
		memset(p, '*', n);
}

/* Ends the operation with a result. now: from a loop callback of our own (a timer),
 * where the user callback may free the store; otherwise from inside the curl
 * dispatch (the multi info loop), where the store must outlive the call, so the
 * result is delivered on the loop's next round. msg may point into co. */

static void finish(struct cf_op *co, bool now, enum store_status st, const char *value,
		   const char *msg)
{
	struct store_op *op = co->op;
	char text[600];

	if (msg) {
		snprintf(text, sizeof(text), "%s", msg);
		scrub(co->cf, text);
	}
	op->priv = NULL;
	cf_op_free(co);
	if (now)
		store_op_done(op, st, value, msg ? text : NULL);
	else
		store_op_complete_later(op, st, value, msg ? text : NULL);
}

static void finish_now(struct cf_op *co, enum store_status st, const char *value,
		       const char *msg)
{
	finish(co, true, st, value, msg);
}

static void finish_later(struct cf_op *co, enum store_status st, const char *value,
			 const char *msg)
{
	finish(co, false, st, value, msg);
}

/* ---- curl plumbing ---- */

static int fd_track(struct cf_store *cf, int fd)
{
	for (size_t i = 0; i < cf->n_fds; i++)
		if (cf->fds[i] == fd)
			return 0;
	if (cf->n_fds == cf->cap_fds) {
		size_t cap = cf->cap_fds ? cf->cap_fds * 2 : 8;
		int *p = realloc(cf->fds, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		cf->fds = p;
		cf->cap_fds = cap;
	}
	cf->fds[cf->n_fds++] = fd;
	return 0;
}

static void fd_untrack(struct cf_store *cf, int fd)
{
	for (size_t i = 0; i < cf->n_fds; i++) {
		if (cf->fds[i] == fd) {
			cf->fds[i] = cf->fds[--cf->n_fds];
			return;
		}
	}
}

int cf_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct cf_store *cf = userp;
	unsigned ev = 0;
	int r;

	(void)easy;
	(void)socketp;
	if (cf->closing)
		return 0;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_remove(cf->loop, s);
		fd_untrack(cf, s);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= LOOP_READ;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= LOOP_WRITE;
	r = loop_fd_modify(cf->loop, s, ev);
	if (r == -ENOENT) {
		r = fd_track(cf, s);
		if (!r)
			r = loop_fd_add(cf->loop, s, ev, cf_on_fd, cf);
	}
	/* -1 makes curl fail the transfers on this socket instead of waiting forever. */
	return r ? -1 : 0;
}


int cf_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct cf_store *cf = userp;

	(void)multi;
	if (cf->closing)
		return 0;
	if (timeout_ms < 0) {
		loop_timer_cancel(cf->loop, &cf->curl_timer);
		return 0;
	}
	/* Even 0 goes through the loop: curl must not be re-entered from its callback. */
	return loop_timer_arm(cf->loop, &cf->curl_timer, timeout_ms) ? -1 : 0;
}

static size_t cf_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct cf_op *co = userp;
	size_t n = size * nmemb;

	if (co->reply.len + n > CF_REPLY_MAX) {
		co->reply_overflow = true;
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
	}
	if (sb_append(&co->reply, data, n))
		return 0;
	return n;
}

static int cf_sockopt_cb(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	struct cf_op *co = clientp;
	uint32_t mark = co->op->fwmark;
	int r;

	if (purpose != CURLSOCKTYPE_IPCXN || !mark)
		return CURL_SOCKOPT_OK;
	r = sock_set_mark(fd, mark);
	if (r) {
		co->mark_errno = -r;
		return CURL_SOCKOPT_ERROR;
	}
	return CURL_SOCKOPT_OK;
}

static void easy_release(struct cf_op *co)
{
	if (co->easy) {
		curl_multi_remove_handle(co->cf->multi, co->easy);
		curl_easy_cleanup(co->easy);
		co->easy = NULL;
	}
	free(co->body);
	co->body = NULL;
	sb_free(&co->reply);
	co->reply_overflow = false;
}

void cf_op_free(struct cf_op *co)
{
	easy_release(co);
	loop_timer_cancel(co->cf->loop, &co->retry);
	loop_timer_cancel(co->cf->loop, &co->timeout);
	free(co);
}

/* Starts one HTTP request; the answer comes to on_reply. body NULL: GET. */
static int request(struct cf_op *co, const char *method, const char *path, char *body)
{
	struct cf_store *cf = co->cf;
	int64_t left = co->deadline - loop_now(cf->loop);
	char url[1024];
	CURL *h;

	free(co->body);
	co->body = body;
	if (left < 1)
		left = 1;
	if (snprintf(url, sizeof(url), "%s%s", cf->api, path) >= (int)sizeof(url))
		return -ENAMETOOLONG;
	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	co->easy = h;
	co->curl_err[0] = '\0';
	co->mark_errno = 0;
	if (curl_easy_setopt(h, CURLOPT_URL, url) ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, co) ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, cf->headers) ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "stunmesh/" STUNMESH_VERSION) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cf_write_cb) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, co) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, co->curl_err) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left) ||
	    /* Plain requests; HTTP/2 multiplexing would let an operation ride on a
	     * connection opened with another operation's fwmark. */
	    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http") ||
	    curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, cf_sockopt_cb) ||
	    curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, co))
		return -EINVAL;
	if (!cf->pool_mark_set) {
		cf->pool_mark_set = true;
		cf->pool_mark = co->op->fwmark;
	}
	if (co->op->fwmark != cf->pool_mark &&
	    (curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L) ||
	     curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L)))
		return -EINVAL;
	if (body) {
		if (curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) ||
		    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body)) ||
		    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method))
			return -EINVAL;
	}
	log_debug(cf->log, "cloudflare %s: %s %s", co->op->store->name, method, path);
	if (curl_multi_add_handle(cf->multi, h)) {
		curl_easy_cleanup(h);
		co->easy = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* ---- the operation ---- */


/* Failed to even send a request: the store cannot work (out of memory, bad URL). */
static void start_failed(struct cf_op *co, int r, bool in_curl)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "cannot start a Cloudflare request: %s", strerror(-r));
	if (in_curl)
		finish_later(co, STORE_ERROR, NULL, msg);
	else
		finish_now(co, STORE_ERROR, NULL, msg);
}

void cf_on_retry(struct loop *l, void *arg)
{
	struct cf_op *co = arg;
	int r;

	(void)l;
	r = cf_start_phase(co);
	if (r)
		start_failed(co, r, false);
}

void cf_on_timeout(struct loop *l, void *arg)
{
	struct cf_op *co = arg;
	char msg[512];

	(void)l;
	snprintf(msg, sizeof(msg), "no answer from Cloudflare within %lld ms%s%s",
		 (long long)co->op->store->timeout_ms, *co->last_error ? " (last try: " : "",
		 *co->last_error ? co->last_error : "");
	if (*co->last_error)
		strncat(msg, ")", sizeof(msg) - strlen(msg) - 1);
	finish_now(co, STORE_ERROR, NULL, msg);
}

/* A transient failure: try again after a pause, or give up. Runs in the curl dispatch. */
static void retry_or_fail(struct cf_op *co, long retry_after_s)
{
	int64_t now = loop_now(co->cf->loop), delay;
	char msg[512];

	delay = (int64_t)CF_BACKOFF_MS << (co->tries - 1);
	if (retry_after_s > 0)
		delay = retry_after_s * 1000; /* Cloudflare's own estimate wins */
	if (co->tries >= CF_MAX_TRIES) {
		snprintf(msg, sizeof(msg), "%s (gave up after %d tries)", co->last_error,
			 co->tries);
	} else if (now + delay >= co->deadline) {
		snprintf(msg, sizeof(msg), "%s (tried %d time%s; a retry in %lld ms would pass the %lld ms timeout)",
			 co->last_error, co->tries, co->tries == 1 ? "" : "s", (long long)delay,
			 (long long)co->op->store->timeout_ms);
	} else {
		log_debug(co->cf->log, "cloudflare %s: %s; retrying in %lld ms", co->op->store->name,
			  co->last_error, (long long)delay);
		if (!loop_timer_arm(co->cf->loop, &co->retry, delay))
			return;
		snprintf(msg, sizeof(msg), "out of memory");
	}
	finish_later(co, STORE_ERROR, NULL, msg);
}

static int start_write(struct cf_op *co, const char *existing_id)
{
	struct cf_store *cf = co->cf;
	struct strbuf body = { 0 }, path = { 0 };
	int r;

	easy_release(co);
	co->phase = CF_WRITE;
	if (existing_id) {
		r = sb_printf(&body, "{\"content\":\"%s\"", co->op->value);
		if (!r)
			r = sb_printf(&path, "/zones/%s/dns_records/%s", co->zone_id, existing_id);
	} else {
		r = sb_printf(&body, "{\"type\":\"TXT\",\"name\":\"%s\",\"content\":\"%s\","
				     "\"comment\":\"Stunmesh\"",
			      co->name, co->op->value);
		if (!r)
			r = sb_printf(&path, "/zones/%s/dns_records", co->zone_id);
	}
	if (!r && cf->ttl)
		r = sb_printf(&body, ",\"ttl\":%d", cf->ttl);
	if (!r)
		r = sb_puts(&body, "}");
	if (!r) {
		r = request(co, existing_id ? "PATCH" : "POST", path.buf, body.buf);
		body.buf = NULL; /* owned by co now */
	}
	sb_free(&body);
	sb_free(&path);
	return r;
}

/* Starts the operation, or restarts it after a failed try: a retried write starts
 * again from the lookup, since a create whose answer was lost may have made the
 * record, which must then be updated, not duplicated. */
int cf_start_phase(struct cf_op *co)
{
	struct cf_store *cf = co->cf;
	char path[CF_NAME_MAX * 2 + 128];

	easy_release(co);
	co->tries++;
	if (!cf->zone_id) {
		co->phase = CF_ZONE;
		snprintf(path, sizeof(path), "/zones?name=%s", cf->zone);
	} else {
		/* The name is not escaped, as in stunmesh-go: init and start allow only
		 * hostname characters. */
		co->phase = CF_LOOKUP;
		snprintf(co->zone_id, sizeof(co->zone_id), "%s", cf->zone_id);
		snprintf(path, sizeof(path), "/zones/%s/dns_records?type=TXT&name=%s", co->zone_id,
			 co->name);
	}
	return request(co, "GET", path, NULL);
}

/* What the reply says, once the HTTP exchange worked (2xx, or a final 4xx). */
static void on_answer(struct cf_op *co, long status, const struct cf_reply *rep)
{
	struct cf_store *cf = co->cf;
	char msg[512];
	char *value = NULL;
	int r = 0;

	switch (co->phase) {
	case CF_ZONE:
		if (!rep->n_results || !*rep->id) {
			snprintf(msg, sizeof(msg),
				 "zone %s not found (does the token have access to it?)", cf->zone);
			finish_later(co, STORE_ERROR, NULL, msg);
			return;
		}
		if (!cf->zone_id && !(cf->zone_id = strdup(rep->id))) {
			r = -ENOMEM;
			break;
		}
		log_debug(cf->log, "cloudflare %s: zone %s has id %s", co->op->store->name,
			  cf->zone, cf->zone_id);
		co->tries = 0; /* the zone lookup does not count against the record's tries */
		r = cf_start_phase(co);
		break;
	case CF_LOOKUP:
		if (!co->op->is_set) {
			if (!rep->n_results || !rep->content) {
				finish_later(co, STORE_NOT_FOUND, NULL, NULL);
				return;
			}
			if (cf_txt_unquote(rep->content, strlen(rep->content), &value)) {
				r = -ENOMEM;
				break;
			}
			finish_later(co, *value ? STORE_OK : STORE_NOT_FOUND, *value ? value : NULL,
				     NULL);
			free(value);
			return;
		}
		if (rep->n_results && *rep->id) {
			if (rep->content) {
				bool same;

				if (cf_txt_unquote(rep->content, strlen(rep->content), &value)) {
					r = -ENOMEM;
					break;
				}
				same = !strcmp(value, co->op->value);
				free(value);
				if (same) {
					finish_later(co, STORE_OK, NULL, NULL);
					return;
				}
			}
			snprintf(co->record_id, sizeof(co->record_id), "%s", rep->id);
			r = start_write(co, co->record_id);
		} else {
			r = start_write(co, NULL);
		}
		break;
	case CF_WRITE:
		(void)status;
		finish_later(co, STORE_OK, NULL, NULL);
		return;
	}
	if (r)
		start_failed(co, r, true);
}

static bool transient_curl_error(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static const char *phase_name(enum cf_phase p)
{
	return p == CF_ZONE ? "zone lookup" : p == CF_LOOKUP ? "record lookup" : "record write";
}

/* One finished transfer (in the curl dispatch). */
static void on_reply(struct cf_op *co, CURLcode res)
{
	struct cf_store *cf = co->cf;
	struct cf_reply rep;
	struct errbuf pe = { "" };
	curl_off_t retry_after = 0;
	long status = 0;
	int pr;

	curl_easy_getinfo(co->easy, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK) {
		if (co->mark_errno)
			snprintf(co->last_error, sizeof(co->last_error),
				 "%s: setting SO_MARK %u on the socket: %s", phase_name(co->phase),
				 co->op->fwmark, strerror(co->mark_errno));
		else if (co->reply_overflow)
			snprintf(co->last_error, sizeof(co->last_error),
				 "%s: the reply is larger than %d bytes", phase_name(co->phase),
				 CF_REPLY_MAX);
		else
			snprintf(co->last_error, sizeof(co->last_error), "%s: %s",
				 phase_name(co->phase), *co->curl_err ? co->curl_err
								     : curl_easy_strerror(res));
		if (transient_curl_error(res) && !co->mark_errno) {
			retry_or_fail(co, 0);
			return;
		}
		if (res == CURLE_OPERATION_TIMEDOUT) {
			/* curl's timeout is the operation's deadline: report it as one. */
			char msg[512];

			snprintf(msg, sizeof(msg), "no answer from Cloudflare within %lld ms (%s)",
				 (long long)co->op->store->timeout_ms, co->last_error);
			finish_later(co, STORE_ERROR, NULL, msg);
			return;
		}
		finish_later(co, STORE_ERROR, NULL, co->last_error);
		return;
	}
	pr = cf_reply_parse((const uint8_t *)co->reply.buf, co->reply.len, &rep, &pe);
	log_debug(cf->log, "cloudflare %s: %s: HTTP %ld%s%s", co->op->store->name,
		  phase_name(co->phase), status, pr ? ", " : "", pr ? pe.msg : "");
	if (status == 429 || status >= 500) {
		curl_easy_getinfo(co->easy, CURLINFO_RETRY_AFTER, &retry_after);
		snprintf(co->last_error, sizeof(co->last_error), "%s: HTTP %ld from Cloudflare%s%s",
			 phase_name(co->phase), status, !pr && *rep.err_msg ? ": " : "",
			 !pr ? rep.err_msg : "");
		if (!pr)
			cf_reply_free(&rep);
		/* A server asking for more than a day is not asking for a retry. */
		retry_or_fail(co, retry_after > 0 && retry_after < 86400 ? (long)retry_after : 0);
		return;
	}
	if (pr || status < 200 || status >= 300 || !rep.success) {
		if (!pr && *rep.err_msg)
			snprintf(co->last_error, sizeof(co->last_error),
				 "%s: Cloudflare API error (HTTP %ld): %s (code %ld)",
				 phase_name(co->phase), status, rep.err_msg, rep.err_code);
		else if (!pr)
			snprintf(co->last_error, sizeof(co->last_error),
				 "%s: Cloudflare API error (HTTP %ld) without a message",
				 phase_name(co->phase), status);
		else
			snprintf(co->last_error, sizeof(co->last_error),
				 "%s: HTTP %ld with a malformed reply: %s", phase_name(co->phase),
				 status, pe.msg);
		/* A zone deleted and re-added has a new id: look it up again next time. */
		if (co->phase != CF_ZONE && (status == 404 || (!pr && (rep.err_code == 7000 ||
								     rep.err_code == 7003)))) {
			free(cf->zone_id);
			cf->zone_id = NULL;
		}
		if (!pr)
			cf_reply_free(&rep);
		finish_later(co, STORE_ERROR, NULL, co->last_error);
		return;
	}
	on_answer(co, status, &rep);
	cf_reply_free(&rep);
}

static void drain(struct cf_store *cf)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(cf->multi, &left))) {
		struct cf_op *co = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&co);
		if (co)
			on_reply(co, m->data.result);
	}
}

static void cf_on_fd(struct loop *l, int fd, unsigned events, void *arg)
{
	struct cf_store *cf = arg;
	int flags = 0, running;

	(void)l;
	if (events & LOOP_READ)
		flags |= CURL_CSELECT_IN;
	if (events & LOOP_WRITE)
		flags |= CURL_CSELECT_OUT;
	if (events & LOOP_ERROR)
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(cf->multi, fd, flags, &running);
	drain(cf);
}

void cf_on_curl_timer(struct loop *l, void *arg)
{
	struct cf_store *cf = arg;
	int running;

	(void)l;
	curl_multi_socket_action(cf->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	drain(cf);
}

