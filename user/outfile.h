/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * outfile: one report file of `gomaptrace trace` (-o, --json, --pprof,
 * --folded), opened when the session starts and written when it ends.
 *
 * Contract:
 * - outfile__open() opens the path at once, so that a bad one (missing
 *   directory, no permission, a directory, a full read-only file system)
 *   fails before anything is traced.  A missing file is created with mode
 *   OUTFILE_MODE less the umask.  The last component is never followed
 *   when it is a symbolic link (O_NOFOLLOW), so a link planted in a shared
 *   directory cannot make a root tracer write over another file; the one
 *   exception is a link to something that is not a regular file (a
 *   terminal, a pipe, a FIFO, /dev/null: what /dev/stdout leads to), which
 *   is opened without creating or truncating anything.  "-" and NULL with
 *   a default stream mean that stream (stdout or stderr), never closed.
 * - An existing regular file keeps its content until outfile__begin(): a
 *   session that fails before its reports leaves old reports alone.
 * - outfile__begin() truncates a regular file and returns the stream to
 *   write; outfile__end() flushes and closes it and returns 0 or -errno,
 *   with a reason naming the report and the path: a write error anywhere
 *   (a full disk, a pipe without a reader) is never lost.  Each outfile is
 *   independent of the others.
 * - Nothing here raises SIGPIPE handling: the caller ignores SIGPIPE, so a
 *   write to a pipe without a reader fails with EPIPE like any other.
 */
#ifndef OUTFILE_H
#define OUTFILE_H

#include <stdbool.h>
#include <stdio.h>
#include "gm_err.h"

/* Mode of a created report file, before the umask (documented in README). */
#define OUTFILE_MODE 0644

struct outfile {
	const char *what;	/* "text report", "JSON report", ... */
	const char *path;	/* as given; NULL or "-" when a standard stream */
	int fd;			/* -1: not in use */
	FILE *f;		/* between begin and end */
	int werr;		/* errno of the first failed write */
	bool stream;		/* stdout/stderr: flushed, never closed */
	bool regular;		/* a regular file: truncated by begin */
	bool created;		/* made by open, still empty: abandon removes it */
};

/*
 * what: names the report in messages.  path: the file; "-" means stdout;
 * NULL means dflt (stdout or stderr), and with no dflt the outfile stays
 * unused (outfile__used() false, begin returns NULL, end returns 0).
 */
int outfile__open(struct outfile *o, const char *what, const char *path, FILE *dflt,
		  struct gm_err *err);
bool outfile__used(const struct outfile *o);
/* The name in messages: the path, or "stdout"/"stderr". */
const char *outfile__name(const struct outfile *o);
FILE *outfile__begin(struct outfile *o, struct gm_err *err);
/* Flush, check and close; safe on an outfile never opened or begun. */
int outfile__end(struct outfile *o, struct gm_err *err);
/* Close without writing (a session that failed): the file is left as it was. */
void outfile__abandon(struct outfile *o);

#endif /* OUTFILE_H */
