/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: a TURN client on the proto/turn codec, for the lab's
 * coturn. It allocates a relay (401 challenge, then long-term or REST-API
 * credentials), permits and channel-binds PEER, relays one datagram to PEER over
 * ChannelData and one to PEER2 over a Send indication, expecting udp-probe.py's
 * "echo ..." answers back (ChannelData, Data indication), optionally waits for the
 * nonce to go stale and refreshes through the 438, and deletes the allocation.
 *   turn_client [--stale-wait S] SERVER:PORT USER PEER:PORT PEER2:PORT
 * The password is in $TURN_PASSWORD, or the REST API secret in $TURN_SECRET (never in
 * argv). Prints one line per step; exit 0 when every step worked, 3 when the server
 * refused our credentials, 1 on any other failure, 2 on usage errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/turn.h"

struct client {
	int fd;
	struct turn_auth auth;
	char username[256], realm[TURN_TEXT_MAX + 1];
	uint8_t nonce[TURN_TEXT_MAX];
	const char *password;
	uint8_t rx[2048];
};

static int parse_addr(const char *s, struct sockaddr_in *out)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &out->sin_addr) == 1 ? 0 : -EINVAL;
}

static const char *addr_str(const union sm_addr *ss, char *buf, size_t cap)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	char ip[INET_ADDRSTRLEN] = "?";

	if (ss->sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
	snprintf(buf, cap, "%s:%u", ip, ntohs(in->sin_port));
	return buf;
}

/* Waits up to ms for a datagram from the server; its length, or -ETIMEDOUT. */
static ssize_t recv_one(struct client *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	return recv(c->fd, c->rx, sizeof(c->rx), 0);
}

/* One request/response exchange: sends, retransmits at 500 ms doubling (3 tries),
 * returns the parsed answer to this transaction. */
static int transact(struct client *c, const uint8_t *req, size_t len, const uint8_t *txid,
		    bool keyed, struct turn_message *m, struct errbuf *e)
{
	for (int t = 0, wait = 500; t < 3; t++, wait *= 2) {
		struct timespec start, now;

		if (send(c->fd, req, len, 0) < 0)
			return err_set(e, -errno, "send: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &start);
		for (;;) {
			long left;
			ssize_t n;
			int r;

			clock_gettime(CLOCK_MONOTONIC, &now);
			left = wait - ((now.tv_sec - start.tv_sec) * 1000 +
				       (now.tv_nsec - start.tv_nsec) / 1000000);
			if (left <= 0 || (n = recv_one(c, (int)left)) < 0)
				break;
			if (turn_is_channel_data(c->rx, (size_t)n))
				continue;
			r = turn_parse(c->rx, (size_t)n, txid, keyed ? c->auth.key : NULL,
				       TURN_KEY_LEN, m, e);
			if (r == -ENOMSG)
				continue;
			return r;
		}
	}
	return err_set(e, -ETIMEDOUT, "no answer to 3 requests");
}

/* Keeps REALM and NONCE from a 401/438 and derives the key. */
static int take_challenge(struct client *c, const struct turn_message *m, struct errbuf *e)
{
	if (!m->nonce || (!m->realm && !c->realm[0]))
		return err_set(e, -EBADMSG, "%u without REALM/NONCE", m->error_code);
	if (m->realm) {
		memcpy(c->realm, m->realm, m->realm_len);
		c->realm[m->realm_len] = '\0';
	}
	memcpy(c->nonce, m->nonce, m->nonce_len);
	c->auth.nonce = c->nonce;
	c->auth.nonce_len = m->nonce_len;
	c->auth.username = c->username;
	c->auth.realm = c->realm;
	turn_long_term_key(c->username, c->realm, c->password, c->auth.key);
	return 0;
}

typedef int (*build_fn)(struct client *c, uint8_t *buf, size_t cap, const uint8_t *txid,
			const void *arg, size_t *len);

/* An authenticated request; a 438 (stale nonce) is answered once with the new nonce. */
static int request(struct client *c, build_fn build, const void *arg, struct turn_message *m,
		   bool *was_stale, struct errbuf *e)
{
	uint8_t req[512], txid[STUN_TXID_LEN];
	size_t len;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		stun_new_txid(txid);
		if ((r = build(c, req, sizeof(req), txid, arg, &len)))
			return err_set(e, r, "building the request: %s", strerror(-r));
		if ((r = transact(c, req, len, txid, true, m, e)))
			return r;
		if (m->cls != STUN_CLASS_ERROR)
			return 0;
		if (m->error_code != TURN_ERR_STALE_NONCE || attempt)
			break;
		if (was_stale)
			*was_stale = true;
		if ((r = take_challenge(c, m, e)))
			return r;
	}
	return err_set(e, -EREMOTEIO, "error %u %s", m->error_code, m->reason);
}

