/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Linux: SO_MARK (needs CAP_NET_ADMIN). */
#include "net/sockopt.h"

#include <errno.h>
#include <sys/socket.h>

int sock_set_mark(int fd, uint32_t mark)
{
	if (!mark)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		return -errno;
	return 0;
}
