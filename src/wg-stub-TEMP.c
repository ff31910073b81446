/* SPDX-License-Identifier: GPL-2.0-or-later */
/* TEMPORARY (branch stun only): weak stand-ins for wg_device_get/wg_device_free until the
 * wg branch is merged; the real definitions override these. DELETE THIS FILE. */
#include "wg.h"

#include <errno.h>

__attribute__((weak)) int wg_device_get(const char *name, enum wg_backend_kind kind,
					struct wg_device **out, struct errbuf *e)
{
	(void)kind;
	(void)out;
	return err_set(e, -ENOSYS, "-i %s: WireGuard support is not in this build yet "
			"(use --port)", name);
}

__attribute__((weak)) void wg_device_free(struct wg_device *dev)
{
	(void)dev;
}
