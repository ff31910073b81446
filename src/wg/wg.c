/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one place a backend is chosen for an interface. */
#include "wg/wg-backend.h"
#include "wg/wg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* The kernel's dev_valid_name() rules; they also keep the name safe in a socket path. */
static int check_name(const char *name, struct errbuf *e)
{
	size_t n = strlen(name);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return err_set(e, -EINVAL, "invalid interface name '%.*s'", IFNAMSIZ, name);
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || name[i] == ' ' ||
		    (name[i] >= '\t' && name[i] <= '\r'))
			return err_set(e, -EINVAL, "invalid interface name '%s'", name);
	return 0;
}

/* AUTO takes UAPI when the socket exists: userspace implementations create it, and a
 * kernel interface of the same name would be unusual enough to need the override. */
static int pick(const char *name, enum wg_backend_kind kind, char path[], size_t len,
		enum wg_backend_kind *use, struct errbuf *e)
{
	struct stat st;
	int r;

	r = check_name(name, e);
	if (r)
		return r;
	snprintf(path, len, "%s/%s.sock", WG_UAPI_DIR, name);
	if (kind == WG_BACKEND_AUTO)
		kind = (!stat(path, &st) && S_ISSOCK(st.st_mode)) ? WG_BACKEND_UAPI
								  : WG_BACKEND_NETLINK;
	*use = kind;
	return 0;
}

int wg_device_get(const char *name, enum wg_backend_kind kind, struct wg_device **out,
		  struct errbuf *e)
{
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	enum wg_backend_kind use;
	int r;

	r = pick(name, kind, path, sizeof(path), &use, e);
	if (r)
		return r;
	if (use == WG_BACKEND_UAPI) {
		r = wg_uapi_get(path, name, out, e);
		if (r)
			err_prefix(e, r, "%s: ", name);
		return r;
	}
	return wg_nl_get(name, out, e);
}

static int set_peer(const char *name, enum wg_backend_kind kind, const struct wg_peer_update *u,
		    struct errbuf *e)
{
	char path[sizeof(WG_UAPI_DIR) + IFNAMSIZ + 8];
	enum wg_backend_kind use;
	int r;

	r = pick(name, kind, path, sizeof(path), &use, e);
	if (r)
		return r;
	if (use == WG_BACKEND_UAPI) {
		r = wg_uapi_set_peer(path, name, u, e);
		if (r && r != -ENOENT)
			err_prefix(e, r, "%s: ", name);
		return r;
	}
	return wg_nl_set_peer(name, u, e);
}

int wg_set_endpoint(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		    const union sm_addr *endpoint, struct errbuf *e)
{
	struct wg_peer_update u = { .endpoint = endpoint, .keepalive = -1 };

	if (endpoint->sa.sa_family != AF_INET && endpoint->sa.sa_family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "endpoint is neither IPv4 nor IPv6");
	memcpy(u.public_key, pub, WG_KEY_LEN);
	return set_peer(name, kind, &u, e);
}

int wg_update_peer(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		   const union sm_addr *endpoint, int keepalive, bool known, struct errbuf *e)
{
	struct wg_peer_update u = { .endpoint = endpoint, .keepalive = keepalive, .known = known };

	if (endpoint && endpoint->sa.sa_family != AF_INET && endpoint->sa.sa_family != AF_INET6)
		return err_set(e, -EAFNOSUPPORT, "endpoint is neither IPv4 nor IPv6");
	if (keepalive < -1 || keepalive > 65535)
		return err_set(e, -EINVAL, "keepalive %d out of range", keepalive);
	memcpy(u.public_key, pub, WG_KEY_LEN);
	return set_peer(name, kind, &u, e);
}

int wg_set_keepalive(const char *name, enum wg_backend_kind kind, const uint8_t pub[WG_KEY_LEN],
		     uint16_t seconds, struct errbuf *e)
{
	struct wg_peer_update u = { .keepalive = seconds };

	memcpy(u.public_key, pub, WG_KEY_LEN);
	return set_peer(name, kind, &u, e);
}
