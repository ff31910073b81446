/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Test helper, not installed: NAT-PMP and PCP requests through proto/natpmp and
 * proto/pcp, for the lab's miniupnpd, from one UDP socket connected to GATEWAY:5351.
 *   portmap_client GATEWAY natpmp public
 *   portmap_client GATEWAY natpmp map INTERNAL EXTERNAL LIFETIME
 *   portmap_client GATEWAY pcp announce
 *   portmap_client GATEWAY pcp map INTERNAL SUGGESTED LIFETIME [NONCE-HEX]
 * UDP mappings only. Retransmits at 250 ms doubling (RFC 6886 3.1), 4 tries. Prints
 * one line with what the gateway answered; exit 0 on success, 3 when the gateway
 * refused (its result code named), 1 otherwise, 2 on usage errors. */
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

#include "proto/natpmp.h"
#include "proto/pcp.h"

/* Sends req until a datagram comes back; its length in *rlen. */
static int exchange(int fd, const uint8_t *req, size_t len, uint8_t *resp, size_t cap,
		    size_t *rlen)
{
	for (int t = 0, wait = 250; t < 4; t++, wait *= 2) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (send(fd, req, len, 0) < 0)
			return -errno;
		if (poll(&p, 1, wait) <= 0)
			continue;
		n = recv(fd, resp, cap, 0);
		if (n < 0)
			return -errno;
		*rlen = (size_t)n;
		return 0;
	}
	return -ETIMEDOUT;
}

static int do_natpmp(int fd, int argc, char **argv)
{
	uint8_t req[16], resp[1100];
	struct natpmp_response r;
	struct errbuf e = { "" };
	char ip[INET_ADDRSTRLEN];
	size_t len = 0, rlen = 0;
	int rc;

	if (argc == 1 && !strcmp(argv[0], "public"))
		natpmp_build_public_address(req, sizeof(req), &len);
	else if (argc != 4 || strcmp(argv[0], "map") ||
		 natpmp_build_map(req, sizeof(req), NATPMP_OP_MAP_UDP, (uint16_t)atoi(argv[1]),
				  (uint16_t)atoi(argv[2]), (uint32_t)atol(argv[3]), &len))
		return 2;
	if ((rc = exchange(fd, req, len, resp, sizeof(resp), &rlen)))
		return printf("natpmp: %s\n", strerror(-rc)), 1;
	if ((rc = natpmp_parse_response(resp, rlen, &r, &e)))
		return printf("natpmp: %s\n", e.msg), 1;
	if (r.result != NATPMP_SUCCESS)
		return printf("natpmp: result %u %s, epoch %u\n", r.result,
			      natpmp_result_str(r.result), r.epoch), 3;
	if (r.op == NATPMP_OP_PUBLIC_ADDRESS)
		printf("natpmp: public %s epoch %u\n",
		       inet_ntop(AF_INET, &r.public_addr, ip, sizeof(ip)), r.epoch);
	else
		printf("natpmp: mapped udp %u -> %u lifetime %u epoch %u\n", r.internal_port,
		       r.external_port, r.lifetime, r.epoch);
	return 0;
}

static int do_pcp(int fd, int argc, char **argv)
{
	union sm_addr me, ext;
	socklen_t ml = sizeof(me);
	struct pcp_map_request q = { .protocol = IPPROTO_UDP };
	struct pcp_response r;
	struct errbuf e = { "" };
	uint8_t req[PCP_MAP_REQUEST_LEN], resp[PCP_MAX_LEN + 4];
	char ip[INET6_ADDRSTRLEN], hex[2 * PCP_NONCE_LEN + 1];
	size_t len = 0, rlen = 0;
	int rc;

	/* The client address must be the one the gateway sees (else ADDRESS_MISMATCH). */
	if (getsockname(fd, (struct sockaddr *)&me, &ml) ||
	    pcp_addr_from_sockaddr(&q.client_addr, (struct sockaddr *)&me))
		return 1;
	if (argc == 1 && !strcmp(argv[0], "announce")) {
		pcp_build_announce(req, sizeof(req), &q.client_addr, &len);
	} else if ((argc == 4 || argc == 5) && !strcmp(argv[0], "map")) {
		q.internal_port = (uint16_t)atoi(argv[1]);
		q.suggested_port = (uint16_t)atoi(argv[2]);
		q.lifetime = (uint32_t)atol(argv[3]);
		pcp_addr_any_v4(&q.suggested_addr);
		if (argc == 5) {
			if (hex_decode(q.nonce, PCP_NONCE_LEN, argv[4], strlen(argv[4])))
				return 2;
		} else {
			randombytes_buf(q.nonce, PCP_NONCE_LEN);
		}
		if (pcp_build_map(req, sizeof(req), &q, &len))
			return 2;
	} else {
		return 2;
	}
	if ((rc = exchange(fd, req, len, resp, sizeof(resp), &rlen)))
		return printf("pcp: %s\n", strerror(-rc)), 1;
	if ((rc = pcp_parse_response(resp, rlen, &r, &e)))
		return printf("pcp: %s\n", e.msg), 1;
	if (r.result != PCP_SUCCESS)
		return printf("pcp: result %u %s, epoch %u\n", r.result, pcp_result_str(r.result),
			      r.epoch), 3;
	if (r.opcode == PCP_OP_ANNOUNCE)
		return printf("pcp: announce epoch %u\n", r.epoch), 0;
	if (r.opcode != PCP_OP_MAP || memcmp(r.nonce, q.nonce, PCP_NONCE_LEN))
		return printf("pcp: an answer to another request\n"), 1;
	pcp_addr_to_sockaddr(&r.external_addr, r.external_port, &ext);
	if (ext.sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ext)->sin_addr, ip, sizeof(ip));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ext)->sin6_addr, ip, sizeof(ip));
	hex_encode(hex, q.nonce, PCP_NONCE_LEN);
	printf("pcp: mapped udp %u -> %s:%u lifetime %u epoch %u nonce %s\n", r.internal_port, ip,
	       r.external_port, r.lifetime, r.epoch, hex);
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in gw = { .sin_family = AF_INET, .sin_port = htons(NATPMP_PORT) };
	int fd, rc;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &gw.sin_addr) != 1)
		goto usage;
	if (sodium_init() < 0)
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&gw, sizeof(gw)))
		return perror("socket"), 1;
	if (!strcmp(argv[2], "natpmp"))
		rc = do_natpmp(fd, argc - 3, argv + 3);
	else if (!strcmp(argv[2], "pcp"))
		rc = do_pcp(fd, argc - 3, argv + 3);
	else
		rc = 2;
	close(fd);
	if (rc != 2)
		return rc;
usage:
	fprintf(stderr, "usage: portmap_client GATEWAY natpmp public | natpmp map IN EXT LIFE |\n"
			"       pcp announce | pcp map IN SUGGESTED LIFE [NONCE-HEX]\n");
	return 2;
}
