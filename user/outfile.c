// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "outfile.h"

#define OPEN_FLAGS (O_WRONLY | O_CLOEXEC | O_NOCTTY)

static void reset(struct outfile *o)
{
	o->fd = -1;
	o->f = NULL;
	o->werr = 0;
	o->stream = false;
	o->regular = false;
	o->created = false;
}

const char *outfile__name(const struct outfile *o)
{
	if (!o->stream)
		return o->path;
	return o->fd == STDERR_FILENO ? "stderr" : "stdout";
}

bool outfile__used(const struct outfile *o)
{
	return o->fd >= 0;
}

/*
 * A symbolic link as last component: followed only when it leads to
 * something no write can clobber (a terminal, pipe, FIFO, socket or
 * device), opened without O_CREAT or O_TRUNC so that following it neither
 * creates nor empties anything.
 */
static int open_link(struct outfile *o, struct gm_err *err)
{
	struct stat st;
	int fd = open(o->path, OPEN_FLAGS);

	if (fd < 0)
		return gm_err_set(err, errno, "%s %s: cannot open: %s", o->what, o->path, strerror(errno));
	if (fstat(fd, &st) || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		close(fd);
		return gm_err_set(err, ELOOP, "%s %s: a symbolic link to a file: not followed "
				  "(name the file itself)", o->what, o->path);
	}
	return fd;
}

int outfile__open(struct outfile *o, const char *what, const char *path, FILE *dflt,
		  struct gm_err *err)
{
	struct stat st;
	int fd;

	o->what = what;
	o->path = path;
	reset(o);
	if (!path || !strcmp(path, "-")) {
		FILE *f = path ? stdout : dflt;

		if (f) {
			o->fd = fileno(f);
			o->stream = true;
		}
		return 0;
	}
	/* created by us (so removed again if no report is ever written), or there already */
	fd = open(path, OPEN_FLAGS | O_CREAT | O_EXCL | O_NOFOLLOW, OUTFILE_MODE);
	if (fd >= 0)
		o->created = true;
	else if (errno == EEXIST)
		fd = open(path, OPEN_FLAGS | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		fd = open_link(o, err);
	else if (fd < 0)
		fd = gm_err_set(err, errno, "%s %s: cannot open for writing: %s", what, path,
				strerror(errno));
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		int ret = gm_err_set(err, errno, "%s %s: %s", what, path, strerror(errno));

		close(fd);
		reset(o);
		return ret;
	}
	o->fd = fd;
	o->regular = S_ISREG(st.st_mode);
	return 0;
}

/*
 * The report's stream writes through here, so the first failed write keeps
 * its errno (stdio only keeps a flag) and a short write is finished.
 */
static ssize_t ck_write(void *cookie, const char *buf, size_t len)
{
	struct outfile *o = cookie;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(o->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!o->werr)
				o->werr = n < 0 ? errno : EIO;
			return done ? (ssize_t)done : -1;
		}
		done += n;
	}
	return done;
}

FILE *outfile__begin(struct outfile *o, struct gm_err *err)
{
	static const cookie_io_functions_t io = { .write = ck_write };

	if (o->fd < 0)
		return NULL;
	if (o->stream) {
		/* what was printed there before comes first */
		fflush(o->fd == STDERR_FILENO ? stderr : stdout);
	} else if (o->regular && (ftruncate(o->fd, 0) || lseek(o->fd, 0, SEEK_SET) < 0)) {
		gm_err_set(err, errno, "%s %s: cannot truncate: %s", o->what, o->path, strerror(errno));
		return NULL;
	}
	o->created = false;	/* it holds (or is meant to hold) a report now */
	o->werr = 0;
	o->f = fopencookie(o, "w", io);
	if (!o->f)
		gm_err_set(err, ENOMEM, "%s %s: out of memory", o->what, outfile__name(o));
	return o->f;
}

int outfile__end(struct outfile *o, struct gm_err *err)
{
	int ret = 0, e;

	if (o->f) {
		fflush(o->f);
		fclose(o->f);
		o->f = NULL;
	}
	if (o->werr)
		ret = gm_err_set(err, o->werr, "%s %s: write error: %s", o->what, outfile__name(o),
				 strerror(o->werr));
	if (o->fd >= 0 && !o->stream) {
		/* NFS and friends report some write errors at close only */
		if (close(o->fd) && !ret && errno != EINTR) {
			e = errno;
			ret = gm_err_set(err, e, "%s %s: cannot close: %s", o->what, o->path, strerror(e));
		}
	}
	reset(o);
	return ret;
}

void outfile__abandon(struct outfile *o)
{
	struct stat a, b;

	if (o->f) {
		fclose(o->f);
		o->f = NULL;
	}
	if (o->fd < 0)
		return;
	/* an empty file we made is removed, and only if it still is the one we made */
	if (o->created && !fstat(o->fd, &a) && !lstat(o->path, &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino && !a.st_size)
		unlink(o->path);
	if (!o->stream)
		close(o->fd);
	reset(o);
}
