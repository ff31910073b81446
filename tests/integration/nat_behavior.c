/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: RFC 5780 section 4.3/4.4 NAT behaviour discovery through
 * proto/stun's CHANGE-REQUEST, OTHER-ADDRESS and RESPONSE-ORIGIN, from one UDP socket
 * on PORT (the WireGuard port in the lab, so the NAT treats it as it treats WireGuard).
 *   nat_behavior [--port PORT] SERVER:PORT
 * The server must support RFC 5780 (two addresses; coturn with two listening IPs).
 * Prints "mapped A", "other A", "mapping: KIND" and "filtering: KIND" with KIND one of
 * endpoint-independent, address-dependent, address-and-port-dependent; exit 0, or 1
 * when the server does not answer or has no second address (RFC 5780 needs one). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "proto/stun.h"

static const char *str(const union sm_addr *ss, char *b, size_t cap)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
	snprintf(b, cap, "%s:%u", ip, ntohs(in->sin_port));
	return b;
}

static bool same(const union sm_addr *a, const union sm_addr *b)
{
	const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;

	return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* One Binding transaction to dst with the given CHANGE-REQUEST flags (-1: none); 0 and
 * the answer in *r, -ETIMEDOUT when nothing answered in 4 tries (250 ms doubling). */
static int binding(int fd, const struct sockaddr_in *dst, int change, struct stun_response *r)
{
	uint8_t req[64], resp[1500], txid[STUN_TXID_LEN];
	size_t len;

	stun_new_txid(txid);
	if (change < 0)
		stun_build_binding_request(req, sizeof(req), txid, &len);
	else
		stun_build_change_request(req, sizeof(req), txid, (unsigned)change, &len);
	for (int t = 0, wait = 250; t < 4; t++, wait *= 2) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (sendto(fd, req, len, 0, (const struct sockaddr *)dst, sizeof(*dst)) < 0)
			return -errno;
		while (poll(&p, 1, wait) > 0) {
			ssize_t n = recv(fd, resp, sizeof(resp), 0);

			if (n > 0 && stun_parse_response(resp, (size_t)n, txid, r, NULL) == 0)
				return 0;
		}
	}
	return -ETIMEDOUT;
}

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

int main(int argc, char **argv)
{
	struct sockaddr_in srv, alt, local = { .sin_family = AF_INET };
	struct stun_response r1, r2, r3;
	char a[64], b[64];
	const char *kind;
	int fd, one = 1;

	if (argc == 4 && !strcmp(argv[1], "--port")) {
		local.sin_port = htons((uint16_t)atoi(argv[2]));
		argc -= 2, argv += 2;
	}
	if (argc != 2 || parse_addr(argv[1], &srv))
		return fprintf(stderr, "usage: nat_behavior [--port PORT] SERVER:PORT\n"), 2;
	if (sodium_init() < 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&local, sizeof(local)))
		return perror("socket"), 1;

	/* Test I: where the primary address sees us, and the server's other address. */
	if (binding(fd, &srv, -1, &r1))
		return printf("no answer from %s\n", argv[1]), 1;
	printf("mapped %s\n", str(&r1.mapped, a, sizeof(a)));
	if (!r1.has_other || r1.other.sa.sa_family != AF_INET)
		return printf("the server has no OTHER-ADDRESS (no RFC 5780)\n"), 1;
	printf("other %s\n", str(&r1.other, a, sizeof(a)));
	memcpy(&alt, &r1.other, sizeof(alt));
	/* coturn on one address still names its second port as OTHER-ADDRESS; without a
	 * second IP neither test of RFC 5780 4.3/4.4 can be told apart. */
	if (alt.sin_addr.s_addr == srv.sin_addr.s_addr)
		return printf("OTHER-ADDRESS has the server's own IP (no second address)\n"), 1;

	/* Mapping (4.3): the other IP with the primary port, then the other IP and port. */
	alt.sin_port = srv.sin_port;
	if (binding(fd, &alt, -1, &r2))
		return printf("no answer from the other address\n"), 1;
	if (same(&r1.mapped, &r2.mapped)) {
		kind = "endpoint-independent";
	} else {
		memcpy(&alt, &r1.other, sizeof(alt));
		if (binding(fd, &alt, -1, &r3))
			return printf("no answer from the other address and port\n"), 1;
		kind = same(&r2.mapped, &r3.mapped) ? "address-dependent" : "address-and-port-dependent";
	}
	printf("mapping: %s (%s, then %s)\n", kind, str(&r1.mapped, a, sizeof(a)),
	       str(&r2.mapped, b, sizeof(b)));

	/* Filtering (4.4): ask for the answer from the other IP and port, then the port. */
	if (binding(fd, &srv, STUN_CHANGE_IP | STUN_CHANGE_PORT, &r2) == 0) {
		kind = "endpoint-independent";
		if (r2.has_origin)
			printf("answer from %s\n", str(&r2.origin, a, sizeof(a)));
	} else if (binding(fd, &srv, STUN_CHANGE_PORT, &r2) == 0) {
		kind = "address-dependent";
	} else {
		kind = "address-and-port-dependent";
	}
	printf("filtering: %s\n", kind);
	close(fd);
	return 0;
}