static int b_allocate(struct client *c, uint8_t *buf, size_t cap, const uint8_t *txid,
		      const void *arg, size_t *len)
{
	(void)arg;
	return turn_build_allocate(buf, cap, txid, &c->auth, 0, true, len);
}

static int b_refresh(struct client *c, uint8_t *buf, size_t cap, const uint8_t *txid,
		     const void *arg, size_t *len)
{
	return turn_build_refresh(buf, cap, txid, &c->auth, *(const uint32_t *)arg, len);
}

static int b_permission(struct client *c, uint8_t *buf, size_t cap, const uint8_t *txid,
			const void *arg, size_t *len)
{
	const struct sockaddr *peers[] = { arg };

	return turn_build_create_permission(buf, cap, txid, &c->auth, peers, 1, len);
}

static int b_bind(struct client *c, uint8_t *buf, size_t cap, const uint8_t *txid,
		  const void *arg, size_t *len)
{
	return turn_build_channel_bind(buf, cap, txid, &c->auth, 0x4000, arg, len);
}

/* Waits for the echo of text from the peer: ChannelData on 0x4000 or a Data indication. */
static int wait_echo(struct client *c, const char *text, bool channel)
{
	char want[128];
	struct timespec start, now;

	snprintf(want, sizeof(want), "echo %s", text);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		const uint8_t *d = NULL;
		size_t dl = 0;
		uint16_t ch = 0;
		ssize_t n = recv_one(c, 500);
		struct turn_message m;

		if (n < 0)
			goto next;
		if (channel && turn_is_channel_data(c->rx, (size_t)n)) {
			if (turn_channel_parse(c->rx, (size_t)n, &ch, &d, &dl) || ch != 0x4000)
				goto next;
		} else if (!channel && turn_parse(c->rx, (size_t)n, NULL, NULL, 0, &m, NULL) == 0 &&
			   m.method == TURN_DATA && m.cls == STUN_CLASS_INDICATION && m.data) {
			d = m.data, dl = m.data_len;
		} else {
			goto next;
		}
		if (dl == strlen(want) && !memcmp(d, want, dl))
			return 0;
next:
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < 3);
	return -ETIMEDOUT;
}

static int relay(struct client *c, const struct sockaddr_in *peer, const struct sockaddr_in *peer2)
{
	static const char ctext[] = "via-channel", stext[] = "via-send";
	uint8_t buf[256], txid[STUN_TXID_LEN];
	size_t len;

	/* ChannelData: header in front of the payload, no padding over UDP. */
	turn_channel_header(buf, 0x4000, strlen(ctext));
	memcpy(buf + TURN_CHANNEL_HEADER_LEN, ctext, strlen(ctext));
	if (send(c->fd, buf, TURN_CHANNEL_HEADER_LEN + strlen(ctext), 0) < 0 ||
	    wait_echo(c, ctext, true)) {
		printf("channel: no echo through channel 0x4000\n");
		return -1;
	}
	printf("channel: ChannelData to the peer and its echo back on 0x4000\n");
	stun_new_txid(txid);
	if (turn_build_send(buf, sizeof(buf), txid, (const struct sockaddr *)peer2,
			    (const uint8_t *)stext, strlen(stext), false, &len) ||
	    send(c->fd, buf, len, 0) < 0 || wait_echo(c, stext, false)) {
		printf("send: no Data indication with the echo\n");
		return -1;
	}
	(void)peer;
	printf("send: Send indication to peer 2 and a Data indication back\n");
	return 0;
}

