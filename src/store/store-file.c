/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The file store: one directory, one file "<key>.txt" per key holding the hex value
 * and a newline (the layout of the seed README's example exec plugin, so a folder can
 * be shared with nodes running that plugin). Writes go to a temporary file that is
 * renamed over the old one, so a reader (or a folder-sync tool) never sees half a
 * value. Values never expire here, so dedup is on by default. Reads cost nothing, so
 * the engine may re-read often; the directory is watched (dirwatch, inotify) so a
 * record written by another node or a sync tool is noticed at once.
 *
 * The folder is shared: whoever can write to it (another node, a sync tool that copies
 * FIFOs and symlinks) chooses what we find there. A record must be a regular file of
 * at most FILE_VALUE_MAX bytes, not a symbolic link: it is checked with lstat, opened
 * with O_NOFOLLOW|O_NONBLOCK (a FIFO swapped in meanwhile neither blocks the open nor a
 * read), and checked again with fstat; reads are bounded. Anything else is an error
 * that says what was found. Writes never go through a name someone else may have
 * made: the temporary file is created with O_CREAT|O_EXCL|O_NOFOLLOW under a random
 * name, and rename() replaces whatever is at the record's name (a link included)
 * rather than writing through it.
 *
 * The file operations run on the loop thread: on a local disk they take microseconds.
 * A directory on a network share that hangs would stall the loop; use an exec plugin
 * for such storage. No fsync: a record lost in a crash is republished at the next
 * refresh, while syncing every refresh would wear router flash. */
#include "store/store.h"
#include "store/store-file.h"
#include "store/dirwatch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_LEN 4096
#define MSG_LEN (PATH_LEN + 256)

struct file_store {
	char *dir;
	struct dirwatch *watch; /* opened with the first watch */
	bool watch_wanted;	/* somebody watched: keep a watch open */
	bool watch_warned;	/* said once that there is none */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int file_value_parse(const char *buf, size_t len, size_t *off, size_t *vlen, struct errbuf *e)
{
	size_t start = 0, end = len;

	while (start < end && is_space(buf[start]))
		start++;
	while (end > start && is_space(buf[end - 1]))
		end--;
	if (end - start > FILE_VALUE_MAX)
		return err_set(e, -EINVAL, "holds more than %d bytes", FILE_VALUE_MAX);
	for (size_t i = start; i < end; i++)
		if (!is_hex(buf[i]))
			return err_set(e, -EINVAL, "does not hold a hex value");
	*off = start;
	*vlen = end - start;
	return 0;
}

static const char *file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a plain file";
}

/* Whether st may be read as a record; why in msg if not. */
static bool acceptable(const char *path, const struct stat *st, char *msg, size_t len)
{
	if (S_ISLNK(st->st_mode))
		snprintf(msg, len, "%s is a symbolic link (refused: a record must be a regular file)",
			 path);
	else if (!S_ISREG(st->st_mode))
		snprintf(msg, len, "%s is not a regular file (%s)", path, file_kind(st->st_mode));
	else if (st->st_size > FILE_VALUE_MAX + 2) /* the value, "\r\n" */
		snprintf(msg, len, "%s is larger than %d bytes", path, FILE_VALUE_MAX);
	else
		return true;
	return false;
}

/* Opens a record for reading: -ENOENT (no record), fd >= 0, or -errno with msg. */
static int open_record(const char *path, char *msg, size_t len)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(msg, len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!acceptable(path, &st, msg, len))
		return -EINVAL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		if (r == -ENOENT)
			return r;
		if (r == -ELOOP)
			snprintf(msg, len, "%s is a symbolic link (refused: a record must be a regular file)",
				 path);
		else
			snprintf(msg, len, "%s: %s", path, strerror(-r));
		return r;
	}
	/* it may have been swapped between lstat and open */
	if (fstat(fd, &st) < 0 || !acceptable(path, &st, msg, len)) {
		if (!msg[0])
			snprintf(msg, len, "%s: %s", path, strerror(errno));
		close(fd);
		return -EINVAL;
	}
	return fd;
}

static int watch_dir(struct store *s);

