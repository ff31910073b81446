/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file store: one directory, one file "<key>.txt" per key holding the hex value
 * and a newline (the layout of the seed README's example exec plugin, so a folder can
 * be shared with nodes running that plugin). Writes go to a temporary file that is
 * renamed over the old one, so a reader (or a folder-sync tool) never sees half a
 * value. Values never expire here, so dedup is on by default.
 *
 * The file operations run on the loop thread: on a local disk they take microseconds.
 * A directory on a network share that hangs would stall the loop; use an exec plugin
 * for such storage. No fsync: a record lost in a crash is republished at the next
 * refresh, while syncing every refresh would wear router flash. */
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_VALUE_MAX (64 * 1024)

struct file_store {
	char *dir;
};

static int file_init(struct store *s, const struct config_plugin *cfg, struct errbuf *e)
{
	struct file_store *fs;
	struct stat st;

	if (!cfg->dir || !*cfg->dir)
		return err_set(e, -EINVAL, "the file store needs a 'dir' option");
	if (strlen(cfg->dir) > 3900)
		return err_set(e, -ENAMETOOLONG, "'dir' is too long");
	if (stat(cfg->dir, &st) < 0) {
		if (errno != ENOENT || mkdir(cfg->dir, 0755) < 0)
			return err_set(e, -errno, "directory %s: %s", cfg->dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		return err_set(e, -ENOTDIR, "%s is not a directory", cfg->dir);
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->dir = strdup(cfg->dir))) {
		free(fs);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->priv = fs;
	return 0;
}

static void file_destroy(struct store *s)
{
	struct file_store *fs = s->priv;

	free(fs->dir);
	free(fs);
}

static void file_get(struct store *s, struct store_op *op)
{
	struct file_store *fs = s->priv;
	char path[4096], msg[4096 + 256], *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.txt", fs->dir, op->key);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT) {
			store_op_complete_later(op, STORE_NOT_FOUND, NULL, NULL);
		} else {
			snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
			store_op_complete_later(op, STORE_ERROR, NULL, msg);
		}
		return;
	}
	buf = malloc(FILE_VALUE_MAX + 2);
	if (!buf) {
		close(fd);
		store_op_complete_later(op, STORE_ERROR, NULL, "out of memory");
		return;
	}
	while (len <= FILE_VALUE_MAX && (n = read(fd, buf + len, FILE_VALUE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
			goto fail;
		}
		len += (size_t)n;
	}
	if (len > FILE_VALUE_MAX) {
		snprintf(msg, sizeof(msg), "%s: larger than %d bytes", path, FILE_VALUE_MAX);
		goto fail;
	}
	while (len && strchr(" \t\r\n", buf[len - 1]) && buf[len - 1])
		len--;
	buf[len] = '\0';
	for (size_t lead = 0; lead < len; lead++) {
		if (!strchr(" \t\r\n", buf[lead]) || !buf[lead]) {
			memmove(buf, buf + lead, len - lead + 1);
			len -= lead;
			break;
		}
	}
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			snprintf(msg, sizeof(msg), "%s does not hold a hex value", path);
			goto fail;
		}
	}
	close(fd);
	/* An empty file holds no record: the same as none. */
	store_op_complete_later(op, len ? STORE_OK : STORE_NOT_FOUND, len ? buf : NULL, NULL);
	free(buf);
	return;
fail:
	close(fd);
	free(buf);
	store_op_complete_later(op, STORE_ERROR, NULL, msg);
}

static void file_set(struct store *s, struct store_op *op)
{
	struct file_store *fs = s->priv;
	char path[4096], tmp[4096], msg[4096 + 256];
	size_t len = strlen(op->value), off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.txt", fs->dir, op->key);
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", fs->dir, op->key);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "creating a file in %s: %s", fs->dir, strerror(errno));
		store_op_complete_later(op, STORE_ERROR, NULL, msg);
		return;
	}
	/* mkostemp makes it 0600; other readers of a shared folder need to read it. */
	fchmod(fd, 0644);
	op->value[len] = '\n';
	while (off < len + 1) {
		ssize_t n = write(fd, op->value + off, len + 1 - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, sizeof(msg), "writing %s: %s", tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	op->value[len] = '\0';
	if (close(fd) < 0) {
		fd = -1;
		snprintf(msg, sizeof(msg), "writing %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		snprintf(msg, sizeof(msg), "renaming to %s: %s", path, strerror(errno));
		goto fail;
	}
	store_op_complete_later(op, STORE_OK, NULL, NULL);
	return;
fail:
	op->value[len] = '\0';
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	store_op_complete_later(op, STORE_ERROR, NULL, msg);
}

static int file_start(struct store *s, struct store_op *op)
{
	if (op->is_set)
		file_set(s, op);
	else
		file_get(s, op);
	return 0;
}

const struct store_ops store_file_ops = {
	.kind = "file",
	.dedup_default = true,
	.init = file_init,
	.start = file_start,
	.destroy = file_destroy,
};