static int run(struct client *c, int stale_wait, const struct sockaddr_in *peer,
	       const struct sockaddr_in *peer2)
{
	uint8_t req[512], txid[STUN_TXID_LEN];
	struct turn_message m;
	struct errbuf e = { "" };
	char a1[64], a2[64];
	bool stale = false;
	uint32_t life;
	size_t len;

	stun_new_txid(txid);
	turn_build_allocate(req, sizeof(req), txid, NULL, 0, true, &len);
	if (transact(c, req, len, txid, false, &m, &e))
		return printf("allocate: %s\n", e.msg), 1;
	if (m.cls != STUN_CLASS_ERROR || m.error_code != TURN_ERR_UNAUTHORIZED)
		return printf("allocate: expected a 401 challenge\n"), 1;
	if (take_challenge(c, &m, &e))
		return printf("allocate: %s\n", e.msg), 1;
	printf("challenge: 401 realm %s, nonce of %zu bytes\n", c->realm, c->auth.nonce_len);
	if (request(c, b_allocate, NULL, &m, NULL, &e)) {
		printf("allocate: %s\n", e.msg);
		return m.cls == STUN_CLASS_ERROR && (m.error_code == TURN_ERR_UNAUTHORIZED ||
						     m.error_code == TURN_ERR_WRONG_CREDENTIALS) ? 3 : 1;
	}
	if (!m.has_relayed || !m.has_lifetime)
		return printf("allocate: success without relayed address or lifetime\n"), 1;
	printf("allocate: relayed %s mapped %s lifetime %u (integrity checked)\n",
	       addr_str(&m.relayed, a1, sizeof(a1)), addr_str(&m.mapped, a2, sizeof(a2)),
	       m.lifetime);
	if (request(c, b_permission, peer2, &m, NULL, &e))
		return printf("permission: %s\n", e.msg), 1;
	printf("permission: created\n");
	if (request(c, b_bind, peer, &m, NULL, &e))
		return printf("channel-bind: %s\n", e.msg), 1;
	printf("channel-bind: 0x4000 bound\n");
	if (relay(c, peer, peer2))
		return 1;
	if (stale_wait > 0) {
		sleep((unsigned)stale_wait);
		life = TURN_DEFAULT_LIFETIME;
		if (request(c, b_refresh, &life, &m, &stale, &e))
			return printf("refresh: %s\n", e.msg), 1;
		printf("refresh: %s, lifetime %u\n",
		       stale ? "438 stale nonce answered with the new one" : "no 438", m.lifetime);
	}
	life = 0;
	if (request(c, b_refresh, &life, &m, NULL, &e))
		return printf("delete: %s\n", e.msg), 1;
	printf("delete: allocation released\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct client c = { .fd = -1 };
	struct sockaddr_in server, peer, peer2;
	const char *secret = getenv("TURN_SECRET");
	char rest_pass[64];
	int stale_wait = 0, rc;

	if (argc > 2 && !strcmp(argv[1], "--stale-wait")) {
		stale_wait = atoi(argv[2]);
		argc -= 2, argv += 2;
	}
	if (argc != 5 || parse_addr(argv[1], &server) || parse_addr(argv[3], &peer) ||
	    parse_addr(argv[4], &peer2)) {
		fprintf(stderr, "usage: turn_client [--stale-wait S] SERVER:PORT USER PEER:PORT PEER2:PORT\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (secret) {
		if (turn_rest_credentials((const uint8_t *)secret, strlen(secret),
					  (uint64_t)time(NULL) + 3600, argv[2], c.username,
					  sizeof(c.username), rest_pass, sizeof(rest_pass)))
			return 1;
		c.password = rest_pass;
		printf("credentials: REST API username %s\n", c.username);
	} else if ((c.password = getenv("TURN_PASSWORD"))) {
		snprintf(c.username, sizeof(c.username), "%s", argv[2]);
		printf("credentials: long-term user %s\n", c.username);
	} else {
		fprintf(stderr, "turn_client: set TURN_PASSWORD or TURN_SECRET\n");
		return 2;
	}
	c.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&server, sizeof(server)))
		return perror("socket"), 1;
	rc = run(&c, stale_wait, &peer, &peer2);
	close(c.fd);
	secure_zero(&c, sizeof(c));
	secure_zero(rest_pass, sizeof(rest_pass));
	return rc;
}