static void file_get(struct store *s, struct store_op *op)
{
	struct file_store *fs = s->priv;
	char path[PATH_LEN], msg[MSG_LEN] = "", *buf;
	struct errbuf e = { "" };
	size_t len = 0, off, vlen;
	int fd;

	/* the directory was removed and perhaps made again: watch the new one (reads go on
	 * on a timer meanwhile, so this is where a watcher's store notices) */
	if (fs->watch_wanted && !dirwatch_alive(fs->watch) && store_watched(s, op->key))
		watch_dir(s);
	snprintf(path, sizeof(path), "%s/%s.txt", fs->dir, op->key);
	fd = open_record(path, msg, sizeof(msg));
	if (fd == -ENOENT) {
		store_op_complete_later(op, STORE_NOT_FOUND, NULL, NULL);
		return;
	}
	if (fd < 0) {
		store_op_complete_later(op, STORE_ERROR, NULL, msg);
		return;
	}
	buf = malloc(FILE_VALUE_MAX + 4);
	if (!buf) {
		close(fd);
		store_op_complete_later(op, STORE_ERROR, NULL, "out of memory");
		return;
	}
	while (len < FILE_VALUE_MAX + 3) {
		ssize_t n = read(fd, buf + len, FILE_VALUE_MAX + 3 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FILE_VALUE_MAX + 2) {
		snprintf(msg, sizeof(msg), "%s is larger than %d bytes", path, FILE_VALUE_MAX);
		goto fail;
	}
	if (file_value_parse(buf, len, &off, &vlen, &e)) {
		snprintf(msg, sizeof(msg), "%s %s", path, e.msg);
		goto fail;
	}
	close(fd);
	buf[off + vlen] = '\0';
	/* An empty file holds no record: the same as none. */
	store_op_complete_later(op, vlen ? STORE_OK : STORE_NOT_FOUND, vlen ? buf + off : NULL,
				NULL);
	free(buf);
	return;
fail:
	close(fd);
	free(buf);
	store_op_complete_later(op, STORE_ERROR, NULL, msg);
}

/* A new file under a random name nobody else can have prepared: fd or -errno. */
static int create_temp(const char *dir, const char *key, char *tmp, size_t len)
{
	for (int tries = 0; tries < 8; tries++) {
		uint64_t rnd = 0;
		int fd;

		if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
			rnd ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)tmp ^ (uint64_t)tries;
		snprintf(tmp, len, "%s/.%s.%016llx.tmp", dir, key, (unsigned long long)rnd);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

static void file_set(struct store *s, struct store_op *op)
{
	struct file_store *fs = s->priv;
	char path[PATH_LEN], tmp[PATH_LEN], msg[MSG_LEN];
	size_t len = strlen(op->value), off = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s.txt", fs->dir, op->key);
	fd = create_temp(fs->dir, op->key, tmp, sizeof(tmp));
	if (fd < 0) {
		snprintf(msg, sizeof(msg), "creating a file in %s: %s", fs->dir, strerror(-fd));
		store_op_complete_later(op, STORE_ERROR, NULL, msg);
		return;
	}
	/* the umask may be stricter; other readers of a shared folder need to read it */
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
		if (errno == EISDIR)
			snprintf(msg, sizeof(msg), "%s is a directory (remove it)", path);
		else
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

/* "<key>.txt" changed in the directory (NULL: anything may have). */
static void on_dir_event(void *arg, const char *name)
{
	struct store *s = arg;
	char key[STORE_KEY_MAX + 1];
	size_t n;

	if (!name) {
		store_notify(s, NULL);
		return;
	}
	n = strlen(name);
	if (n <= 4 || n - 4 > STORE_KEY_MAX || strcmp(name + n - 4, ".txt"))
		return; /* our temporary files, and whatever else is in a shared folder */
	memcpy(key, name, n - 4);
	key[n - 4] = '\0';
	store_notify(s, key);
}

/* The watch of the directory, opened (again, after the directory went away and
 * came back) when somebody watches. */
static int watch_dir(struct store *s)
{
	struct file_store *fs = s->priv;
	struct errbuf e = { "" };
	int r;

	if (dirwatch_alive(fs->watch))
		return 0;
	dirwatch_close(fs->watch);
	fs->watch = NULL;
	r = dirwatch_open(s->loop, fs->dir, on_dir_event, s, &fs->watch, &e);
	if (r && !fs->watch_warned)
		log_warn(s->log, "store %s: no change notification (%s): records are read on a timer",
			 s->name, e.msg);
	fs->watch_warned = r != 0;
	return r;
}

static int file_watch(struct store *s, const char *key)
{
	struct file_store *fs = s->priv;
	int r = watch_dir(s);

	(void)key;
	fs->watch_wanted |= r == 0;
	return r;
}

static int file_init(struct store *s, const struct config_plugin *cfg, struct errbuf *e)
{
	const char *dir = store_opt_str(s->ops, cfg, "dir");
	struct file_store *fs;
	struct stat st;

	if (!dir || !*dir)
		return err_set(e, -EINVAL, "the file store needs a 'dir' option");
	if (strlen(dir) > 3900)
		return err_set(e, -ENAMETOOLONG, "'dir' is too long");
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0755) < 0)
			return err_set(e, -errno, "directory %s: %s", dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		return err_set(e, -ENOTDIR, "%s is not a directory", dir);
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->dir = strdup(dir))) {
		free(fs);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->priv = fs;
	return 0;
}

static void file_destroy(struct store *s)
{
	struct file_store *fs = s->priv;

	dirwatch_close(fs->watch);
	free(fs->dir);
	free(fs);
}

static const struct store_option_spec file_options[] = {
	{ .name = "dir", .type = STORE_OPT_STRING, .required = true,
	  .hint = "(the directory holding the records)",
	  .doc = "a directory holding one file `<key>.txt` per record (a shared folder works); created if missing (not its parents)" },
	{ 0 },
};

const struct store_ops store_file_ops = {
	.kind = "file",
	.builtin = true,
	.options = file_options,
	.caps = { .cheap_reads = true, .notifies = true, .dedup_default = true },
	.max_concurrent = SIZE_MAX, /* every operation is over before the next starts */
	.init = file_init,
	.start = file_start,
	.destroy = file_destroy,
	.watch = file_watch,
};
