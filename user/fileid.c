// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "fileid.h"

void fileid__from_stat(struct fileid *id, const struct stat *st)
{
	memset(id, 0, sizeof(*id));
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

int fileid__of_path(const char *path, struct fileid *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	fileid__from_stat(id, &st);
	return 0;
}

int fileid__of_fd(int fd, struct fileid *id)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	fileid__from_stat(id, &st);
	return 0;
}

bool fileid__same_inode(const struct fileid *a, const struct fileid *b)
{
	return a->dev == b->dev && a->ino == b->ino;
}

bool fileid__equal(const struct fileid *a, const struct fileid *b)
{
	return fileid__same_inode(a, b) && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}
