/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "net/discover.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void discover_params_default(struct discover_params *p)
{
	*p = (struct discover_params){
		.rto_us = 250000,
		.max_sends = 4,
		.last_wait_us = 1250000,
		.resolve_timeout_us = 5000000,
		.resolve_poll_us = 10000,
		.query_all = false,
	};
}

static int raw_send(void *ctx, const struct sockaddr *dst, const uint8_t *buf, size_t len,
		    struct errbuf *e)
{
	return rawsock_send(ctx, dst, buf, len, e);
}

static const char *fam_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

static void server_fail(struct discover *d, struct discover_server *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void server_fail(struct discover *d, struct discover_server *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	s->state = DS_FAILED;
	log_debug(d->log, "STUN %s (%s): %s", s->spec, fam_name(d->family), s->error);
}

static void finish(struct discover *d)
{
	size_t off = 0;

	d->done = true;
	if (d->answered) {
		d->error[0] = '\0';
		return;
	}
	off = (size_t)snprintf(d->error, sizeof(d->error), "no STUN server answered over %s:",
			       fam_name(d->family));
	for (size_t i = 0; i < d->n_servers && off < sizeof(d->error); i++)
		off += (size_t)snprintf(d->error + off, sizeof(d->error) - off, "%s %s: %s",
					i ? ";" : "", d->servers[i].spec, d->servers[i].error);
}

static void advance(struct discover *d, int64_t now);

/* Sends (or resends) the current server's request and arms the next deadline. */
static void send_request(struct discover *d, struct discover_server *s, int64_t now)
{
	uint8_t req[STUN_BINDING_REQUEST_LEN];
	struct errbuf e = { "" };
	size_t len;
	int r;

	if (s->sends == 0)
		stun_new_txid(s->txid);
	stun_build_binding_request(req, sizeof(req), s->txid, &len);
	r = d->io.send(d->io.ctx, (const struct sockaddr *)&s->addr, req, len, &e);
	/* A full socket buffer is a lost packet: the retransmission covers it. Anything
	 * else (no route, EPERM from a firewall rule) will not get better in 3 s. */
	if (r && r != -EAGAIN) {
		server_fail(d, s, "sending: %s", e.msg);
		d->cur++;
		advance(d, now);
		return;
	}
	if (s->sends++ == 0)
		s->first_send_us = now;
	s->last_send_us = now;
	if (s->sends < d->p.max_sends)
		s->deadline_us = now + (d->p.rto_us << (s->sends - 1));
	else
		s->deadline_us = now + d->p.last_wait_us;
}

/* Polls the current server's lookup; sends once it has an address. */
static void poll_resolve(struct discover *d, struct discover_server *s, int64_t now)
{
	struct errbuf e = { "" };
	int r;

	r = resolve_poll(s->res, &s->addr, &e);
	if (r == -EINPROGRESS) {
		if (now >= s->deadline_us) {
			resolve_free(s->res);
			s->res = NULL;
			server_fail(d, s, "name lookup timed out");
			d->cur++;
			advance(d, now);
		}
		return;
	}
	resolve_free(s->res);
	s->res = NULL;
	if (r) {
		memset(&s->addr, 0, sizeof(s->addr));
		server_fail(d, s, "%s", e.msg);
		d->cur++;
		advance(d, now);
		return;
	}
	send_request(d, s, now);
}

/* Moves to the first server at or after cur that can still be tried. */
static void advance(struct discover *d, int64_t now)
{
	while (d->cur < d->n_servers) {
		struct discover_server *s = &d->servers[d->cur];

		if (s->state == DS_FAILED) {
			d->cur++;
			continue;
		}
		s->state = DS_WAITING;
		s->started_us = now;
		s->deadline_us = now + d->p.resolve_timeout_us;
		s->next_poll_us = now + d->p.resolve_poll_us;
		/* poll_resolve and send_request call advance() themselves on failure. */
		poll_resolve(d, s, now);
		return;
	}
	finish(d);
}

int discover_start(struct discover *d, char *const *servers, size_t n, int family,
		   uint16_t port, uint32_t fwmark, const struct discover_params *p,
		   const struct discover_io *io, const struct logger *log, int64_t now_us,
		   struct errbuf *e)
{
	struct discover_server *sv;
	int r;

	memset(d, 0, sizeof(*d));
	d->sock.fd = -1;
	if (family != AF_INET && family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "address family %d", family);
	if (n == 0)
		return err_set(e, -EINVAL, "no STUN servers given");
	sv = calloc(n, sizeof(*sv));
	if (!sv)
		return err_set(e, -ENOMEM, "out of memory");
	d->servers = sv;
	d->n_servers = n;
	d->family = family;
	d->port = port;
	d->fwmark = fwmark;
	d->log = log;
	if (p)
		d->p = *p;
	else
		discover_params_default(&d->p);
	if (d->p.max_sends == 0)
		d->p.max_sends = 1;

	for (size_t i = 0; i < n; i++) {
		char host[256];
		uint16_t sport;
		struct errbuf re = { "" };

		sv[i].spec = strdup(servers[i]);
		if (!sv[i].spec) {
			r = err_set(e, -ENOMEM, "out of memory");
			goto fail;
		}
		r = addr_split_hostport(servers[i], strlen(servers[i]), host, sizeof(host), &sport, e);
		if (r)
			goto fail;
		/* Every lookup starts now, so later servers are ready when reached. */
		if (resolve_start(host, sport, family, fwmark, &sv[i].res, &re)) {
			sv[i].state = DS_FAILED;
			snprintf(sv[i].error, sizeof(sv[i].error), "%s", re.msg);
		}
	}

	if (io) {
		d->io = *io;
	} else {
		r = rawsock_open(&d->sock, family, port, fwmark, e);
		if (r)
			goto fail;
		d->io.send = raw_send;
		d->io.ctx = &d->sock;
	}
	advance(d, now_us);
	return 0;
fail:
	discover_free(d);
	return r;
}

void discover_free(struct discover *d)
{
	for (size_t i = 0; i < d->n_servers; i++) {
		resolve_free(d->servers[i].res);
		free(d->servers[i].spec);
	}
	free(d->servers);
	d->servers = NULL;
	d->n_servers = 0;
	rawsock_close(&d->sock);
}

int discover_fd(const struct discover *d)
{
	return d->done ? -1 : d->sock.fd;
}

void discover_feed(struct discover *d, const union sm_addr *from,
		   const uint8_t *buf, size_t len, int64_t now_us)
{
	struct discover_server *s;
	struct stun_response resp;
	struct errbuf e = { "" };
	char who[80];
	int r;

	if (d->done || d->cur >= d->n_servers)
		return;
	s = &d->servers[d->cur];
	addr_format(from, who, sizeof(who));
	/* Until the lookup is done there is no request out, so nothing to match. */
	if (s->state != DS_WAITING || s->res || s->sends == 0) {
		log_debug(d->log, "STUN: dropped %zu bytes from %s: no request out", len, who);
		return;
	}
	if (!addr_equal(from, &s->addr)) {
		log_debug(d->log, "STUN: dropped %zu bytes from %s: not %s", len, who, s->spec);
		return;
	}
	r = stun_parse_response(buf, len, s->txid, &resp, &e);
	if (r == -EBADMSG || r == -ENOMSG) {
		log_debug(d->log, "STUN: dropped %zu bytes from %s: %s", len, who, e.msg);
		return;
	}
	if (r) {
		server_fail(d, s, "%s", e.msg);
	} else {
		s->state = DS_OK;
		s->mapped = resp.mapped;
		s->rtt_us = now_us - s->last_send_us;
		s->from_xor = resp.from_xor;
		s->unknown_required = resp.unknown_required;
		d->answered++;
		if (resp.unknown_required)
			log_debug(d->log,
				  "STUN %s: %u unknown comprehension-required attribute(s) "
				  "ignored", s->spec, resp.unknown_required);
		if (!d->p.query_all) {
			for (size_t i = d->cur + 1; i < d->n_servers; i++) {
				if (d->servers[i].state == DS_IDLE)
					d->servers[i].state = DS_SKIPPED;
			}
			d->cur = d->n_servers;
			finish(d);
			return;
		}
	}
	d->cur++;
	advance(d, now_us);
}

void discover_on_readable(struct discover *d, int64_t now_us)
{
	uint8_t buf[1500];
	union sm_addr from;
	struct errbuf e = { "" };
	size_t len;
	int r;

	/* Bounded, so a flood of matching packets cannot starve the rest of the loop. It
	 * also stops after a packet that settled a server: the next server's request goes
	 * out at now_us, and its answer must be timed against a fresh clock reading, not
	 * this one. */
	for (int i = 0; i < 64 && !d->done && d->sock.fd >= 0; i++) {
		size_t cur = d->cur;

		r = rawsock_recv(&d->sock, buf, sizeof(buf), &len, &from, &e);
		if (r == -EAGAIN)
			return;
		if (r) {
			log_debug(d->log, "STUN: %s", e.msg);
			continue;
		}
		discover_feed(d, &from, buf, len, now_us);
		if (d->cur != cur)
			return;
	}
}

int64_t discover_next_timeout(const struct discover *d)
{
	const struct discover_server *s;

	if (d->done || d->cur >= d->n_servers)
		return INT64_MAX;
	s = &d->servers[d->cur];
	if (s->res)
		return s->next_poll_us < s->deadline_us ? s->next_poll_us : s->deadline_us;
	return s->deadline_us;
}

void discover_on_timeout(struct discover *d, int64_t now_us)
{
	struct discover_server *s;

	if (d->done || d->cur >= d->n_servers)
		return;
	s = &d->servers[d->cur];
	if (s->res) {
		s->next_poll_us = now_us + d->p.resolve_poll_us;
		poll_resolve(d, s, now_us);
		return;
	}
	if (now_us < s->deadline_us)
		return;
	if (s->sends < d->p.max_sends) {
		send_request(d, s, now_us);
		return;
	}
	server_fail(d, s, "no answer to %u requests in %.1f s", s->sends,
		    (double)(now_us - s->first_send_us) / 1e6);
	d->cur++;
	advance(d, now_us);
}

bool discover_done(const struct discover *d)
{
	return d->done;
}

int discover_result(const struct discover *d, union sm_addr *mapped)
{
	if (!d->done)
		return -EINPROGRESS;
	for (size_t i = 0; i < d->n_servers; i++) {
		if (d->servers[i].state == DS_OK) {
			*mapped = d->servers[i].mapped;
			return 0;
		}
	}
	return -EHOSTUNREACH;
}

const char *discover_error(const struct discover *d)
{
	return d->error;
}
