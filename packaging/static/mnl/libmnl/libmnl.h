/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The part of libmnl's interface stunmesh and its tests use, for the static musl build
 * only (scripts/static-deps.sh). Debian's libmnl source package is the first choice; this
 * takes its place where that source cannot be fetched. Same names, types and
 * behaviour as libmnl 1.0 for these functions, written from its documented interface
 * and the netlink message format (netlink(7)); tests/integration/mnl_compat.sh runs the
 * netlink unit tests against it. */
#ifndef SM_MNL_COMPAT_H
#define SM_MNL_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/netlink.h>

#define MNL_SOCKET_AUTOPID 0
#define MNL_SOCKET_BUFFER_SIZE (getpagesize() < 8192L ? getpagesize() : 8192L)
#define MNL_ALIGNTO 4
#define MNL_ALIGN(len) (((len) + MNL_ALIGNTO - 1) & ~(MNL_ALIGNTO - 1))
#define MNL_NLMSG_HDRLEN MNL_ALIGN(sizeof(struct nlmsghdr))
#define MNL_ATTR_HDRLEN MNL_ALIGN(sizeof(struct nlattr))

enum { MNL_CB_ERROR = -1, MNL_CB_STOP = 0, MNL_CB_OK = 1 };
typedef int (*mnl_attr_cb_t)(const struct nlattr *attr, void *data);

struct mnl_socket;

struct mnl_socket *mnl_socket_open(int bus);
struct mnl_socket *mnl_socket_open2(int bus, int flags);
int mnl_socket_bind(struct mnl_socket *nl, unsigned int groups, pid_t pid);
int mnl_socket_close(struct mnl_socket *nl);
int mnl_socket_get_fd(const struct mnl_socket *nl);
unsigned int mnl_socket_get_portid(const struct mnl_socket *nl);
ssize_t mnl_socket_sendto(const struct mnl_socket *nl, const void *req, size_t siz);
ssize_t mnl_socket_recvfrom(const struct mnl_socket *nl, void *buf, size_t siz);

struct nlmsghdr *mnl_nlmsg_put_header(void *buf);
void *mnl_nlmsg_put_extra_header(struct nlmsghdr *nlh, size_t size);
void *mnl_nlmsg_get_payload(const struct nlmsghdr *nlh);
void *mnl_nlmsg_get_payload_offset(const struct nlmsghdr *nlh, size_t offset);
void *mnl_nlmsg_get_payload_tail(const struct nlmsghdr *nlh);

uint16_t mnl_attr_get_type(const struct nlattr *attr);
uint16_t mnl_attr_get_len(const struct nlattr *attr);
uint16_t mnl_attr_get_payload_len(const struct nlattr *attr);
void *mnl_attr_get_payload(const struct nlattr *attr);
uint8_t mnl_attr_get_u8(const struct nlattr *attr);
uint16_t mnl_attr_get_u16(const struct nlattr *attr);
uint32_t mnl_attr_get_u32(const struct nlattr *attr);
uint64_t mnl_attr_get_u64(const struct nlattr *attr);
const char *mnl_attr_get_str(const struct nlattr *attr);
bool mnl_attr_ok(const struct nlattr *attr, int len);
struct nlattr *mnl_attr_next(const struct nlattr *attr);
int mnl_attr_parse(const struct nlmsghdr *nlh, unsigned int offset, mnl_attr_cb_t cb, void *data);
int mnl_attr_parse_nested(const struct nlattr *attr, mnl_attr_cb_t cb, void *data);

void mnl_attr_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data);
void mnl_attr_put_u8(struct nlmsghdr *nlh, uint16_t type, uint8_t data);
void mnl_attr_put_u16(struct nlmsghdr *nlh, uint16_t type, uint16_t data);
void mnl_attr_put_u32(struct nlmsghdr *nlh, uint16_t type, uint32_t data);
void mnl_attr_put_u64(struct nlmsghdr *nlh, uint16_t type, uint64_t data);
void mnl_attr_put_str(struct nlmsghdr *nlh, uint16_t type, const char *data);
void mnl_attr_put_strz(struct nlmsghdr *nlh, uint16_t type, const char *data);
bool mnl_attr_put_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, size_t len,
			const void *data);
bool mnl_attr_put_u16_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint16_t data);
bool mnl_attr_put_u8_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint8_t data);
bool mnl_attr_put_u32_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, uint32_t data);
bool mnl_attr_put_strz_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type, const char *data);
struct nlattr *mnl_attr_nest_start(struct nlmsghdr *nlh, uint16_t type);
struct nlattr *mnl_attr_nest_start_check(struct nlmsghdr *nlh, size_t buflen, uint16_t type);
void mnl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start);

#endif
