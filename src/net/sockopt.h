/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket options whose spelling differs between platforms, behind one name each, so
 * the rest of stunmesh never names SO_MARK and friends. Platform code lives in
 * sockopt-<platform>.c. */
#ifndef SM_SOCKOPT_H
#define SM_SOCKOPT_H

#include <stdint.h>

/* Marks every packet fd sends with mark, so policy routing (WireGuard's fwmark rule)
 * treats it like WireGuard's own traffic. 0 or -errno (-EPERM without CAP_NET_ADMIN,
 * -EOPNOTSUPP where the platform has no such mark). mark 0 sets nothing. */
int sock_set_mark(int fd, uint32_t mark);

#endif
