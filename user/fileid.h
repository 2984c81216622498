/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fileid: what an executable is on disk, beyond its device and inode.
 *
 * Contract: uprobes are registered on an inode, and a file rewritten in
 * place (`cp new-build app`) keeps its device and inode: only its size,
 * mtime and ctime tell the new content from the old.  A probe plan is good
 * for the identity it was parsed from and no other, so every parse records
 * one (fileid__of_path before and after reading the file) and every attach
 * checks it against the file it opened (fileid__of_fd).  A write moves
 * mtime and ctime; a rewrite within one timestamp tick of the stat that
 * recorded the identity is missed only if it also keeps the size (kernels
 * since 6.13 give a file that was stat'ed a fine-grained next timestamp on
 * ext4, xfs, btrfs and tmpfs, which closes even that).
 */
#ifndef FILEID_H
#define FILEID_H

#include <stdbool.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/types.h>

struct fileid {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

void fileid__from_stat(struct fileid *id, const struct stat *st);
/* stat(2) of path (following links: /proc/PID/exe is the running file); 0 or -errno. */
int fileid__of_path(const char *path, struct fileid *id);
int fileid__of_fd(int fd, struct fileid *id);
/* Same inode and same content as far as the file system says. */
bool fileid__equal(const struct fileid *a, const struct fileid *b);
/* Same inode, whatever its content. */
bool fileid__same_inode(const struct fileid *a, const struct fileid *b);

#endif /* FILEID_H */
